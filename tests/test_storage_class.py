"""Storage classes and RestoreObject: `x-amz-storage-class` on writes, where the class shows,
archived classes (GLACIER, DEEP_ARCHIVE) readable only while restored, with boto3, raw HTTP
and the aws CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway, make_gateway
from rawhttp import request
from test_replication_config import versioned
from test_replication_engine import eventually, replicate

from mrap.api.s3.restore import expiry_after

RESTORE = {"Days": 1, "GlacierJobParameters": {"Tier": "Standard"}}
NOT_ACTIVE = "The operation is not valid for the object's storage class"


def failure(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    """(code, status, message) of a call that must fail."""
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def head_class(s3: BaseClient, bucket: str, key: str, **extra: Any) -> str | None:
    """The StorageClass HEAD shows (None: no header, as for STANDARD)."""
    storage_class: str | None = s3.head_object(Bucket=bucket, Key=key, **extra).get("StorageClass")
    return storage_class


def test_class_is_stored_and_shown_everywhere(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="ia", Body=b"ia", StorageClass="STANDARD_IA")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    s3.put_object(Bucket=bucket, Key="std", Body=b"std", StorageClass="STANDARD")
    assert head_class(s3, bucket, "ia") == "STANDARD_IA"
    got = s3.get_object(Bucket=bucket, Key="ia")
    assert (got["StorageClass"], got["Body"].read()) == ("STANDARD_IA", b"ia")
    # AWS omits the header for STANDARD.
    for key in ("plain", "std"):
        assert head_class(s3, bucket, key) is None
        assert "StorageClass" not in s3.get_object(Bucket=bucket, Key=key)
    expected = {"ia": "STANDARD_IA", "plain": "STANDARD", "std": "STANDARD"}
    v2 = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["StorageClass"] for o in v2} == expected
    v1 = s3.list_objects(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["StorageClass"] for o in v1} == expected
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="ia", ObjectAttributes=["StorageClass", "ObjectSize"]
    )
    assert (attributes["StorageClass"], attributes["ObjectSize"]) == ("STANDARD_IA", 2)


def test_versions_keep_their_own_class(s3: BaseClient) -> None:
    bucket = versioned(s3)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1", StorageClass="ONEZONE_IA")
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"2", StorageClass="INTELLIGENT_TIERING")
    s3.delete_object(Bucket=bucket, Key="k")
    listed = s3.list_object_versions(Bucket=bucket)
    classes = {v["VersionId"]: v["StorageClass"] for v in listed["Versions"]}
    assert classes == {
        first["VersionId"]: "ONEZONE_IA",
        second["VersionId"]: "INTELLIGENT_TIERING",
    }
    assert "StorageClass" not in listed["DeleteMarkers"][0]
    assert head_class(s3, bucket, "k", VersionId=first["VersionId"]) == "ONEZONE_IA"


def test_unknown_class_is_refused_and_nothing_is_written(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"src")
    headers = {"x-amz-storage-class": "COLD"}
    attempts = [
        request(gateway, "PUT", f"/{bucket}/k", body=b"x", headers=headers),
        request(gateway, "POST", f"/{bucket}/k?uploads", headers=headers),
        request(
            gateway,
            "PUT",
            f"/{bucket}/k",
            headers={**headers, "x-amz-copy-source": f"/{bucket}/src"},
        ),
        # Case matters, as on AWS.
        request(
            gateway, "PUT", f"/{bucket}/k", body=b"x", headers={"x-amz-storage-class": "glacier"}
        ),
    ]
    for reply in attempts:
        assert reply.status == 400, reply.body
        assert reply.code == "InvalidStorageClass"
        assert reply.error["Message"] == "The storage class you specified is not valid"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_upload_carries_its_class(s3: BaseClient, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", StorageClass="GLACIER_IR")
    upload_id = upload["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["StorageClass"]) for u in listed] == [("mp", "GLACIER_IR")]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"p")
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["StorageClass"] == (
        "GLACIER_IR"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    # GLACIER_IR is instantly readable, as on AWS.
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert (got["StorageClass"], got["Body"].read()) == ("GLACIER_IR", b"p")


def test_copy_takes_its_own_class_and_may_change_only_the_class(
    s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass="STANDARD_IA")
    # A copy without the header is STANDARD, whatever the source's class.
    s3.copy_object(Bucket=bucket, Key="plain", CopySource=f"{bucket}/k")
    assert head_class(s3, bucket, "plain") is None
    s3.copy_object(Bucket=bucket, Key="cold", CopySource=f"{bucket}/k", StorageClass="ONEZONE_IA")
    assert head_class(s3, bucket, "cold") == "ONEZONE_IA"
    # Onto itself: unchanged (no header, or the same class) is illegal, as on AWS.
    illegal = "This copy request is illegal because it is trying to copy an object to itself"
    for extra in ({}, {"StorageClass": "STANDARD_IA"}):
        code, status, message = failure(
            s3.copy_object, Bucket=bucket, Key="k", CopySource=f"{bucket}/k", **extra
        )
        assert (code, status) == ("InvalidRequest", 400)
        assert message.startswith(illegal)
    # rclone's `settier`: the same object, only the class changed, metadata kept.
    s3.put_object(Bucket=bucket, Key="t", Body=b"tier", Metadata={"a": "b"}, ContentType="x/y")
    s3.copy_object(Bucket=bucket, Key="t", CopySource=f"{bucket}/t", StorageClass="STANDARD_IA")
    got = s3.get_object(Bucket=bucket, Key="t")
    assert (got["StorageClass"], got["Metadata"], got["ContentType"]) == (
        "STANDARD_IA",
        {"a": "b"},
        "x/y",
    )
    assert got["Body"].read() == b"tier"


def test_archived_objects_need_a_restore(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    for key, cls in (("g", "GLACIER"), ("d", "DEEP_ARCHIVE")):
        s3.put_object(Bucket=bucket, Key=key, Body=b"cold " + key.encode(), StorageClass=cls)
        assert failure(s3.get_object, Bucket=bucket, Key=key) == (
            "InvalidObjectState",
            403,
            NOT_ACTIVE,
        )
        reply = request(gateway, "GET", f"/{bucket}/{key}")
        assert reply.status == 403
        assert reply.error["StorageClass"] == cls
        # HEAD works, with no x-amz-restore before a restore is asked for.
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["StorageClass"], head.get("Restore")) == (cls, None)
        # Nor can it be the source of a copy, whole or a part.
        code, status, _ = failure(
            s3.copy_object, Bucket=bucket, Key="c", CopySource=f"{bucket}/{key}"
        )
        assert (code, status) == ("InvalidObjectState", 403)
        upload = s3.create_multipart_upload(Bucket=bucket, Key="c")["UploadId"]
        code, status, _ = failure(
            s3.upload_part_copy,
            Bucket=bucket,
            Key="c",
            UploadId=upload,
            PartNumber=1,
            CopySource=f"{bucket}/{key}",
        )
        assert (code, status) == ("InvalidObjectState", 403)
        s3.abort_multipart_upload(Bucket=bucket, Key="c", UploadId=upload)
        # Nor moved out of the archive by a copy onto itself before a restore.
        code, status, _ = failure(
            s3.copy_object,
            Bucket=bucket,
            Key=key,
            CopySource=f"{bucket}/{key}",
            StorageClass="STANDARD",
        )
        assert (code, status) == ("InvalidObjectState", 403)
        # Restored (at once here): readable, and the copy is shown with its expiry.
        restored = s3.restore_object(Bucket=bucket, Key=key, RestoreRequest=RESTORE)
        assert restored["ResponseMetadata"]["HTTPStatusCode"] == 202
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["StorageClass"] == cls
        assert head["Restore"].startswith('ongoing-request="false", expiry-date="')
        expiry = parsedate_to_datetime(head["Restore"].split('expiry-date="')[1].rstrip('"'))
        # One day, rounded up to the next midnight UTC, as AWS does.
        assert (expiry.hour, expiry.minute, expiry.second) == (0, 0, 0)
        assert 86400 <= expiry.timestamp() - time.time() <= 2 * 86400
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"cold " + key.encode()
        # Asked again while restored: 200 (AWS extends the copy's life).
        again = s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={"Days": 3})
        assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
        later = s3.head_object(Bucket=bucket, Key=key)["Restore"]
        assert parsedate_to_datetime(later.split('expiry-date="')[1].rstrip('"')) > expiry
        # A restored object can be copied, also onto itself out of the archive.
        s3.copy_object(Bucket=bucket, Key=f"{key}-copy", CopySource=f"{bucket}/{key}")
        copied = s3.head_object(Bucket=bucket, Key=f"{key}-copy")
        assert (copied.get("StorageClass"), copied.get("Restore")) == (None, None)
    s3.copy_object(Bucket=bucket, Key="g", CopySource=f"{bucket}/g", StorageClass="STANDARD")
    assert s3.head_object(Bucket=bucket, Key="g").get("Restore") is None
    assert s3.get_object(Bucket=bucket, Key="g")["Body"].read() == b"cold g"


def test_restore_is_refused_for_classes_that_are_not_archived(s3: BaseClient, bucket: str) -> None:
    for cls in ("STANDARD", "STANDARD_IA", "GLACIER_IR", "INTELLIGENT_TIERING"):
        s3.put_object(Bucket=bucket, Key=cls, Body=b"x", StorageClass=cls)
        assert failure(s3.restore_object, Bucket=bucket, Key=cls, RestoreRequest=RESTORE) == (
            "InvalidObjectState",
            403,
            "Restore is not allowed for the object's current storage class",
        )


def test_malformed_restore_requests_change_nothing(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="g", Body=b"x", StorageClass="GLACIER")
    xmlns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    cases = [
        (b"", "MalformedXML", 400),
        (b"<RestoreRequest", "MalformedXML", 400),
        (b"<Other><Days>1</Days></Other>", "MalformedXML", 400),
        (f"<RestoreRequest {xmlns}></RestoreRequest>".encode(), "MalformedXML", 400),
        (b"<RestoreRequest><Days>one</Days></RestoreRequest>", "MalformedXML", 400),
        (b"<RestoreRequest><Days>0</Days></RestoreRequest>", "InvalidArgument", 400),
        (
            b"<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Fast</Tier>"
            b"</GlacierJobParameters></RestoreRequest>",
            "MalformedXML",
            400,
        ),
        (
            b"<RestoreRequest><Type>SELECT</Type><Days>1</Days></RestoreRequest>",
            "NotImplemented",
            501,
        ),
    ]
    for body, code, status in cases:
        reply = request(gateway, "POST", f"/{bucket}/g?restore", body=body)
        assert (reply.status, reply.code) == (status, code), body
    assert s3.head_object(Bucket=bucket, Key="g").get("Restore") is None
    code, status, _ = failure(s3.restore_object, Bucket=bucket, Key="nope", RestoreRequest=RESTORE)
    assert (code, status) == ("NoSuchKey", 404)


def test_restore_of_one_version(s3: BaseClient) -> None:
    bucket = versioned(s3)
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"old", StorageClass="GLACIER")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"new", StorageClass="DEEP_ARCHIVE")
    s3.restore_object(Bucket=bucket, Key="k", VersionId=old, RestoreRequest=RESTORE)
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=old)["Body"].read() == b"old"
    assert s3.head_object(Bucket=bucket, Key="k").get("Restore") is None
    code, status, _ = failure(s3.get_object, Bucket=bucket, Key="k")
    assert (code, status) == ("InvalidObjectState", 403)


@pytest.fixture(scope="module")
def slow_restore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway whose restores take 2 s and whose "days" last 2 s."""
    gw = make_gateway(
        tmp_path_factory.mktemp("restore"),
        MRAP_RESTORE_DELAY="2",
        MRAP_RESTORE_DAY_SECONDS="2",
    )
    gw.start()
    yield gw
    if gw.process is not None:
        gw.stop()


def test_restore_in_progress_then_ready_then_expired(slow_restore: Gateway) -> None:
    s3 = slow_restore.client()
    s3.create_bucket(Bucket="cold")
    s3.put_object(Bucket="cold", Key="k", Body=b"frozen", StorageClass="GLACIER")
    started = time.monotonic()
    first = s3.restore_object(Bucket="cold", Key="k", RestoreRequest=RESTORE)
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket="cold", Key="k")["Restore"] == 'ongoing-request="true"'
    assert failure(s3.restore_object, Bucket="cold", Key="k", RestoreRequest=RESTORE) == (
        "RestoreAlreadyInProgress",
        409,
        "Object restore is already in progress",
    )
    assert failure(s3.get_object, Bucket="cold", Key="k")[:2] == ("InvalidObjectState", 403)
    assert time.monotonic() - started < 2, "the machine is too slow for this test's timing"

    def restored() -> bool:
        head = s3.head_object(Bucket="cold", Key="k")
        return str(head.get("Restore", "")).startswith('ongoing-request="false", expiry-date=')

    eventually(restored, "the restore to complete", wait=10)
    assert s3.get_object(Bucket="cold", Key="k")["Body"].read() == b"frozen"
    # Days=1 is one 2-second "day" after the copy was ready: then archived again.
    eventually(
        lambda: "Restore" not in s3.head_object(Bucket="cold", Key="k"), "the expiry", wait=10
    )
    assert failure(s3.get_object, Bucket="cold", Key="k")[:2] == ("InvalidObjectState", 403)
    again = s3.restore_object(Bucket="cold", Key="k", RestoreRequest=RESTORE)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 202


def test_class_and_restore_survive_a_restart(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path)
    gw.start()
    try:
        s3 = gw.client()
        s3.create_bucket(Bucket="keep")
        s3.put_object(Bucket="keep", Key="ia", Body=b"x", StorageClass="STANDARD_IA")
        s3.put_object(Bucket="keep", Key="g", Body=b"x", StorageClass="GLACIER")
        s3.restore_object(Bucket="keep", Key="g", RestoreRequest=RESTORE)
        gw.stop()
        gw.start()
        assert head_class(s3, "keep", "ia") == "STANDARD_IA"
        head = s3.head_object(Bucket="keep", Key="g")
        assert head["StorageClass"] == "GLACIER"
        assert head["Restore"].startswith('ongoing-request="false"')
    finally:
        if gw.process is not None:
            gw.stop()


def test_expiry_rounds_a_real_day_to_midnight_utc() -> None:
    # 2024-01-01 13:00 UTC + 2 days → 2024-01-04 00:00 UTC; short test "days" do not round.
    ready = 1704114000.0
    assert expiry_after(ready, 2, 86400.0) == 1704326400.0
    assert expiry_after(ready, 2, 5.0) == ready + 10


def test_replicas_keep_the_class_unless_the_rule_names_one(
    s3: BaseClient, gateway: Gateway
) -> None:
    source, kept, changed = versioned(s3), versioned(s3, "us-west-2"), versioned(s3, "eu-west-1")
    replicate(s3, gateway, source, kept)
    s3.put_object(Bucket=source, Key="a", Body=b"a", StorageClass="GLACIER")
    eventually(lambda: _present(s3, kept, "a"), "the replica")
    head = s3.head_object(Bucket=kept, Key="a")
    assert (head["StorageClass"], head.get("Restore")) == ("GLACIER", None)
    destination = {"Bucket": f"arn:aws:s3:::{changed}", "StorageClass": "STANDARD_IA"}
    replicate(s3, gateway, source, changed, Destination=destination)
    s3.put_object(Bucket=source, Key="b", Body=b"b", StorageClass="ONEZONE_IA")
    eventually(lambda: _present(s3, changed, "b"), "the replica")
    assert head_class(s3, changed, "b") == "STANDARD_IA"
    assert head_class(s3, source, "b") == "ONEZONE_IA"


def _present(s3: BaseClient, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def test_aws_cli_storage_class_and_restore(aws: Any, s3: BaseClient, tmp_path: Path) -> None:
    bucket = "cli-" + str(time.time_ns())
    s3.create_bucket(Bucket=bucket)
    source = tmp_path / "f.txt"
    source.write_text("cli body")
    aws("s3", "cp", str(source), f"s3://{bucket}/ia.txt", "--storage-class", "STANDARD_IA")
    aws("s3", "cp", str(source), f"s3://{bucket}/g.txt", "--storage-class", "GLACIER")
    head = json.loads(aws("s3api", "head-object", "--bucket", bucket, "--key", "ia.txt"))
    assert head["StorageClass"] == "STANDARD_IA"
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket))["Contents"]
    assert {o["Key"]: o["StorageClass"] for o in listed} == {
        "g.txt": "GLACIER",
        "ia.txt": "STANDARD_IA",
    }
    aws(
        "s3api",
        "restore-object",
        "--bucket",
        bucket,
        "--key",
        "g.txt",
        "--restore-request",
        '{"Days": 1, "GlacierJobParameters": {"Tier": "Bulk"}}',
    )
    head = json.loads(aws("s3api", "head-object", "--bucket", bucket, "--key", "g.txt"))
    assert head["Restore"].startswith('ongoing-request="false"')
    # The CLI downloads a GLACIER object once its restore is done.
    target = tmp_path / "back.txt"
    aws("s3", "cp", f"s3://{bucket}/g.txt", str(target))
    assert target.read_text() == "cli body"
