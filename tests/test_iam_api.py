"""The IAM Query API through boto3's `iam` client, against the real gateway.

The client talks to `iam.localhost:PORT` through the gateway as its HTTP proxy (absolute-form
requests), since `iam.localhost` has no DNS record here. Every test names its own users,
groups, roles and policies, so tests share the gateway's accounts without meeting.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from test_accounts import NewAccount, create_account

from mrap.store.control import ControlStore
from mrap.store.iam_tables import InlinePolicy, Kind
from mrap.store.identities import IdentityStore

ACCOUNT = "111122223333"
S3_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def allow(*actions: str, resource: str = "*", effect: str = "Allow") -> str:
    """A one-statement identity policy."""
    statement = {"Effect": effect, "Action": list(actions), "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def trust(principal: str) -> str:
    """A trust policy letting `principal` (an AWS principal) assume the role."""
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def iam_client(
    gateway: Gateway, key: str = ACCESS_KEY, secret: str = SECRET_KEY, **config: Any
) -> BaseClient:
    """boto3's iam client for the gateway, signing with the given key."""
    return boto3.client(
        "iam",
        endpoint_url=f"http://iam.localhost:{gateway.port}",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, proxies={"http": gateway.endpoint}, **config),
    )


def s3_client(gateway: Gateway, key: str, secret: str) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a ClientError."""
    response: Any = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def iam(gateway: Gateway) -> BaseClient:
    return iam_client(gateway)


@pytest.fixture(scope="session")
def other_account(gateway: Gateway) -> NewAccount:
    """A second account, made with `mrap account create` beside the running gateway."""
    return create_account(gateway.data_dir)


@pytest.fixture
def user(iam: BaseClient) -> Iterator[str]:
    """A fresh user of the bootstrap account."""
    user_name = name("user")
    iam.create_user(UserName=user_name)
    yield user_name


def user_with_key(
    iam: BaseClient, gateway: Gateway, policy: str | None = None
) -> tuple[str, BaseClient]:
    """A new user (with an inline policy if given) and an iam client signing as that user."""
    user_name = name("caller")
    iam.create_user(UserName=user_name)
    if policy is not None:
        iam.put_user_policy(UserName=user_name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return user_name, iam_client(gateway, key["AccessKeyId"], key["SecretAccessKey"])


# users


def test_user_lifecycle_with_path_and_tags(iam: BaseClient) -> None:
    user_name = name("alice")
    made = iam.create_user(
        UserName=user_name, Path="/division/", Tags=[{"Key": "team", "Value": "a"}]
    )["User"]
    assert made["UserName"] == user_name and made["Path"] == "/division/"
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/division/{user_name}"
    assert made["UserId"].startswith("AIDA") and len(made["UserId"]) == 21
    assert made["Tags"] == [{"Key": "team", "Value": "a"}]
    # Names compare without case.
    got = iam.get_user(UserName=user_name.upper())["User"]
    assert (got["UserName"], got["UserId"], got["CreateDate"]) == (
        user_name,
        made["UserId"],
        made["CreateDate"],
    )
    listed = iam.list_users(PathPrefix="/division/")["Users"]
    assert user_name in [u["UserName"] for u in listed]
    assert all(u["Path"].startswith("/division/") for u in listed)
    iam.delete_user(UserName=user_name)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=user_name)
    assert error(exc) == ("NoSuchEntity", 404, f"The user with name {user_name} cannot be found.")
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user_name)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_list_users_pages_with_marker(iam: BaseClient) -> None:
    path = f"/{name('page')}/"
    made = sorted(name("u") for _ in range(5))
    for user_name in made:
        iam.create_user(UserName=user_name, Path=path)
    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and [u["UserName"] for u in first["Users"]] == made[:2]
    second = iam.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == made[2:4]
    pages = iam.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}
    )
    assert [u["UserName"] for page in pages for u in page["Users"]] == made


def test_duplicate_names_are_refused_without_regard_to_case(iam: BaseClient, user: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=user.upper())
    assert error(exc) == (
        "EntityAlreadyExists",
        409,
        f"User with name {user.upper()} already exists.",
    )


def test_get_user_without_a_name_is_the_caller(iam: BaseClient, gateway: Gateway) -> None:
    root = iam.get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and root["UserId"] == ACCOUNT
    user_name, as_user = user_with_key(iam, gateway, allow("iam:GetUser"))
    me = as_user.get_user()["User"]
    assert me["UserName"] == user_name
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user_name}"


# access keys


def test_access_key_lifecycle_and_quota(iam: BaseClient, gateway: Gateway, user: str) -> None:
    first = iam.create_access_key(UserName=user)["AccessKey"]
    assert first["UserName"] == user and first["Status"] == "Active"
    assert first["AccessKeyId"].startswith("AKIA") and len(first["AccessKeyId"]) == 20
    assert len(first["SecretAccessKey"]) == 40
    second = iam.create_access_key(UserName=user)["AccessKey"]
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=user)
    assert error(exc) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [first["AccessKeyId"], second["AccessKeyId"]]
    assert all("SecretAccessKey" not in k for k in listed)
    iam.delete_access_key(UserName=user, AccessKeyId=second["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=user, AccessKeyId=second["AccessKeyId"])
    assert error(exc) == (
        "NoSuchEntity",
        404,
        f"The Access Key with id {second['AccessKeyId']} cannot be found.",
    )
    assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == 1


def test_user_key_authenticates_s3_until_deactivated(
    iam: BaseClient, gateway: Gateway, user: str
) -> None:
    key = iam.create_access_key(UserName=user)["AccessKey"]
    s3 = s3_client(gateway, key["AccessKeyId"], key["SecretAccessKey"])

    def outcome() -> str:
        try:
            s3.list_buckets()
        except ClientError as e:
            return str(e.response["Error"]["Code"])
        return "ok"

    # Authentication works; authorization is the policies' business.
    assert outcome() in ("ok", "AccessDenied")
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    status = iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["Status"]
    assert status == "Inactive"
    assert outcome() == "InvalidAccessKeyId"
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert outcome() in ("ok", "AccessDenied")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    assert outcome() == "InvalidAccessKeyId"


def test_keys_of_another_user_cannot_be_touched(iam: BaseClient, user: str) -> None:
    other = name("other")
    iam.create_user(UserName=other)
    key = iam.create_access_key(UserName=other)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    assert iam.list_access_keys(UserName=other)["AccessKeyMetadata"][0]["Status"] == "Active"


# inline policies


def test_inline_user_policy_round_trip(iam: BaseClient, user: str) -> None:
    document = allow("s3:GetObject", resource="arn:aws:s3:::bucket/*")
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=document)
    got = iam.get_user_policy(UserName=user, PolicyName="read")
    # IAM returns the document percent-encoded; boto3 decodes it back to JSON.
    assert got["PolicyDocument"] == json.loads(document)
    assert (got["UserName"], got["PolicyName"]) == (user, "read")
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["read"]
    iam.delete_user_policy(UserName=user, PolicyName="read")
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    with pytest.raises(ClientError) as exc:
        iam.get_user_policy(UserName=user, PolicyName="read")
    assert error(exc) == ("NoSuchEntity", 404, "The user policy with name read cannot be found.")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "Syntax errors in policy."),
        ('{"Version": "2012-10-17"}', "Syntax errors in policy."),
        (json.dumps({"Version": "2000-01-01", "Statement": S3_ALL["Statement"]}), None),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:*",
                            "Resource": "*",
                            "Condition": {"StringFroz": {"a:b": "c"}},
                        }
                    ],
                }
            ),
            None,
        ),
    ],
)
def test_malformed_policies_are_refused_and_change_nothing(
    iam: BaseClient, user: str, document: str, message: str | None
) -> None:
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="bad", PolicyDocument=document)
    code, status, text = error(exc)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    if message is not None:
        assert text == message
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []


def test_inline_policies_of_a_user_share_a_size_quota(iam: BaseClient, user: str) -> None:
    # 2,048 characters for all of a user's inline policies, white space not counted.
    big = allow(*[f"s3:GetObject{i:04d}x" for i in range(70)])
    iam.put_user_policy(UserName=user, PolicyName="one", PolicyDocument=big)
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="two", PolicyDocument=big)
    assert error(exc) == (
        "LimitExceeded",
        409,
        f"Maximum policy size of 2048 bytes exceeded for user {user}",
    )
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["one"]
    # Replacing a policy counts only its new size.
    iam.put_user_policy(UserName=user, PolicyName="one", PolicyDocument=big)


# managed policies


def test_customer_managed_policy_lifecycle(iam: BaseClient, user: str) -> None:
    policy_name = name("pol")
    document = allow("s3:ListBucket", resource="arn:aws:s3:::b")
    made = iam.create_policy(
        PolicyName=policy_name, Path="/team/", PolicyDocument=document, Description="d"
    )["Policy"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/team/{policy_name}"
    assert (
        made["Arn"] == arn and made["PolicyId"].startswith("ANPA") and len(made["PolicyId"]) == 21
    )
    assert (made["DefaultVersionId"], made["AttachmentCount"], made["IsAttachable"]) == (
        "v1",
        0,
        True,
    )
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(document) and version["IsDefaultVersion"] is True
    with pytest.raises(ClientError) as exc:
        iam.get_policy_version(PolicyArn=arn, VersionId="v2")
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": policy_name, "PolicyArn": arn}]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.detach_user_policy(UserName=user, PolicyArn=arn)
    assert error(exc) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error(exc) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")


def test_managed_policy_names_and_size_are_checked(iam: BaseClient) -> None:
    policy_name = name("dup")
    iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(S3_ALL))
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(S3_ALL))
    assert error(exc) == (
        "EntityAlreadyExists",
        409,
        f"A policy called {policy_name} already exists. Duplicate names are not allowed.",
    )
    huge = allow(*[f"s3:GetObject{i:05d}" for i in range(400)])
    big_name = name("big")
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=big_name, PolicyDocument=huge)
    assert error(exc) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    with pytest.raises(ClientError):
        iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{big_name}")


def test_aws_managed_policies_are_attachable(iam: BaseClient, user: str) -> None:
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (policy["PolicyName"], policy["PolicyId"], policy["DefaultVersionId"]) == (
        "AmazonS3ReadOnlyAccess",
        "ANPAIZTJ4DXE7G6AGAE6M",
        "v3",
    )
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]
    assert "s3:Get*" in document["Statement"][0]["Action"]
    admin = iam.get_policy_version(
        PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId="v1"
    )
    assert admin["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "*"
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    names = [
        p["PolicyName"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    ]
    assert names == ["AmazonS3FullAccess", "AmazonS3ReadOnlyAccess"]
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert error(exc) == (
        "NoSuchEntity",
        404,
        "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
    )
    aws_listed = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert {"AdministratorAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess"} <= set(
        aws_listed
    )


def test_at_most_ten_managed_policies_per_user(iam: BaseClient, user: str) -> None:
    arns = [
        iam.create_policy(PolicyName=name("q"), PolicyDocument=json.dumps(S3_ALL))["Policy"]["Arn"]
        for _ in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    assert error(exc) == ("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
    assert len(iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]) == 10


# groups


def test_groups_members_and_policies(iam: BaseClient, user: str) -> None:
    group = name("group")
    made = iam.create_group(GroupName=group, Path="/g/")["Group"]
    assert (
        made["GroupId"].startswith("AGPA")
        and made["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/g/{group}"
    )
    with pytest.raises(ClientError) as exc:
        iam.create_group(GroupName=group)
    assert error(exc) == ("EntityAlreadyExists", 409, f"Group with name {group} already exists.")
    iam.add_user_to_group(GroupName=group, UserName=user)
    got = iam.get_group(GroupName=group)
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert group in [g["GroupName"] for g in iam.list_groups(PathPrefix="/g/")["Groups"]]
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=json.dumps(S3_ALL))
    assert iam.get_group_policy(GroupName=group, PolicyName="gp")["PolicyDocument"] == S3_ALL
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    attached = iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonS3FullAccess"]

    conflicts: list[tuple[Callable[[], object], str]] = [
        (
            lambda: iam.delete_group(GroupName=group),
            "Cannot delete entity, must remove users from group first.",
        ),
        (
            lambda: iam.delete_user(UserName=user),
            "Cannot delete entity, must remove users from group first.",
        ),
    ]
    for call, message in conflicts:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("DeleteConflict", 409, message)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    )
    iam.delete_group_policy(GroupName=group, PolicyName="gp")
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    )
    iam.detach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    iam.delete_group(GroupName=group)
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=group)
    assert error(exc) == ("NoSuchEntity", 404, f"The group with name {group} cannot be found.")


def test_add_to_group_needs_both_to_exist(iam: BaseClient, user: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=name("nogroup"), UserName=user)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    group = name("g")
    iam.create_group(GroupName=group)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=group, UserName="nobody-here")
    assert error(exc) == ("NoSuchEntity", 404, "The user with name nobody-here cannot be found.")
    assert iam.get_group(GroupName=group)["Users"] == []


# deleting users


def test_delete_user_needs_keys_and_policies_gone_first(iam: BaseClient, user: str) -> None:
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(S3_ALL))
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    steps: list[tuple[str, Callable[[], object]]] = [
        (
            "Cannot delete entity, must delete access keys first.",
            lambda: iam.delete_access_key(UserName=user, AccessKeyId=key),
        ),
        (
            "Cannot delete entity, must delete policies first.",
            lambda: iam.delete_user_policy(UserName=user, PolicyName="p"),
        ),
        (
            "Cannot delete entity, must detach all policies first.",
            lambda: iam.detach_user_policy(
                UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess"
            ),
        ),
    ]
    for message, fix in steps:
        with pytest.raises(ClientError) as exc:
            iam.delete_user(UserName=user)
        assert error(exc) == ("DeleteConflict", 409, message)
        assert iam.get_user(UserName=user)["User"]["UserName"] == user
        fix()
    iam.delete_user(UserName=user)


# roles


def test_role_lifecycle(iam: BaseClient) -> None:
    role = name("role")
    policy = trust(f"arn:aws:iam::{ACCOUNT}:root")
    made = iam.create_role(
        RoleName=role,
        Path="/svc/",
        AssumeRolePolicyDocument=policy,
        Description="r",
        MaxSessionDuration=7200,
    )["Role"]
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/{role}"
    assert made["RoleId"].startswith("AROA") and len(made["RoleId"]) == 21
    assert made["AssumeRolePolicyDocument"] == json.loads(policy)
    got = iam.get_role(RoleName=role)["Role"]
    assert (got["MaxSessionDuration"], got["Description"]) == (7200, "r")
    assert role in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=json.dumps(S3_ALL))
    assert iam.get_role_policy(RoleName=role, PolicyName="inline")["PolicyDocument"] == S3_ALL
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["inline"]
    full = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    iam.attach_role_policy(RoleName=role, PolicyArn=full)
    assert (
        iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"] == full
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    )
    iam.delete_role_policy(RoleName=role, PolicyName="inline")
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    )
    iam.detach_role_policy(RoleName=role, PolicyArn=full)
    iam.delete_role(RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role)
    assert error(exc) == ("NoSuchEntity", 404, f"The role with name {role} cannot be found.")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}],
                }
            ),
            "Missing required field Principal",
        ),
        (
            trust("arn:aws:iam::111122223333:user/no-such-user-here"),
            'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/no-such-user-here"',
        ),
        ("{", "Syntax errors in policy."),
    ],
)
def test_bad_trust_policies_create_no_role(iam: BaseClient, document: str, message: str) -> None:
    role = name("badrole")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=document)
    assert error(exc) == ("MalformedPolicyDocument", 400, message)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_trust_policy_may_name_existing_users_and_accounts(
    iam: BaseClient, user: str, other_account: NewAccount
) -> None:
    role = name("trusting")
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/{user}", other_account.id]},
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    made = iam.create_role(RoleName=role, AssumeRolePolicyDocument=document)["Role"]
    assert made["AssumeRolePolicyDocument"] == json.loads(document)


# the whole account


def test_account_authorization_details(iam: BaseClient, user: str) -> None:
    group, role = name("adg"), name("adr")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="mine", PolicyDocument=json.dumps(S3_ALL))
    policy_arn = iam.create_policy(PolicyName=name("adp"), PolicyDocument=json.dumps(S3_ALL))[
        "Policy"
    ]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(ACCOUNT))
    pages = iam.get_paginator("get_account_authorization_details").paginate()
    details: dict[str, list[Any]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for page in pages:
        for section, items in details.items():
            items.extend(page[section])
    mine = next(u for u in details["UserDetailList"] if u["UserName"] == user)
    assert mine["GroupList"] == [group]
    assert mine["UserPolicyList"] == [{"PolicyName": "mine", "PolicyDocument": S3_ALL}]
    their_group = next(g for g in details["GroupDetailList"] if g["GroupName"] == group)
    assert their_group["AttachedManagedPolicies"][0]["PolicyArn"] == policy_arn
    their_role = next(r for r in details["RoleDetailList"] if r["RoleName"] == role)
    assert their_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": ACCOUNT}
    policy = next(p for p in details["Policies"] if p["Arn"] == policy_arn)
    assert policy["AttachmentCount"] == 1
    assert policy["PolicyVersionList"][0]["Document"] == S3_ALL
    only_roles = iam.get_account_authorization_details(Filter=["Role"], MaxItems=1000)
    assert only_roles["UserDetailList"] == [] and only_roles["RoleDetailList"]


# bad input


def test_missing_and_invalid_parameters_are_validation_errors(gateway: Gateway) -> None:
    # boto3 would refuse these itself; with its validation off they reach the gateway.
    raw = iam_client(gateway, parameter_validation=False)
    with pytest.raises(ClientError) as exc:
        raw.create_user()
    assert error(exc) == (
        "ValidationError",
        400,
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
        "Member must not be null",
    )
    with pytest.raises(ClientError) as exc:
        raw.put_user_policy(UserName="bad name!", PolicyName="p")
    assert error(exc) == (
        "ValidationError",
        400,
        "2 validation errors detected: Value 'bad name!' at 'userName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value null "
        "at 'policyDocument' failed to satisfy constraint: Member must not be null",
    )
    with pytest.raises(ClientError) as exc:
        raw.create_user(UserName="x" * 65)
    assert error(exc)[2].endswith("Member must have length less than or equal to 64")
    with pytest.raises(ClientError) as exc:
        raw.update_access_key(AccessKeyId="AKIAAAAAAAAAAAAAAAAA", Status="Paused")
    assert error(exc)[:2] == ("ValidationError", 400)
    assert "Member must satisfy enum value set: [Active, Inactive, Expired]" in error(exc)[2]
    with pytest.raises(ClientError) as exc:
        raw.list_users(MaxItems=0)
    assert error(exc)[:2] == ("ValidationError", 400)


def test_permissions_boundaries_are_refused_not_ignored(iam: BaseClient) -> None:
    user_name = name("bounded")
    boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=user_name, PermissionsBoundary=boundary)
    assert error(exc)[:2] == ("NotImplemented", 501)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=user_name)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


# authorization


def test_user_without_iam_permissions_is_denied(iam: BaseClient, gateway: Gateway) -> None:
    user_name, as_user = user_with_key(iam, gateway)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user_name}"
    with pytest.raises(ClientError) as exc:
        as_user.list_users()
    assert error(exc) == (
        "AccessDenied",
        403,
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the "
        "iam:ListUsers action",
    )
    victim = name("victim")
    with pytest.raises(ClientError) as exc:
        as_user.create_user(UserName=victim)
    assert error(exc)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=victim)
    assert error(exc)[0] == "NoSuchEntity"


def test_iam_permissions_come_from_policies(iam: BaseClient, gateway: Gateway) -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:CreateUser", "iam:GetUser", "iam:ListUsers"],
                    "Resource": "*",
                },
                {
                    "Effect": "Deny",
                    "Action": "iam:CreateUser",
                    "Resource": f"arn:aws:iam::{ACCOUNT}:user/admin-*",
                },
            ],
        }
    )
    user_name, as_user = user_with_key(iam, gateway, policy)
    created = name("made-by-user")
    as_user.create_user(UserName=created)
    assert as_user.get_user(UserName=created)["User"]["UserName"] == created
    assert created in [u["UserName"] for u in as_user.list_users()["Users"]]
    with pytest.raises(ClientError) as exc:
        as_user.create_user(UserName="admin-" + created)
    assert error(exc) == (
        "AccessDenied",
        403,
        f"User: arn:aws:iam::{ACCOUNT}:user/{user_name} is not authorized to perform: "
        f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/admin-{created} with an "
        "explicit deny in an identity-based policy",
    )
    # Permissions granted through a group work the same way.
    group = name("admins")
    iam.create_group(GroupName=group)
    iam.put_group_policy(
        GroupName=group, PolicyName="groups", PolicyDocument=allow("iam:CreateGroup")
    )
    with pytest.raises(ClientError):
        as_user.create_group(GroupName=name("g"))
    iam.add_user_to_group(GroupName=group, UserName=user_name)
    as_user.create_group(GroupName=name("g"))


def test_role_sessions_act_with_the_role_policies(iam: BaseClient, gateway: Gateway) -> None:
    # Roots may not assume roles: a user allowed to assume it does.
    user_name = name("assumer")
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="a", PolicyDocument=allow("sts:AssumeRole"))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    role = name("operator")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{user_name}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(user_arn))
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=allow("iam:ListRoles"))
    sts = boto3.client(
        "sts",
        endpoint_url=f"http://sts.localhost:{gateway.port}",
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, proxies={"http": gateway.endpoint}),
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="s1")
    session = boto3.client(
        "iam",
        endpoint_url=f"http://iam.localhost:{gateway.port}",
        region_name="us-east-1",
        aws_access_key_id=creds["Credentials"]["AccessKeyId"],
        aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
        aws_session_token=creds["Credentials"]["SessionToken"],
        config=Config(retries={"max_attempts": 1}, proxies={"http": gateway.endpoint}),
    )
    assert role in [r["RoleName"] for r in session.list_roles()["Roles"]]
    with pytest.raises(ClientError) as exc:
        session.create_user(UserName=name("nope"))
    code, status, message = error(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/s1 is not authorized to perform: "
        "iam:CreateUser"
    )
    # Without a user name, key operations need a user: a role session has none.
    with pytest.raises(ClientError) as exc:
        session.list_access_keys()
    assert error(exc) == (
        "ValidationError",
        400,
        "Must specify userName when calling with non-User credentials",
    )


def test_accounts_are_isolated(
    iam: BaseClient, gateway: Gateway, other_account: NewAccount
) -> None:
    theirs = iam_client(gateway, other_account.access_key_id, other_account.secret)
    shared = name("same-name")
    mine = iam.create_user(UserName=shared)["User"]
    other = theirs.create_user(UserName=shared)["User"]
    assert other["Arn"] == f"arn:aws:iam::{other_account.id}:user/{shared}"
    assert other["UserId"] != mine["UserId"]
    only_mine = name("only-mine")
    iam.create_user(UserName=only_mine)
    with pytest.raises(ClientError) as exc:
        theirs.get_user(UserName=only_mine)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    assert only_mine not in [u["UserName"] for u in theirs.list_users()["Users"]]
    assert theirs.get_user()["User"]["Arn"] == f"arn:aws:iam::{other_account.id}:root"
    my_policy = iam.create_policy(PolicyName=name("private"), PolicyDocument=json.dumps(S3_ALL))[
        "Policy"
    ]["Arn"]
    with pytest.raises(ClientError) as exc:
        theirs.attach_user_policy(UserName=shared, PolicyArn=my_policy)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        theirs.get_policy(PolicyArn=my_policy)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


# the identity seam


def test_identity_cache_sees_changes_made_by_another_connection(tmp_path: Path) -> None:
    # Two gateway workers share the database file: one's change must reach the other's cache.
    path = tmp_path / "control.db"
    first, second = ControlStore(path), ControlStore(path)
    try:
        first.ensure_account(ACCOUNT)
        reader, writer = IdentityStore(first), IdentityStore(second)
        user = writer.repo.create_user(ACCOUNT, "worker", "/", ())
        seen = reader.identity(user.arn)
        assert seen is not None and seen.documents == ()
        assert reader.identity(user.arn) is seen  # cached
        writer.repo.put_inline(
            ACCOUNT, Kind.USER, "worker", InlinePolicy("p", json.dumps(S3_ALL)), 2048, len
        )
        updated = reader.identity(user.arn)
        assert updated is not None and updated.documents == (json.dumps(S3_ALL),)
        writer.repo.delete_inline(ACCOUNT, Kind.USER, "worker", "p")
        writer.repo.delete_user(ACCOUNT, "worker")
        assert reader.identity(user.arn) is None
        root = reader.identity(f"arn:aws:iam::{ACCOUNT}:root")
        assert root is not None and root.kind == "root"
        assert reader.identity("arn:aws:iam::999999999999:root") is None
    finally:
        first.close()
        second.close()


def test_failed_transaction_leaves_no_rows(tmp_path: Path) -> None:
    store = ControlStore(tmp_path / "control.db")
    try:
        store.ensure_account(ACCOUNT)
        identities = IdentityStore(store)
        identities.repo.create_user(ACCOUNT, "dup", "/", ())
        with pytest.raises(Exception, match="already exists"):
            identities.repo.create_user(ACCOUNT, "DUP", "/", ())
        rows = (
            sqlite3.connect(tmp_path / "control.db")
            .execute("SELECT count(*) FROM iam_users")
            .fetchone()
        )
        assert rows == (1,)
    finally:
        store.close()
