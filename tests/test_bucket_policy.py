"""Bucket policies, authorization through the policy engine, and Block Public Access.

Through boto3 as the bootstrap account (the bucket owner), a second account, and anonymous.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway
from test_accounts import NewAccount, client, create_account, error_of

from mrap.config import BOOTSTRAP_ACCOUNT
from mrap.store.control import ControlStore
from mrap.store.control_records import BucketRecord


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> NewAccount:
    """A second account, shared by the tests of this module."""
    return create_account(gateway.data_dir)


@pytest.fixture
def s3b(gateway: Gateway, other: NewAccount) -> BaseClient:
    """The second account's client."""
    return client(gateway, other)


@pytest.fixture
def anon(gateway: Gateway) -> BaseClient:
    """An unsigned client."""
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}


def deny(principal: Any, action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource}


def unblock(s3: BaseClient, bucket: str) -> None:
    """Turn Block Public Access off for a bucket."""
    s3.delete_public_access_block(Bucket=bucket)


# step 1: the policy operations


def test_put_get_delete_round_trip(s3: BaseClient, bucket: str) -> None:
    doc = policy(allow({"AWS": "111122223333"}, "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", 404)
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(doc)
    response = s3.delete_bucket_policy(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", 404)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{",
        '{"Version": "2012-10-17"}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",'
        ' "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/*"}]}',
    ],
)
def test_malformed_policies_are_refused(s3: BaseClient, bucket: str, text: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=text.replace("BUCKET", bucket))
    assert error_of(exc) == ("MalformedPolicy", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", 404)


def test_policy_must_name_its_bucket(s3: BaseClient, bucket: str) -> None:
    doc = policy(allow({"AWS": "111122223333"}, "s3:GetObject", "arn:aws:s3:::elsewhere/*"))
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert error_of(exc) == ("MalformedPolicy", 400)


def test_policy_over_20_kb_is_refused(s3: BaseClient, bucket: str) -> None:
    statements = [
        {**allow({"AWS": "111122223333"}, "s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
         "Sid": f"S{i:04d}" + "x" * 60}
        for i in range(250)
    ]  # fmt: skip
    doc = policy(*statements)
    assert len(doc) > 20 * 1024
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert error_of(exc)[1] == 400
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", 404)


def test_only_the_owner_manages_the_policy(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    doc = policy(
        allow({"AWS": other.id}, "s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    calls: tuple[Callable[[], object], ...] = (
        lambda: s3b.get_bucket_policy(Bucket=bucket),
        lambda: s3b.put_bucket_policy(Bucket=bucket, Policy=doc),
        lambda: s3b.delete_bucket_policy(Bucket=bucket),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AccessDenied", 403)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == doc


# step 2: authorization through the engine


def test_other_account_reads_with_a_grant(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"hello")
    with pytest.raises(ClientError) as exc:
        s3b.get_object(Bucket=bucket, Key="a.txt")
    assert error_of(exc) == ("AccessDenied", 403)
    doc = policy(
        allow({"AWS": f"arn:aws:iam::{other.id}:root"}, "s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
        allow({"AWS": other.id}, "s3:ListBucket", f"arn:aws:s3:::{bucket}"),
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert s3b.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    listed = s3b.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["a.txt"]
    # What the policy does not grant stays denied.
    with pytest.raises(ClientError) as exc:
        s3b.put_object(Bucket=bucket, Key="b.txt", Body=b"x")
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3b.delete_object(Bucket=bucket, Key="a.txt")
    assert error_of(exc) == ("AccessDenied", 403)


def test_grant_with_a_prefix_condition(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    statement = allow({"AWS": other.id}, "s3:ListBucket", f"arn:aws:s3:::{bucket}")
    statement["Condition"] = {"StringEquals": {"s3:prefix": "public/"}}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement))
    s3b.list_objects_v2(Bucket=bucket, Prefix="public/")
    with pytest.raises(ClientError) as exc:
        s3b.list_objects_v2(Bucket=bucket, Prefix="private/")
    assert error_of(exc) == ("AccessDenied", 403)


def test_anonymous_needs_a_policy(s3: BaseClient, anon: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="pub.txt", Body=b"public")
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="pub.txt")
    assert error_of(exc) == ("AccessDenied", 403)
    unblock(s3, bucket)
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(allow("*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    )
    assert anon.get_object(Bucket=bucket, Key="pub.txt")["Body"].read() == b"public"
    with pytest.raises(ClientError) as exc:
        anon.put_object(Bucket=bucket, Key="x.txt", Body=b"x")
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        anon.list_objects_v2(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)


def test_explicit_deny_binds_the_owner_but_not_the_policy_operations(
    s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"x")
    doc = policy(
        deny("*", ["s3:GetObject", "s3:*Policy"], [f"arn:aws:s3:::{bucket}/secret*",
                                                   f"arn:aws:s3:::{bucket}"]),
    )  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=doc)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="secret.txt")
    code, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    message = exc.value.response["Error"]["Message"]
    assert f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:root" in message
    assert "explicit deny in a resource-based policy" in message
    # Other objects and the policy operations still work for the owner.
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"y")
    assert s3.get_object(Bucket=bucket, Key="other.txt")["Body"].read() == b"y"
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == doc
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"x"


def test_deny_on_a_condition(s3: BaseClient, bucket: str) -> None:
    statement = deny("*", "s3:PutObject", f"arn:aws:s3:::{bucket}/*")
    statement["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement))
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # the gateway is plain HTTP
    assert error_of(exc) == ("AccessDenied", 403)


def test_copy_needs_read_on_the_source(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"data")
    target = "test-" + secrets.token_hex(6)
    s3b.create_bucket(Bucket=target)
    with pytest.raises(ClientError) as exc:
        s3b.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert error_of(exc) == ("AccessDenied", 403)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(allow({"AWS": other.id}, "s3:GetObject", f"arn:aws:s3:::{bucket}/src")),
    )
    s3b.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3b.get_object(Bucket=target, Key="dst")["Body"].read() == b"data"


# step 3: Block Public Access


def test_new_buckets_block_all_public_access(s3: BaseClient, bucket: str) -> None:
    config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert config == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert error_of(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "IgnorePublicAcls": False},
    )
    config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert config == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }


def test_block_public_policy_refuses_a_public_policy(s3: BaseClient, bucket: str) -> None:
    public = policy(allow("*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=public)
    assert error_of(exc) == ("AccessDenied", 403)
    # A policy naming an account is not public.
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(allow({"AWS": "111122223333"}, "s3:GetObject", f"arn:aws:s3:::{bucket}/*")),
    )
    status = s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]
    assert status == {"IsPublic": False}


def test_policy_status(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", 404)
    unblock(s3, bucket)
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(allow("*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    )
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}


def test_restrict_public_buckets(
    s3: BaseClient, s3b: BaseClient, anon: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    unblock(s3, bucket)
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(allow("*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    )
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True}
    )
    for caller in (anon, s3b):
        with pytest.raises(ClientError) as exc:
            caller.get_object(Bucket=bucket, Key="k")
        assert error_of(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_other_accounts_cannot_manage_public_access_block(s3b: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3b.get_public_access_block(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3b.delete_public_access_block(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)


def test_old_data_directories_gain_the_new_columns(tmp_path: Path) -> None:
    """A control database from before bucket policies opens, and its buckets have none."""
    path = tmp_path / "control.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE accounts (id TEXT PRIMARY KEY, canonical_id TEXT NOT NULL UNIQUE,
                               created REAL NOT NULL);
        CREATE TABLE buckets (name TEXT PRIMARY KEY, account_id TEXT NOT NULL,
                              region TEXT NOT NULL, created REAL NOT NULL);
        INSERT INTO accounts VALUES ('111122223333', 'c0ffee', 0);
        INSERT INTO buckets VALUES ('old-bucket', '111122223333', 'us-east-1', 0);
        """
    )
    conn.commit()
    conn.close()
    for _ in range(2):  # opening twice must not try to add the columns again
        store = ControlStore(path)
        record = store.get_bucket("old-bucket")
        assert record is not None
        assert (record.policy, record.public_access_block) == (None, None)
        store.close()
    store = ControlStore(path)
    store.set_bucket_policy("old-bucket", "{}")
    assert store.get_bucket("old-bucket") == BucketRecord(
        "old-bucket", "111122223333", "us-east-1", 0.0, "{}", None
    )
    store.close()


def test_delete_objects_authorizes_each_key(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    for key in ("tmp/a", "keep/b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3b.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}]})
    assert error_of(exc) == ("AccessDenied", 403)
    grant = allow({"AWS": other.id}, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/tmp/*")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(grant))
    response = s3b.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/b"}]}
    )
    assert [d["Key"] for d in response["Deleted"]] == ["tmp/a"]
    assert [(e["Key"], e["Code"]) for e in response["Errors"]] == [("keep/b", "AccessDenied")]
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["keep/b"]


def test_reading_a_version_needs_get_object_version(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="v", Body=b"1")["VersionId"]
    grant = allow({"AWS": other.id}, "s3:GetObject", f"arn:aws:s3:::{bucket}/*")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(grant))
    assert s3b.get_object(Bucket=bucket, Key="v")["Body"].read() == b"1"
    with pytest.raises(ClientError) as exc:
        s3b.get_object(Bucket=bucket, Key="v", VersionId=version)
    assert error_of(exc) == ("AccessDenied", 403)
    grant["Action"] = ["s3:GetObject", "s3:GetObjectVersion"]
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(grant))
    assert s3b.get_object(Bucket=bucket, Key="v", VersionId=version)["Body"].read() == b"1"
