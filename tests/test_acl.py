"""ACLs and Object Ownership, through boto3 as the bucket owner, a second account and anonymous
callers, raw HTTP for malformed input, and the aws CLI."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import boto3
import botocore
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import request
from test_accounts import NewAccount, client, create_account, error_of

from mrap.authz.acl_eval import acl_allows
from mrap.authz.acl_model import (
    CANONICAL_USER,
    EC2_CANONICAL_ID,
    GROUP,
    LOG_DELIVERY,
    Acl,
    Grant,
    Party,
    canned,
    loads,
)

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> NewAccount:
    """A second account, shared by the tests of this module."""
    return create_account(gateway.data_dir)


@pytest.fixture
def s3b(gateway: Gateway, other: NewAccount) -> BaseClient:
    return client(gateway, other)


@pytest.fixture
def anon(gateway: Gateway) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )


def canonical_id(s3: BaseClient) -> str:
    """The canonical user id of a client's account, as ListBuckets shows it."""
    return str(s3.list_buckets()["Owner"]["ID"])


def new_bucket(s3: BaseClient, ownership: str = "ObjectWriter", *, open_acls: bool = True) -> str:
    """A bucket with ACLs enabled; `open_acls` turns off its Block Public Access settings."""
    name = "acl-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    if open_acls:
        s3.delete_public_access_block(Bucket=name)
    return name


def grants(response: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, id or URI, permission) of each grant of a Get*Acl response."""
    found = []
    for grant in response["Grants"]:
        grantee = grant["Grantee"]
        found.append(
            (grantee["Type"], grantee.get("ID") or grantee.get("URI", ""), grant["Permission"])
        )
    return found


def owner_only(owner: str) -> dict[str, Any]:
    """An AccessControlPolicy granting the owner full control and nothing else."""
    return {
        "Owner": {"ID": owner},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}
        ],
    }


# Object Ownership


def test_new_buckets_have_acls_disabled(s3: BaseClient, bucket: str) -> None:
    owner = canonical_id(s3)
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    refused: list[Callable[[], object]] = [
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead=f"uri={ALL_USERS}"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="authenticated-read"),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
        lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{owner}"'),
    ]
    for call in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AccessControlListNotSupported", 400)
        assert exc.value.response["Error"]["Message"] == "The bucket does not allow ACLs"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # nothing was written
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # The bucket owner's full control, in any form, is accepted.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="g", Body=b"x", GrantFullControl=f'id="{owner}"')
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=owner_only(owner))
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert error_of(exc) == ("AccessControlListNotSupported", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k", ACL="public-read-write")
    assert error_of(exc) == ("AccessControlListNotSupported", 400)
    # Reading ACLs still works, and shows the owner's full control.
    for response in (
        s3.get_bucket_acl(Bucket=bucket),
        s3.get_object_acl(Bucket=bucket, Key="k"),
        s3.get_object_acl(Bucket=bucket, Key="g"),
    ):
        assert response["Owner"]["ID"] == owner
        assert grants(response) == [("CanonicalUser", owner, "FULL_CONTROL")]


def test_create_bucket_ownership_and_acl(s3: BaseClient) -> None:
    owner = canonical_id(s3)
    name = "acl-" + secrets.token_hex(6)
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name, ObjectOwnership="Nobody")
    assert error_of(exc) == ("InvalidArgument", 400)
    assert exc.value.response["Error"]["Message"] == (
        "Invalid x-amz-object-ownership header: Nobody"
    )
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name, ACL="public-read")
    assert error_of(exc) == ("InvalidBucketAclWithObjectOwnership", 400)
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter", ACL="public-read")
    assert error_of(exc) == ("InvalidBucketAclWithBlockPublicAccessError", 400)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404  # not created
    # A private ACL is the default and goes with ACLs disabled.
    s3.create_bucket(Bucket=name, ACL="private")
    assert grants(s3.get_bucket_acl(Bucket=name)) == [("CanonicalUser", owner, "FULL_CONTROL")]
    writer = "acl-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=writer, ObjectOwnership="ObjectWriter", GrantReadACP=f'id="{owner}"')
    rules = s3.get_bucket_ownership_controls(Bucket=writer)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    assert grants(s3.get_bucket_acl(Bucket=writer)) == [("CanonicalUser", owner, "READ_ACP")]


def test_ownership_controls_crud(s3: BaseClient, bucket: str) -> None:
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=controls)
    got = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert got == controls
    bad: dict[str, Any]
    for bad in (
        {"Rules": [{"ObjectOwnership": "ObjectWriter"}, {"ObjectOwnership": "ObjectWriter"}]},
        {"Rules": [{"ObjectOwnership": "Everyone"}]},
        {"Rules": []},
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=bad)
        assert error_of(exc) == ("MalformedXML", 400)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == controls
    response = s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert error_of(exc) == ("OwnershipControlsNotFoundError", 404)
    # Without controls a bucket behaves as ObjectWriter: ACLs count.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert ("Group", ALL_USERS, "READ") in grants(s3.get_bucket_acl(Bucket=bucket))
    # ACLs cannot be disabled while the bucket ACL grants others.
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)
    assert error_of(exc) == ("InvalidBucketAclWithObjectOwnership", 400)
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)


def test_ownership_controls_of_another_account_are_denied(
    s3: BaseClient, s3b: BaseClient, bucket: str
) -> None:
    with pytest.raises(ClientError) as exc:
        s3b.get_bucket_ownership_controls(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3b.delete_bucket_ownership_controls(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


# ACLs in authorization


def test_public_read_object_is_readable_anonymously(s3: BaseClient, anon: BaseClient) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="public", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="private", Body=b"secret")
    assert anon.get_object(Bucket=bucket, Key="public")["Body"].read() == b"hello"
    assert anon.head_object(Bucket=bucket, Key="public")["ContentLength"] == 5
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="private")
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        anon.list_objects_v2(Bucket=bucket)  # the object's grant says nothing of the bucket
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        anon.get_object_acl(Bucket=bucket, Key="public")  # READ is not READ_ACP
    assert error_of(exc) == ("AccessDenied", 403)
    owner = canonical_id(s3)
    assert grants(s3.get_object_acl(Bucket=bucket, Key="public")) == [
        ("CanonicalUser", owner, "FULL_CONTROL"),
        ("Group", ALL_USERS, "READ"),
    ]
    # A public-read-write bucket lets anyone list and write.
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    assert anon.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    anon.put_object(Bucket=bucket, Key="dropped", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="dropped")["Body"].read() == b"x"


def test_authenticated_read_is_for_signed_callers(
    s3: BaseClient, s3b: BaseClient, anon: BaseClient
) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="authenticated-read")
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("AccessDenied", 403)


def test_block_public_acls_refuses_public_acls(s3: BaseClient) -> None:
    bucket = new_bucket(s3, open_acls=False)  # new buckets block all public access
    refused: list[Callable[[], object]] = [
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead=f"uri={ALL_USERS}"),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="public-read-write"),
    ]
    for call in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AccessDenied", 403)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=bucket, Key="k", GrantRead=f'uri="{AUTHENTICATED_USERS}"')
    assert error_of(exc) == ("AccessDenied", 403)
    owner = canonical_id(s3)
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [
        ("CanonicalUser", owner, "FULL_CONTROL")
    ]
    # Non-public ACLs are still fine.
    s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ACL="bucket-owner-read")
    s3.put_bucket_acl(Bucket=bucket, ACL="log-delivery-write")


def test_ignore_public_acls_ignores_them(s3: BaseClient, anon: BaseClient) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": True},
    )
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("AccessDenied", 403)
    # Still stored, and new public ACLs may still be set.
    assert ("Group", ALL_USERS, "READ") in grants(s3.get_object_acl(Bucket=bucket, Key="k"))
    s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ACL="public-read")
    s3.delete_public_access_block(Bucket=bucket)
    assert anon.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"x"


def test_cross_account_grants_by_canonical_id(
    s3: BaseClient, s3b: BaseClient, other: NewAccount
) -> None:
    bucket = new_bucket(s3, open_acls=False)
    theirs = canonical_id(s3b)
    s3.put_object(Bucket=bucket, Key="k", Body=b"shared")
    with pytest.raises(ClientError) as exc:
        s3b.get_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("AccessDenied", 403)
    s3.put_object_acl(Bucket=bucket, Key="k", GrantRead=f'id="{theirs}"')
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"shared"
    response = s3.get_object_acl(Bucket=bucket, Key="k")
    assert grants(response) == [("CanonicalUser", theirs, "READ")]
    assert response["Grants"][0]["Grantee"]["DisplayName"] == other.id
    with pytest.raises(ClientError) as exc:
        s3b.list_objects_v2(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    # Bucket grants: READ lists, WRITE writes, and the writer owns what it writes.
    mine = canonical_id(s3)
    policy = {
        "Owner": {"ID": mine},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": mine}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": theirs}, "Permission": "READ"},
            {"Grantee": {"Type": "CanonicalUser", "ID": theirs}, "Permission": "WRITE"},
        ],
    }
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
    assert s3b.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    s3b.put_object(Bucket=bucket, Key="from-b", Body=b"b")
    written = s3b.get_object_acl(Bucket=bucket, Key="from-b")
    assert written["Owner"]["ID"] == theirs
    assert grants(written) == [("CanonicalUser", theirs, "FULL_CONTROL")]
    # The writer's object is not the bucket owner's: it reads it only when the ACL says so.
    for call in (s3.get_object, s3.get_object_acl):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key="from-b")
        assert error_of(exc) == ("AccessDenied", 403)
    s3b.put_object_acl(Bucket=bucket, Key="from-b", GrantRead=f'id="{mine}"')
    assert s3.get_object(Bucket=bucket, Key="from-b")["Body"].read() == b"b"
    s3.delete_object(Bucket=bucket, Key="from-b")  # the bucket owner may still delete it
    with pytest.raises(ClientError) as exc:
        s3b.get_bucket_acl(Bucket=bucket)  # READ is not READ_ACP
    assert error_of(exc) == ("AccessDenied", 403)
    # bucket-owner-full-control under BucketOwnerPreferred hands the object to the owner.
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    s3b.put_object(Bucket=bucket, Key="handed", Body=b"b", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=bucket, Key="handed")["Owner"]["ID"] == mine


def test_explicit_deny_beats_an_acl_grant(s3: BaseClient, s3b: BaseClient) -> None:
    bucket = new_bucket(s3, open_acls=False)
    theirs = canonical_id(s3b)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead=f'id="{theirs}"')
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )
    with pytest.raises(ClientError) as exc:
        s3b.get_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("AccessDenied", 403)


def test_acls_do_not_count_once_disabled(s3: BaseClient, anon: BaseClient) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("AccessDenied", 403)
    owner = canonical_id(s3)
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [
        ("CanonicalUser", owner, "FULL_CONTROL")
    ]
    # Re-enabling ACLs restores the object's ACL.
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    assert anon.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


# ACLs on writes


def test_copy_gets_the_default_acl_unless_its_headers_set_one(s3: BaseClient) -> None:
    bucket = new_bucket(s3)
    owner = canonical_id(s3)
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", ACL="public-read")
    s3.copy_object(Bucket=bucket, Key="plain", CopySource=f"{bucket}/src")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="plain")) == [
        ("CanonicalUser", owner, "FULL_CONTROL")
    ]
    s3.copy_object(
        Bucket=bucket, Key="shared", CopySource=f"{bucket}/src", ACL="authenticated-read"
    )
    assert ("Group", AUTHENTICATED_USERS, "READ") in grants(
        s3.get_object_acl(Bucket=bucket, Key="shared")
    )


def test_multipart_upload_keeps_its_acl(s3: BaseClient, anon: BaseClient) -> None:
    bucket = new_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ACL="public-read")
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"parts"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert anon.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"parts"


def test_object_acl_of_one_version(s3: BaseClient, anon: BaseClient) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    response = s3.put_object_acl(Bucket=bucket, Key="k", VersionId=first, ACL="public-read")
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == first
    assert anon.get_object(Bucket=bucket, Key="k", VersionId=first)["Body"].read() == b"one"
    with pytest.raises(ClientError) as exc:
        anon.get_object(Bucket=bucket, Key="k", VersionId=second)
    assert error_of(exc) == ("AccessDenied", 403)
    assert len(grants(s3.get_object_acl(Bucket=bucket, Key="k", VersionId=first))) == 2
    assert len(grants(s3.get_object_acl(Bucket=bucket, Key="k"))) == 1


# Bad input


def test_private_from_the_bucket_owner_is_accepted_with_acls_disabled(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    # AWS accepts "bucket-owner-full-control or an equivalent form of this ACL": from the
    # bucket owner, `private` is exactly that (rclone sends it by default).
    owner = canonical_id(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m", ACL="private")
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=upload["UploadId"])
    s3.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k", ACL="private")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    # As rclone sends it: a plain PUT with the header.
    reply = request(gateway, "PUT", f"/{bucket}/raw", body=b"raw", headers={"x-amz-acl": "private"})
    assert reply.status == 200, reply.body
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["c", "k", "raw"]
    for response in (
        s3.get_bucket_acl(Bucket=bucket),
        s3.get_object_acl(Bucket=bucket, Key="k"),
        s3.get_object_acl(Bucket=bucket, Key="raw"),
    ):
        assert grants(response) == [("CanonicalUser", owner, "FULL_CONTROL")]


def test_private_from_another_account_is_refused_with_acls_disabled(
    s3: BaseClient, s3b: BaseClient, other: NewAccount, bucket: str
) -> None:
    # From another account `private` would leave the writer in control: not the equivalent.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    actions = ["s3:PutObject", "s3:PutObjectAcl", "s3:PutBucketAcl", "s3:GetObject"]
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{other.id}:root"},
        "Action": actions,
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    refused: list[Callable[[], object]] = [
        lambda: s3b.put_object(Bucket=bucket, Key="b", Body=b"y", ACL="private"),
        lambda: s3b.create_multipart_upload(Bucket=bucket, Key="b", ACL="private"),
        lambda: s3b.copy_object(Bucket=bucket, Key="b", CopySource=f"{bucket}/k", ACL="private"),
        lambda: s3b.put_object_acl(Bucket=bucket, Key="k", ACL="private"),
        lambda: s3b.put_bucket_acl(Bucket=bucket, ACL="private"),
    ]
    for call in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AccessControlListNotSupported", 400)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # The same writes without an ACL, or with the owner's full control, go through.
    s3b.put_object(Bucket=bucket, Key="b", Body=b"y", ACL="bucket-owner-full-control")
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"y"


def _put_acl(gateway: Gateway, target: str, body: bytes = b"", **headers: str) -> Any:
    return request(gateway, "PUT", target, body=body, headers=headers)


def test_malformed_acl_requests(gateway: Gateway, s3: BaseClient) -> None:
    bucket = new_bucket(s3)
    owner = canonical_id(s3)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    before = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    grant = (
        '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:type="{kind}"><{tag}>{value}</{tag}></Grantee>'
        "<Permission>{permission}</Permission></Grant>"
    )

    def doc(owner_id: str | None, *grant_xml: str) -> bytes:
        owner_part = f"<Owner><ID>{owner_id}</ID></Owner>" if owner_id is not None else ""
        return (
            f'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{owner_part}'
            f"<AccessControlList>{''.join(grant_xml)}</AccessControlList></AccessControlPolicy>"
        ).encode()

    full = grant.format(kind="CanonicalUser", tag="ID", value=owner, permission="FULL_CONTROL")
    cases: list[tuple[bytes, dict[str, str], tuple[int, str]]] = [
        (b"<AccessControlPolicy><Owner>", {}, (400, "MalformedACLError")),
        (b"<Tagging/>", {}, (400, "MalformedACLError")),
        (doc(None, full), {}, (400, "MalformedACLError")),
        (doc("", full), {}, (400, "MalformedACLError")),
        (
            doc(owner, full.replace("FULL_CONTROL", "EVERYTHING")),
            {},
            (400, "MalformedACLError"),
        ),
        (doc(owner, full.replace("CanonicalUser", "Robot")), {}, (400, "MalformedACLError")),
        (doc(owner, full.replace(owner, "")), {}, (400, "MalformedACLError")),
        (doc(owner, full.replace(owner, "f" * 64)), {}, (400, "InvalidArgument")),
        (doc("f" * 64, full), {}, (400, "InvalidArgument")),
        (
            doc(
                owner, grant.format(kind="Group", tag="URI", value="http://x/y", permission="READ")
            ),
            {},
            (400, "InvalidArgument"),
        ),
        (
            doc(
                owner,
                grant.format(
                    kind="AmazonCustomerByEmail",
                    tag="EmailAddress",
                    value="a@example.com",
                    permission="READ",
                ),
            ),
            {},
            (405, "MethodNotAllowed"),
        ),
        (doc(owner, full), {"x-amz-acl": "private"}, (400, "UnexpectedContent")),
        (b"", {}, (400, "MissingSecurityHeader")),
        (b"", {"x-amz-acl": "everyone-may"}, (400, "InvalidArgument")),
        (
            b"",
            {"x-amz-acl": "private", "x-amz-grant-read": f'id="{owner}"'},
            (400, "InvalidRequest"),
        ),
        (b"", {"x-amz-grant-read": "id"}, (400, "InvalidArgument")),
        (b"", {"x-amz-grant-read": 'name="x"'}, (400, "InvalidArgument")),
        (b"", {"x-amz-grant-read": 'emailAddress="a@example.com"'}, (405, "MethodNotAllowed")),
    ]
    for body, headers, expected in cases:
        reply = _put_acl(gateway, f"/{bucket}?acl", body, **headers)
        assert (reply.status, reply.code) == expected, (body, headers, reply.body)
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == before  # nothing changed
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    reply = _put_acl(gateway, f"/{bucket}/k?acl", b"not xml")
    assert (reply.status, reply.code) == (400, "MalformedACLError")
    reply = request(gateway, "PUT", f"/{bucket}/missing?acl", headers={"x-amz-acl": "private"})
    assert (reply.status, reply.code) == (404, "NoSuchKey")


# The aws CLI


def test_aws_cli_bucket_acl(aws: Any, s3: BaseClient) -> None:
    bucket = new_bucket(s3)
    owner = canonical_id(s3)
    aws("s3api", "put-bucket-acl", "--bucket", bucket, "--acl", "public-read")
    shown = json.loads(aws("s3api", "get-bucket-acl", "--bucket", bucket))
    assert shown["Owner"]["ID"] == owner
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in shown["Grants"]


# The evaluation rule itself, case by case

_OWNER = Party("c" * 64, "111122223333")
_OTHER = Party("d" * 64, "444455556666")


def _acl(*grants: Grant) -> Acl:
    return Acl(_OWNER.canonical_id, _OWNER.account, grants)


def _user(party: Party, permission: str) -> Grant:
    return Grant(CANONICAL_USER, party.canonical_id, permission, party.account)


@pytest.mark.parametrize(
    ("caller", "authenticated", "permission", "acl", "ignore_public", "allowed"),
    [
        # the owner always has READ_ACP and WRITE_ACP, but nothing else without a grant
        (_OWNER.account, True, "READ_ACP", _acl(), False, True),
        (_OWNER.account, True, "WRITE_ACP", _acl(), False, True),
        (_OWNER.account, True, "READ", _acl(), False, False),
        # a grant to an account serves that account only, for its permission or FULL_CONTROL
        (_OTHER.account, True, "READ", _acl(_user(_OTHER, "READ")), False, True),
        (_OTHER.account, True, "WRITE", _acl(_user(_OTHER, "READ")), False, False),
        (_OTHER.account, True, "WRITE_ACP", _acl(_user(_OTHER, "FULL_CONTROL")), False, True),
        ("777788889999", True, "READ", _acl(_user(_OTHER, "READ")), False, False),
        ("", False, "READ", _acl(_user(_OTHER, "READ")), False, False),
        # AllUsers is everyone; AuthenticatedUsers is every signed caller
        ("", False, "READ", _acl(Grant(GROUP, ALL_USERS, "READ")), False, True),
        (_OTHER.account, True, "READ", _acl(Grant(GROUP, ALL_USERS, "READ")), False, True),
        ("", False, "READ", _acl(Grant(GROUP, AUTHENTICATED_USERS, "READ")), False, False),
        (
            _OTHER.account,
            True,
            "READ",
            _acl(Grant(GROUP, AUTHENTICATED_USERS, "READ")),
            False,
            True,
        ),
        # IgnorePublicAcls drops the public groups, not account grants
        ("", False, "READ", _acl(Grant(GROUP, ALL_USERS, "READ")), True, False),
        (
            _OTHER.account,
            True,
            "READ",
            _acl(Grant(GROUP, AUTHENTICATED_USERS, "READ")),
            True,
            False,
        ),
        (_OTHER.account, True, "READ", _acl(_user(_OTHER, "READ")), True, True),
        # LogDelivery is no caller of ours
        ("", False, "WRITE", _acl(Grant(GROUP, LOG_DELIVERY, "WRITE")), False, False),
    ],
)
def test_acl_allows(
    caller: str, authenticated: bool, permission: str, acl: Acl, ignore_public: bool, allowed: bool
) -> None:
    assert (
        acl_allows(caller, authenticated, permission, acl, ignore_public=ignore_public) is allowed
    )


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [
        ("private", _OWNER, []),
        ("public-read", _OWNER, [(GROUP, ALL_USERS, "READ")]),
        ("public-read-write", _OWNER, [(GROUP, ALL_USERS, "READ"), (GROUP, ALL_USERS, "WRITE")]),
        ("authenticated-read", _OWNER, [(GROUP, AUTHENTICATED_USERS, "READ")]),
        ("aws-exec-read", _OWNER, [(CANONICAL_USER, EC2_CANONICAL_ID, "READ")]),
        (
            "log-delivery-write",
            _OWNER,
            [(GROUP, LOG_DELIVERY, "WRITE"), (GROUP, LOG_DELIVERY, "READ_ACP")],
        ),
        # the bucket owner's grant appears only when someone else owns the object
        ("bucket-owner-read", _OWNER, []),
        ("bucket-owner-read", _OTHER, [(CANONICAL_USER, _OWNER.canonical_id, "READ")]),
        (
            "bucket-owner-full-control",
            _OTHER,
            [(CANONICAL_USER, _OWNER.canonical_id, "FULL_CONTROL")],
        ),
    ],
)
def test_canned_acls(name: str, owner: Party, expected: list[tuple[str, str, str]]) -> None:
    acl = canned(name, owner, _OWNER)
    assert acl.owner == owner.canonical_id
    found = [(g.kind, g.grantee, g.permission) for g in acl.grants]
    assert found == [(CANONICAL_USER, owner.canonical_id, "FULL_CONTROL"), *expected]
    assert acl.public == any(g in (ALL_USERS, AUTHENTICATED_USERS) for _, g, _ in expected)
    assert loads(acl.dumps()) == acl
