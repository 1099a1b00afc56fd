"""Identity policies in S3 authorization, end to end through boto3 (issue 5, evaluation).

IAM users of two accounts, made through the IAM API, read and write buckets as their
identity policies and the bucket policies allow: same account, an allow in either suffices;
across accounts both must allow; an explicit deny anywhere wins.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway
from test_accounts import NewAccount, create_account

from mrap.config import BOOTSTRAP_ACCOUNT


def make_client(gateway: Gateway, service: str, key: str, secret: str) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_client(gateway: Gateway, iam: BaseClient, *statements: dict[str, Any]) -> BaseClient:
    """A new IAM user with `statements` as its inline policy, and its S3 client."""
    name = "u-" + secrets.token_hex(4)
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return make_client(gateway, "s3", key["AccessKeyId"], key["SecretAccessKey"])


def user_arn(s3: BaseClient, gateway: Gateway) -> str:
    creds = s3._request_signer._credentials  # the client's own key, to ask STS who it is
    sts = make_client(gateway, "sts", creds.access_key, creds.secret_key)
    return str(sts.get_caller_identity()["Arn"])


def code(call: Any, **kwargs: Any) -> str:
    """The error code of a call, or "" when it succeeds."""
    try:
        call(**kwargs)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return ""


@pytest.fixture
def iam(gateway: Gateway, s3: BaseClient) -> BaseClient:
    creds = s3._request_signer._credentials
    return make_client(gateway, "iam", creds.access_key, creds.secret_key)


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> NewAccount:
    return create_account(gateway.data_dir)


def test_user_without_policies_may_do_nothing(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    user = user_client(gateway, iam)
    assert code(user.get_object, Bucket=bucket, Key="k") == "AccessDenied"
    assert code(user.list_buckets) == "AccessDenied"
    assert code(user.create_bucket, Bucket="u-" + secrets.token_hex(6)) == "AccessDenied"


def test_seed_user_who_may_only_list_and_read(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"a")
    user = user_client(
        gateway,
        iam,
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
    )
    listed = user.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["docs/a.txt"]
    assert user.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"a"
    with pytest.raises(ClientError) as exc:
        user.put_object(Bucket=bucket, Key="docs/b.txt", Body=b"b")
    error = exc.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    # Within the owner's account AWS names the caller, the action and the policy kind.
    assert "is not authorized to perform: s3:PutObject" in error["Message"]
    assert "because no identity-based policy allows" in error["Message"]
    assert code(user.delete_object, Bucket=bucket, Key="docs/a.txt") == "AccessDenied"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["docs/a.txt"]


def test_explicit_deny_in_identity_policy_wins(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="open", Body=b"o")
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s")
    user = user_client(
        gateway,
        iam,
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/secret"},
    )
    assert user.get_object(Bucket=bucket, Key="open")["Body"].read() == b"o"
    with pytest.raises(ClientError) as exc:
        user.get_object(Bucket=bucket, Key="secret")
    assert "with an explicit deny in an identity-based policy" in str(exc.value)


def test_same_account_bucket_policy_naming_the_user_suffices(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    user = user_client(gateway, iam)
    arn = user_arn(user, gateway)
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": arn},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=document(grant))
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    # A grant to the account is a delegation: the user's own policies must then allow.
    grant["Principal"] = {"AWS": f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:root"}
    s3.put_bucket_policy(Bucket=bucket, Policy=document(grant))
    assert code(user.get_object, Bucket=bucket, Key="k") == "AccessDenied"


def test_bucket_policy_deny_binds_a_user_its_identity_allows(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    user = user_client(gateway, iam, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    arn = user_arn(user, gateway)
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": arn},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=document(deny))
    with pytest.raises(ClientError) as exc:
        user.get_object(Bucket=bucket, Key="k")
    assert "with an explicit deny in a resource-based policy" in str(exc.value)
    assert user.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_cross_account_needs_both_policies(
    gateway: Gateway, s3: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="shared/k", Body=b"x")
    other_iam = make_client(gateway, "iam", other.access_key_id, other.secret)
    reader = user_client(
        gateway,
        other_iam,
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
    )
    bystander = user_client(gateway, other_iam)
    # Without the bucket owner's grant, the identity policy alone is not enough.
    assert code(reader.get_object, Bucket=bucket, Key="shared/k") == "AccessDenied"
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": other.id},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/shared/*",
            }
        ),
    )
    assert reader.get_object(Bucket=bucket, Key="shared/k")["Body"].read() == b"x"
    # The grant to the account does not reach a user whose own policies allow nothing.
    assert code(bystander.get_object, Bucket=bucket, Key="shared/k") == "AccessDenied"
    # Across accounts AWS does not explain the denial.
    with pytest.raises(ClientError) as exc:
        bystander.get_object(Bucket=bucket, Key="shared/k")
    assert exc.value.response["Error"]["Message"] == "Access Denied"


def test_policy_variables_give_each_user_a_home(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    statement = {
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:GetObject"],
        "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*",
    }
    alice = user_client(gateway, iam, statement)
    name = user_arn(alice, gateway).rpartition("/")[2]
    alice.put_object(Bucket=bucket, Key=f"home/{name}/notes", Body=b"mine")
    assert code(alice.put_object, Bucket=bucket, Key="home/bob/notes", Body=b"x") == (
        "AccessDenied"
    )


def test_group_and_managed_policies_count(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    user = user_client(gateway, iam)
    name = user_arn(user, gateway).rpartition("/")[2]
    group = "g-" + secrets.token_hex(4)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert code(user.get_object, Bucket=bucket, Key="k") == "AccessDenied"
    iam.attach_group_policy(
        GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    assert code(user.put_object, Bucket=bucket, Key="k2", Body=b"y") == "AccessDenied"
    iam.detach_group_policy(
        GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    assert code(user.get_object, Bucket=bucket, Key="k") == "AccessDenied"


def test_policies_naming_a_user_or_role_that_does_not_exist_are_refused(
    gateway: Gateway, iam: BaseClient, s3: BaseClient, bucket: str
) -> None:
    user = user_client(gateway, iam)
    existing = user_arn(user, gateway)
    for missing in (
        f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:user/nobody-{secrets.token_hex(3)}",
        f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:role/no-role-{secrets.token_hex(3)}",
    ):
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": [existing, missing]},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_policy(Bucket=bucket, Policy=document(statement))
        error = exc.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "MalformedPolicy",
            "Invalid principal in policy",
        )
        assert code(s3.get_bucket_policy, Bucket=bucket) == "NoSuchBucketPolicy"
