"""S3 Object Lock (bucket configuration, legal holds, retention, their enforcement) and
RestoreObject, directly on buckets and through a Multi-Region Access Point's alias."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_iam_api import iam_client, name, s3_client
from test_mrap_dataplane import Point, allow_account, delegate

MISSING = "Bucket is missing Object Lock Configuration"
LOCKED = "Access Denied because object protected by object lock."


def failure(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    """(code, status, message) of a call that must fail."""
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def later(days: int = 1) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def locked(s3: BaseClient) -> str:
    """A fresh bucket created with Object Lock enabled."""
    name = "lock-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def put(s3: BaseClient, bucket: str, key: str = "k", **extra: Any) -> str:
    return str(s3.put_object(Bucket=bucket, Key=key, Body=b"data", **extra).get("VersionId"))


def test_create_with_object_lock_enables_versioning_and_lock(
    s3: BaseClient, locked: str, bucket: str
) -> None:
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}
    code, status, message = failure(s3.get_object_lock_configuration, Bucket=bucket)
    assert (code, status) == ("ObjectLockConfigurationNotFoundError", 404)
    assert message == "Object Lock configuration does not exist for this bucket"
    code, status, _ = failure(
        s3.put_bucket_versioning,
        Bucket=locked,
        VersioningConfiguration={"Status": "Suspended"},
    )
    assert (code, status) == ("InvalidBucketState", 409)
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"


def test_default_retention_is_stored_and_validated(s3: BaseClient, locked: str) -> None:
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    s3.put_object_lock_configuration(
        Bucket=locked, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    got = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled", "Rule": rule}
    both = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}
    bad: list[tuple[dict[str, Any], str, int]] = [
        ({"ObjectLockEnabled": "Enabled", "Rule": both}, "MalformedXML", 400),
        (
            {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "X", "Days": 1}},
            },
            "MalformedXML",
            400,
        ),
    ]
    # AWS answers a period that is not positive, or above 36,500 days / 100 years, with
    # InvalidRetentionPeriod (S3 error codes; Object Lock user guide, "Retention periods").
    bad += [
        (
            {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", unit: period}},
            },
            "InvalidRetentionPeriod",
            400,
        )
        for unit, period in (
            ("Days", 0),
            ("Days", -1),
            ("Years", 0),
            ("Days", 36501),
            ("Years", 101),
        )
    ]
    for config, code, status in bad:
        got_code, got_status, _ = failure(
            s3.put_object_lock_configuration, Bucket=locked, ObjectLockConfiguration=config
        )
        assert (got_code, got_status) == (code, status)
    code, _, message = failure(
        s3.put_object_lock_configuration,
        Bucket=locked,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 0}},
        },
    )
    assert (code, message) == (
        "InvalidRetentionPeriod",
        "Default retention period must be a positive integer value",
    )
    # The ceiling itself is allowed.
    for ceiling in ({"Days": 36500}, {"Years": 100}):
        s3.put_object_lock_configuration(
            Bucket=locked,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", **ceiling}},
            },
        )
    s3.put_object_lock_configuration(
        Bucket=locked, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    # Refused configurations changed nothing.
    got = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert got["Rule"] == rule
    # New versions get the default retention; explicit headers win over it.
    version = put(s3, locked)
    retention = s3.get_object_retention(Bucket=locked, Key="k", VersionId=version)["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert later(1) < retention["RetainUntilDate"] < later(3)
    until = later(10).replace(microsecond=0)
    head = s3.head_object(
        Bucket=locked,
        VersionId=put(s3, locked, ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until),
        Key="k",
    )
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] == until
    # A multipart upload gets the default retention too.
    upload = s3.create_multipart_upload(Bucket=locked, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=locked, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")
    done = s3.complete_multipart_upload(
        Bucket=locked,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    mp = s3.head_object(Bucket=locked, Key="mp", VersionId=done["VersionId"])
    assert mp["ObjectLockMode"] == "GOVERNANCE"
    assert later(1) < mp["ObjectLockRetainUntilDate"] < later(3)


def test_enabling_on_an_existing_bucket_needs_versioning(s3: BaseClient, bucket: str) -> None:
    config = {"ObjectLockEnabled": "Enabled"}
    code, status, message = failure(
        s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=config
    )
    assert (code, status) == ("InvalidBucketState", 409) and "Versioning" in message
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config


def test_per_object_lock_needs_object_lock_on_the_bucket(s3: BaseClient, bucket: str) -> None:
    put(s3, bucket)
    calls: list[tuple[Any, dict[str, Any]]] = [
        (s3.put_object_legal_hold, {"LegalHold": {"Status": "ON"}}),
        (s3.get_object_legal_hold, {}),
        (
            s3.put_object_retention,
            {"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": later()}},
        ),
        (s3.get_object_retention, {}),
    ]
    for call, extra in calls:
        assert failure(call, Bucket=bucket, Key="k", **extra) == ("InvalidRequest", 400, MISSING)
    code, status, message = failure(
        s3.put_object, Bucket=bucket, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON"
    )
    assert (code, status, message) == ("InvalidRequest", 400, MISSING)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_legal_hold_blocks_deleting_the_version(s3: BaseClient, locked: str) -> None:
    version = put(s3, locked)
    code, status, _ = failure(s3.get_object_legal_hold, Bucket=locked, Key="k")
    assert (code, status) == ("NoSuchObjectLockConfiguration", 404)
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "ON"})
    got = s3.get_object_legal_hold(Bucket=locked, Key="k", VersionId=version)
    assert got["LegalHold"] == {"Status": "ON"}
    assert failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version) == (
        "AccessDenied",
        403,
        LOCKED,
    )
    result = s3.delete_objects(
        Bucket=locked, Delete={"Objects": [{"Key": "k", "VersionId": version}]}
    )
    assert [(e["Code"], e["Message"]) for e in result["Errors"]] == [("AccessDenied", LOCKED)]
    # Without a version id the delete only adds a delete marker, which the lock allows.
    assert s3.delete_object(Bucket=locked, Key="k")["DeleteMarker"] is True
    s3.put_object_legal_hold(Bucket=locked, Key="k", VersionId=version, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="k", VersionId=version)
    versions = s3.list_object_versions(Bucket=locked).get("Versions", [])
    assert versions == []


def test_governance_retention_yields_only_to_a_bypass(s3: BaseClient, locked: str) -> None:
    version = put(s3, locked)
    until = later(5).replace(microsecond=0)
    s3.put_object_retention(
        Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    got = s3.get_object_retention(Bucket=locked, Key="k", VersionId=version)["Retention"]
    assert got == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    denied = failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version)
    assert denied == ("AccessDenied", 403, LOCKED)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": later(2)}
    code, status, _ = failure(s3.put_object_retention, Bucket=locked, Key="k", Retention=shorter)
    assert (code, status) == ("AccessDenied", 403)
    # Extending needs no bypass.
    longer = later(9).replace(microsecond=0)
    s3.put_object_retention(
        Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": longer}
    )
    assert s3.get_object_retention(Bucket=locked, Key="k")["Retention"]["RetainUntilDate"] == longer
    s3.put_object_retention(
        Bucket=locked, Key="k", Retention=shorter, BypassGovernanceRetention=True
    )
    s3.delete_object(Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert s3.list_object_versions(Bucket=locked).get("Versions", []) == []


def test_compliance_retention_is_never_bypassed(s3: BaseClient, locked: str) -> None:
    version = put(s3, locked)
    s3.put_object_retention(
        Bucket=locked, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(3)}
    )
    denied = failure(
        s3.delete_object,
        Bucket=locked,
        Key="k",
        VersionId=version,
        BypassGovernanceRetention=True,
    )
    assert denied == ("AccessDenied", 403, LOCKED)
    code, status, _ = failure(
        s3.put_object_retention,
        Bucket=locked,
        Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(4)},
        BypassGovernanceRetention=True,
    )
    assert (code, status) == ("AccessDenied", 403)
    assert s3.get_object_retention(Bucket=locked, Key="k")["Retention"]["Mode"] == "COMPLIANCE"
    past = {"Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) - timedelta(days=1)}
    code, status, _ = failure(s3.put_object_retention, Bucket=locked, Key="k", Retention=past)
    assert (code, status) == ("InvalidArgument", 400)


def test_restore_is_not_allowed_for_standard_objects(s3: BaseClient, bucket: str) -> None:
    put(s3, bucket)
    request = {"Days": 1}
    assert failure(s3.restore_object, Bucket=bucket, Key="k", RestoreRequest=request) == (
        "InvalidObjectState",
        403,
        "Restore is not allowed for the object's current storage class",
    )
    code, status, _ = failure(s3.restore_object, Bucket=bucket, Key="nope", RestoreRequest=request)
    assert (code, status) == ("NoSuchKey", 404)


def test_through_an_access_point_alias(gateway: Gateway, s3: BaseClient) -> None:
    p = Point(gateway, s3)
    actions = [
        "s3:PutObject",
        "s3:GetObject",
        "s3:PutObjectLegalHold",
        "s3:GetObjectLegalHold",
        "s3:PutObjectRetention",
        "s3:GetObjectRetention",
        "s3:RestoreObject",
    ]
    p.put_policy(allow_account(p.alias, actions))
    delegate(s3, p.east, p.arn)
    s3.put_bucket_versioning(Bucket=p.east, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(
        Bucket=p.east, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    version = put(s3, p.alias)
    s3.put_object_legal_hold(Bucket=p.alias, Key="k", LegalHold={"Status": "ON"})
    held = s3.get_object_legal_hold(Bucket=p.alias, Key="k")["LegalHold"]
    assert held == {"Status": "ON"}
    until = later(2).replace(microsecond=0)
    s3.put_object_retention(
        Bucket=p.alias, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    # The lock landed on the routed bucket's version.
    direct = s3.get_object_retention(Bucket=p.east, Key="k", VersionId=version)["Retention"]
    assert direct == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    assert failure(s3.restore_object, Bucket=p.alias, Key="k", RestoreRequest={"Days": 1})[:2] == (
        "InvalidObjectState",
        403,
    )
    # Not granted by the access point policy: refused there.
    code, status, _ = failure(s3.delete_object, Bucket=p.alias, Key="k", VersionId=version)
    assert (code, status) == ("AccessDenied", 403)


def test_upload_headers_are_validated_and_copies_do_not_inherit_locks(
    s3: BaseClient, locked: str
) -> None:
    code, status, _ = failure(
        s3.put_object, Bucket=locked, Key="m", Body=b"x", ObjectLockMode="GOVERNANCE"
    )
    assert (code, status) == ("InvalidArgument", 400)
    code, status, _ = failure(
        s3.put_object,
        Bucket=locked,
        Key="m",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=datetime.now(UTC) - timedelta(hours=1),
    )
    assert (code, status) == ("InvalidArgument", 400)
    assert "Versions" not in s3.list_object_versions(Bucket=locked, Prefix="m")
    put(s3, locked, ObjectLockLegalHoldStatus="ON")
    assert s3.head_object(Bucket=locked, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    copy = s3.copy_object(Bucket=locked, Key="c", CopySource={"Bucket": locked, "Key": "k"})
    head = s3.head_object(Bucket=locked, Key="c")
    assert "ObjectLockLegalHoldStatus" not in head and "ObjectLockMode" not in head
    s3.delete_object(Bucket=locked, Key="c", VersionId=copy["VersionId"])


def test_bypass_needs_the_bypass_permission(gateway: Gateway, s3: BaseClient, locked: str) -> None:
    version = put(s3, locked)
    s3.put_object_retention(
        Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(3)}
    )
    iam = iam_client(gateway)
    user = name("locker")
    iam.create_user(UserName=user)
    allowed = ["s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:GetObjectRetention"]
    statement = {"Effect": "Allow", "Action": allowed, "Resource": f"arn:aws:s3:::{locked}/*"}
    iam.put_user_policy(
        UserName=user,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = s3_client(gateway, key["AccessKeyId"], key["SecretAccessKey"])
    denied = failure(
        client.delete_object,
        Bucket=locked,
        Key="k",
        VersionId=version,
        BypassGovernanceRetention=True,
    )
    assert denied == ("AccessDenied", 403, LOCKED)
    code, status, _ = failure(
        client.put_object_retention,
        Bucket=locked,
        Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(1)},
        BypassGovernanceRetention=True,
    )
    assert (code, status) == ("AccessDenied", 403)
    assert client.get_object_retention(Bucket=locked, Key="k")["Retention"][
        "RetainUntilDate"
    ] > later(2)
