"""Bucket versioning: versions, delete markers, the null version, ListObjectVersions."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway, make_gateway
from rawhttp import request, temporary_files

VERSION_ID = re.compile(r"[A-Za-z0-9._-]{32}")
ABSENT = "A" * 32  # well formed, never made


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def headers_of(exc: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    response: Any = exc.value.response
    return dict(response["ResponseMetadata"]["HTTPHeaders"])


def enable(s3: BaseClient, bucket: str, status: str = "Enabled") -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def put(s3: BaseClient, bucket: str, key: str, body: bytes) -> str:
    """Upload; the version id the response gives ("" when none)."""
    return str(s3.put_object(Bucket=bucket, Key=key, Body=body).get("VersionId", ""))


def versions_of(s3: BaseClient, bucket: str, **params: Any) -> list[tuple[str, str, str, bool]]:
    """Every entry of ListObjectVersions in document order: (type, key, version, latest)."""
    page = s3.list_object_versions(Bucket=bucket, **params)
    return entries_of(page)


def entries_of(page: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """The versions and delete markers of a page in document order: boto3 splits the two
    element types into two lists, the `s3` fixture records how they interleaved."""
    items = [("Version", v) for v in page.get("Versions", [])]
    items += [("DeleteMarker", m) for m in page.get("DeleteMarkers", [])]
    merged = [items[i] for i in page["_order"]]
    return [(kind, e["Key"], e["VersionId"], e["IsLatest"]) for kind, e in merged]


def body_of(s3: BaseClient, bucket: str, key: str, **params: Any) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key, **params)["Body"].read())


@pytest.fixture
def s3(gateway: Gateway) -> BaseClient:
    """A client whose ListObjectVersions answers say how Version and DeleteMarker interleave."""
    client = gateway.client()

    def remember(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        kinds = re.findall(rb"<(Version|DeleteMarker)>", http_response.content)
        count = len(parsed.get("Versions", []))
        versions, markers = iter(range(count)), iter(range(count, count + len(kinds)))
        parsed["_order"] = [next(versions if k == b"Version" else markers) for k in kinds]

    client.meta.events.register("after-call.s3.ListObjectVersions", remember)
    return client


def next_markers(page: dict[str, Any]) -> dict[str, Any]:
    return {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}


# GetBucketVersioning and PutBucketVersioning


def test_versioning_configuration(s3: BaseClient, bucket: str) -> None:
    got = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in got and "MFADelete" not in got
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"}
    )
    got = s3.get_bucket_versioning(Bucket=bucket)
    assert (got["Status"], got["MFADelete"]) == ("Enabled", "Disabled")


def test_mfa_delete_is_refused(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}
        )
    assert error_of(exc) == ("AccessDenied", 403)
    assert "Mfa Authentication" in exc.value.response["Error"]["Message"]
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
         "IllegalVersioningConfigurationException"),
        (b"<VersioningConfiguration></VersioningConfiguration>",
         "IllegalVersioningConfigurationException"),
        (b"<VersioningConfiguration><Status>Enabled</Status>", "MalformedXML"),
        (b"<Versioning><Status>Enabled</Status></Versioning>", "MalformedXML"),
        (b"", "MissingRequestBodyError"),
    ],
)  # fmt: skip
def test_bad_versioning_configuration(
    gateway: Gateway, s3: BaseClient, bucket: str, body: bytes, code: str
) -> None:
    reply = request(gateway, "PUT", f"/{bucket}?versioning", body=body)
    assert (reply.status, reply.code) == (400, code), reply.body
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


# A bucket without versioning


def test_unversioned_bucket_has_the_null_version(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    assert put(s3, bucket, "key", b"first") == ""
    assert put(s3, bucket, "key", b"hello") == ""
    assert versions_of(s3, bucket) == [("Version", "key", "null", True)]
    got = s3.get_object(Bucket=bucket, Key="key", VersionId="null")
    assert got["Body"].read() == b"hello"
    assert "x-amz-version-id" not in got["ResponseMetadata"]["HTTPHeaders"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="key", VersionId=ABSENT)
    assert error_of(exc) == ("NoSuchVersion", 404)
    # A delete removes the object: no delete marker, and no version id in the answer.
    deleted = s3.delete_object(Bucket=bucket, Key="key")
    assert "DeleteMarker" not in deleted and "VersionId" not in deleted
    assert versions_of(s3, bucket) == []
    put(s3, bucket, "again", b"x")
    s3.delete_object(Bucket=bucket, Key="again", VersionId="null")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# A bucket with versioning


def test_versioned_overwrite_round_trip(s3: BaseClient, bucket: str) -> None:
    put(s3, bucket, "key", b"before versioning")
    enable(s3, bucket)
    ids = [put(s3, bucket, "key", body) for body in (b"one", b"two", b"three")]
    assert all(VERSION_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == 3
    assert versions_of(s3, bucket) == [
        ("Version", "key", ids[2], True),
        ("Version", "key", ids[1], False),
        ("Version", "key", ids[0], False),
        ("Version", "key", "null", False),
    ]
    got = s3.get_object(Bucket=bucket, Key="key")
    assert (got["Body"].read(), got["VersionId"]) == (b"three", ids[2])
    for version, body in zip(ids, (b"one", b"two", b"three"), strict=True):
        got = s3.get_object(Bucket=bucket, Key="key", VersionId=version)
        assert (got["Body"].read(), got["VersionId"]) == (body, version)
        head = s3.head_object(Bucket=bucket, Key="key", VersionId=version)
        assert (head["ContentLength"], head["VersionId"]) == (len(body), version)
    got = s3.get_object(Bucket=bucket, Key="key", VersionId="null")
    assert (got["Body"].read(), got["VersionId"]) == (b"before versioning", "null")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("key", 5)]


def test_delete_marker_round_trip(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    ids = [put(s3, bucket, "key", b"one"), put(s3, bucket, "key", b"two")]
    deleted = s3.delete_object(Bucket=bucket, Key="key")
    marker = deleted["VersionId"]
    assert deleted["DeleteMarker"] is True
    assert VERSION_ID.fullmatch(marker) and marker not in ids

    # The key is gone for requests without a version id; its versions are all there.
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="key")
    assert error_of(exc) == ("NoSuchKey", 404)
    headers = headers_of(exc)
    assert (headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("true", marker)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="key")
    assert error_of(exc)[1] == 404
    assert headers_of(exc)["x-amz-delete-marker"] == "true"
    assert body_of(s3, bucket, "key", VersionId=ids[1]) == b"two"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert "Contents" not in s3.list_objects(Bucket=bucket)

    # The marker itself has no content: 405, with what tells it.
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key="key", VersionId=marker)
        assert error_of(exc)[1] == 405
        headers = headers_of(exc)
        assert headers["x-amz-delete-marker"] == "true"
        assert headers["x-amz-version-id"] == marker
        assert headers["allow"] == "DELETE"
        assert headers["last-modified"]
    assert error_of(exc) == ("405", 405)  # HEAD: no body, so boto3 has only the status

    second = s3.delete_object(Bucket=bucket, Key="key")["VersionId"]
    assert versions_of(s3, bucket) == [
        ("DeleteMarker", "key", second, True),
        ("DeleteMarker", "key", marker, False),
        ("Version", "key", ids[1], False),
        ("Version", "key", ids[0], False),
    ]
    # Deleting the markers brings the object back.
    removed = s3.delete_object(Bucket=bucket, Key="key", VersionId=second)
    assert (removed["DeleteMarker"], removed["VersionId"]) == (True, second)
    s3.delete_object(Bucket=bucket, Key="key", VersionId=marker)
    got = s3.get_object(Bucket=bucket, Key="key")
    assert (got["Body"].read(), got["VersionId"]) == (b"two", ids[1])
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["key"]


def test_get_of_a_marker_by_version_raw(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    marker = s3.delete_object(Bucket=bucket, Key="gone")["VersionId"]
    reply = request(gateway, "GET", f"/{bucket}/gone?versionId={marker}")
    assert (reply.status, reply.code) == (405, "MethodNotAllowed")
    assert reply.error["Method"] == "GET"
    assert reply.error["ResourceType"] == "DeleteMarker"
    reply = request(gateway, "GET", f"/{bucket}/gone")
    assert (reply.status, reply.code, reply.error["Key"]) == (404, "NoSuchKey", "gone")
    assert reply.headers["x-amz-delete-marker"] == "true"


def test_delete_of_a_version_is_permanent(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    put(s3, bucket, "key", b"before")
    enable(s3, bucket)
    ids = [put(s3, bucket, "key", b"one"), put(s3, bucket, "key", b"two")]
    deleted = s3.delete_object(Bucket=bucket, Key="key", VersionId=ids[1])
    assert deleted["VersionId"] == ids[1] and "DeleteMarker" not in deleted
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="key", VersionId=ids[1])
    assert error_of(exc) == ("NoSuchVersion", 404)
    assert body_of(s3, bucket, "key") == b"one"  # the next newest is the current one
    # Versions that are not there: done all the same.
    assert s3.delete_object(Bucket=bucket, Key="key", VersionId=ABSENT)["VersionId"] == ABSENT
    s3.delete_object(Bucket=bucket, Key="key", VersionId="null")
    assert versions_of(s3, bucket) == [("Version", "key", ids[0], True)]
    s3.delete_object(Bucket=bucket, Key="key", VersionId=ids[0])
    assert versions_of(s3, bucket) == []
    assert temporary_files(gateway) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-an-id", "Invalid version id specified"),
        ("A" * 33, "Invalid version id specified"),
        ("NULL", "Invalid version id specified"),
        ("", "Version id cannot be the empty string"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_malformed_version_id(
    gateway: Gateway, s3: BaseClient, bucket: str, method: str, value: str, message: str
) -> None:
    put(s3, bucket, "key", b"kept")
    reply = request(gateway, method, f"/{bucket}/key?versionId={value}")
    assert (reply.status, reply.code) == (400, "InvalidArgument"), reply.body
    assert reply.error["Message"] == message
    assert (reply.error["ArgumentName"], reply.error["ArgumentValue"]) == ("versionId", value)
    assert request(gateway, "HEAD", f"/{bucket}/key?versionId={value}").status == 400
    assert body_of(s3, bucket, "key") == b"kept"


def test_missing_key_with_a_version(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    for version in (ABSENT, "null"):
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key="missing", VersionId=version)
        assert error_of(exc) == ("NoSuchVersion", 404)
        assert exc.value.response["Error"]["VersionId"] == version


# Suspended versioning


def test_suspended_versioning_replaces_the_null_version(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    kept = put(s3, bucket, "key", b"kept")
    enable(s3, bucket, "Suspended")
    assert put(s3, bucket, "key", b"first") == "null"
    assert put(s3, bucket, "key", b"hello") == "null"
    assert versions_of(s3, bucket) == [
        ("Version", "key", "null", True),
        ("Version", "key", kept, False),
    ]
    got = s3.get_object(Bucket=bucket, Key="key")
    assert (got["Body"].read(), got["VersionId"]) == (b"hello", "null")

    # The delete marker has the id null and takes the place of the null version.
    for _ in range(2):
        deleted = s3.delete_object(Bucket=bucket, Key="key")
        assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    assert versions_of(s3, bucket) == [
        ("DeleteMarker", "key", "null", True),
        ("Version", "key", kept, False),
    ]
    assert body_of(s3, bucket, "key", VersionId=kept) == b"kept"
    assert put(s3, bucket, "key", b"back") == "null"
    assert versions_of(s3, bucket) == [
        ("Version", "key", "null", True),
        ("Version", "key", kept, False),
    ]
    s3.delete_object(Bucket=bucket, Key="key", VersionId="null")
    assert body_of(s3, bucket, "key") == b"kept"

    enable(s3, bucket)
    added = put(s3, bucket, "key", b"added")
    assert versions_of(s3, bucket) == [
        ("Version", "key", added, True),
        ("Version", "key", kept, False),
    ]


# DeleteObjects


def test_delete_objects_with_versions(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    ids = [put(s3, bucket, "key", b"one"), put(s3, bucket, "key", b"two")]
    made = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "key"}, {"Key": "never"}]})[
        "Deleted"
    ]
    markers = [d["DeleteMarkerVersionId"] for d in made]
    assert [(d["Key"], d["DeleteMarker"]) for d in made] == [("key", True), ("never", True)]
    assert all(VERSION_ID.fullmatch(m) for m in markers) and markers[0] != markers[1]

    objects = [
        {"Key": "key", "VersionId": markers[0]},
        {"Key": "key", "VersionId": ids[0]},
        {"Key": "key", "VersionId": ABSENT},
        {"Key": "key", "VersionId": "not-an-id"},
    ]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert result["Deleted"] == [
        {
            "Key": "key",
            "VersionId": markers[0],
            "DeleteMarker": True,
            "DeleteMarkerVersionId": markers[0],
        },
        {"Key": "key", "VersionId": ids[0]},
        {"Key": "key", "VersionId": ABSENT},
    ]
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in result["Errors"]] == [
        ("key", "not-an-id", "NoSuchVersion")
    ]
    assert versions_of(s3, bucket) == [
        ("Version", "key", ids[1], True),
        ("DeleteMarker", "never", markers[1], True),
    ]


# CopyObject


def test_copy_of_a_version(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    ids = [put(s3, bucket, "key", b"hello"), put(s3, bucket, "key", b"two")]
    source = {"Bucket": bucket, "Key": "key", "VersionId": ids[0]}
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource=source)
    assert copied["CopySourceVersionId"] == ids[0]
    assert VERSION_ID.fullmatch(copied["VersionId"])
    assert body_of(s3, bucket, "copy") == b"hello"
    # Without a version id the source is the latest version.
    latest = s3.copy_object(Bucket=bucket, Key="latest", CopySource=f"{bucket}/key")
    assert latest["CopySourceVersionId"] == ids[1]
    # Copying an older version over its key makes it current again.
    restored = s3.copy_object(Bucket=bucket, Key="key", CopySource=source)
    assert body_of(s3, bucket, "key") == b"hello"
    assert [v[2] for v in versions_of(s3, bucket, Prefix="key")] == [
        restored["VersionId"],
        ids[1],
        ids[0],
    ]


def test_copy_into_an_unversioned_bucket(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    first = put(s3, bucket, "key", b"hello")
    other = "test-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=other)
    copied = s3.copy_object(
        Bucket=other, Key="copy", CopySource={"Bucket": bucket, "Key": "key", "VersionId": first}
    )
    assert "VersionId" not in copied and copied["CopySourceVersionId"] == first
    back = s3.copy_object(Bucket=bucket, Key="back", CopySource={"Bucket": other, "Key": "copy"})
    assert "CopySourceVersionId" not in back and VERSION_ID.fullmatch(back["VersionId"])


def test_copy_from_a_delete_marker(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    put(s3, bucket, "src", b"x")
    marker = s3.delete_object(Bucket=bucket, Key="src")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src")
    assert error_of(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src", "VersionId": marker},
        )
    assert error_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src", "VersionId": ABSENT},
        )
    assert error_of(exc) == ("NoSuchVersion", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="dst")


# Multipart uploads and bucket deletion


def test_multipart_completion_makes_a_version(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    first = put(s3, bucket, "big", b"small first version")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"p1")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert VERSION_ID.fullmatch(done["VersionId"]) and done["VersionId"] != first
    assert versions_of(s3, bucket) == [
        ("Version", "big", done["VersionId"], True),
        ("Version", "big", first, False),
    ]
    assert body_of(s3, bucket, "big", VersionId=first) == b"small first version"


def completed_version(s3: BaseClient, bucket: str, key: str) -> str | None:
    """Complete a one-part upload; the x-amz-version-id header of the answer, if any."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"p1")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    headers: dict[str, str] = done["ResponseMetadata"]["HTTPHeaders"]
    assert ("VersionId" in done) == ("x-amz-version-id" in headers)
    return headers.get("x-amz-version-id")


def test_version_header_of_writes_follows_the_bucket_state(s3: BaseClient, bucket: str) -> None:
    # AWS: a bucket that never had versioning answers writes without x-amz-version-id; once
    # Suspended, the null version is named "null".
    headers = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ResponseMetadata"]["HTTPHeaders"]
    assert "x-amz-version-id" not in headers
    assert completed_version(s3, bucket, "mp") is None
    enable(s3, bucket)
    enable(s3, bucket, "Suspended")
    assert put(s3, bucket, "k", b"y") == "null"
    assert completed_version(s3, bucket, "mp") == "null"


def test_delete_bucket_needs_every_version_gone(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    version = put(s3, bucket, "key", b"x")
    marker = s3.delete_object(Bucket=bucket, Key="key")["VersionId"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(exc) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="key", VersionId=version)
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(exc) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="key", VersionId=marker)
    s3.delete_bucket(Bucket=bucket)


def test_concurrent_writes_each_make_a_version(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    bodies = [f"body {i}".encode() for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda b: put(s3, bucket, "hot", b), bodies))
    assert len(set(ids)) == len(bodies)
    listed = versions_of(s3, bucket)
    assert sorted(v[2] for v in listed) == sorted(ids)
    assert [v[3] for v in listed] == [True] + [False] * (len(ids) - 1)
    latest = s3.get_object(Bucket=bucket, Key="hot")
    assert latest["VersionId"] == listed[0][2]
    assert latest["Body"].read() == bodies[ids.index(listed[0][2])]


def test_versions_survive_a_restart(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path)
    gw.start()
    try:
        s3 = gw.client()
        s3.create_bucket(Bucket="restarted")
        enable(s3, "restarted")
        first = put(s3, "restarted", "key", b"old bytes")
        put(s3, "restarted", "key", b"new bytes")
        gw.stop()
        gw.start()  # the start-up sweep must keep the files of noncurrent versions
        assert body_of(s3, "restarted", "key", VersionId=first) == b"old bytes"
        assert body_of(s3, "restarted", "key") == b"new bytes"
    finally:
        if gw.process is not None:
            gw.stop()


# ListObjectVersions


@pytest.fixture
def history(s3: BaseClient, bucket: str) -> list[tuple[str, str, str, bool]]:
    """A versioned bucket with several keys, versions and delete markers; its full listing."""
    put(s3, bucket, "a", b"a null")
    enable(s3, bucket)
    for key in ("a", "dir/x", "dir/y", "b", "dir/x", "c"):
        put(s3, bucket, key, key.encode())
    s3.delete_object(Bucket=bucket, Key="b")
    s3.delete_object(Bucket=bucket, Key="dir/y")
    put(s3, bucket, "dir/y", b"y again")
    put(s3, bucket, "c", b"c2")
    s3.delete_object(Bucket=bucket, Key="zz")
    return versions_of(s3, bucket)


def test_list_versions_whole_bucket(s3: BaseClient, bucket: str, history: list[Any]) -> None:
    assert [(kind, key, latest) for kind, key, _, latest in history] == [
        ("Version", "a", True),
        ("Version", "a", False),
        ("DeleteMarker", "b", True),
        ("Version", "b", False),
        ("Version", "c", True),
        ("Version", "c", False),
        ("Version", "dir/x", True),
        ("Version", "dir/x", False),
        ("Version", "dir/y", True),
        ("DeleteMarker", "dir/y", False),
        ("Version", "dir/y", False),
        ("DeleteMarker", "zz", True),
    ]
    assert history[1][2] == "null"
    page = s3.list_object_versions(Bucket=bucket)
    assert page["IsTruncated"] is False
    assert page["KeyMarker"] == "" and page["VersionIdMarker"] == ""
    assert "NextKeyMarker" not in page
    version = page["Versions"][0]
    assert version["ETag"].startswith('"') and version["Size"] == 1
    assert version["StorageClass"] == "STANDARD" and version["Owner"]["ID"]
    # ListObjects shows the keys whose latest version is an object.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["a", "c", "dir/x", "dir/y"]


@pytest.mark.parametrize("max_keys", [1, 2, 3, 5, 11])
def test_list_versions_pages(
    s3: BaseClient, bucket: str, history: list[Any], max_keys: int
) -> None:
    seen: list[Any] = []
    params: dict[str, Any] = {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=max_keys, **params)
        entries = entries_of(page)
        assert len(entries) <= max_keys
        seen += entries
        if not page["IsTruncated"]:
            break
        assert page["NextKeyMarker"] == entries[-1][1]
        assert page["NextVersionIdMarker"] == entries[-1][2]
        params = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }
    assert seen == history
    # boto3's own paginator walks the same way.
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": max_keys}
    )
    assert sum(len(p.get("Versions", [])) + len(p.get("DeleteMarkers", [])) for p in pages) == len(
        history
    )


def test_list_versions_key_marker_alone_skips_the_key(
    s3: BaseClient, bucket: str, history: list[Any]
) -> None:
    listed = versions_of(s3, bucket, KeyMarker="c")
    assert listed == [v for v in history if v[1] > "c"]
    listed = versions_of(s3, bucket, KeyMarker="b", VersionIdMarker=history[2][2])
    assert listed == history[3:]


def test_list_versions_prefix_and_delimiter(
    s3: BaseClient, bucket: str, history: list[Any]
) -> None:
    page = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dir/"]
    assert {e[1] for e in entries_of(page)} == {"a", "b", "c", "zz"}
    page = s3.list_object_versions(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert entries_of(page) == [v for v in history if v[1].startswith("dir/")]
    assert page["Prefix"] == "dir/" and page["Delimiter"] == "/"
    # A common prefix counts as one entry of a page, and is the next key marker.
    page = s3.list_object_versions(Bucket=bucket, Delimiter="/", MaxKeys=7)
    assert page["IsTruncated"] is True and page["NextKeyMarker"] == "dir/"
    assert "NextVersionIdMarker" not in page
    rest = s3.list_object_versions(Bucket=bucket, Delimiter="/", KeyMarker="dir/")
    assert entries_of(rest) == [history[-1]] and "CommonPrefixes" not in rest


def test_list_versions_url_encoding(s3: BaseClient, bucket: str) -> None:
    enable(s3, bucket)
    put(s3, bucket, "a b+c", b"x")
    page = s3.list_object_versions(Bucket=bucket, EncodingType="url")
    # boto3 decodes keys only when it chose the encoding itself.
    assert page["Versions"][0]["Key"] == "a%20b%2Bc"
    assert page["EncodingType"] == "url"


@pytest.mark.parametrize(
    ("query", "message", "argument"),
    [
        ("version-id-marker=x", "A version-id marker cannot be specified without a key marker.",
         "version-id-marker"),
        ("key-marker=a&version-id-marker=", "A version-id marker cannot be empty.",
         "version-id-marker"),
        ("key-marker=a&version-id-marker=garbage", "Invalid version id specified",
         "version-id-marker"),
        ("max-keys=-1", "max-keys cannot be negative", "max-keys"),
        ("max-keys=abc", "Provided max-keys not an integer or within integer range", "max-keys"),
        ("encoding-type=bogus", "Invalid Encoding Method specified in Request", "encoding-type"),
    ],
)  # fmt: skip
def test_list_versions_bad_parameters(
    gateway: Gateway, bucket: str, query: str, message: str, argument: str
) -> None:
    reply = request(gateway, "GET", f"/{bucket}?versions&{query}")
    assert (reply.status, reply.code) == (400, "InvalidArgument"), reply.body
    assert reply.error["Message"] == message
    assert reply.error["ArgumentName"] == argument


def _seed_versions(gateway: Gateway, bucket: str, key: str, count: int) -> list[str]:
    """Add noncurrent versions of `key` straight to the index (listing only: no data files)."""
    db = gateway.data_dir / "regions" / "us-east-1" / "db.sqlite3"
    ids = [secrets.token_urlsafe(24) for _ in range(count)]
    conn = sqlite3.connect(db, timeout=30)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag,"
                " last_modified, file, meta) VALUES (?, ?, ?, ?, 0, 0, ?, ?, NULL, ?)",
                (
                    (bucket, key.encode(), -i, version, "d41d8cd98f00b204e9800998ecf8427e",
                     time.time(), json.dumps({}))
                    for i, version in enumerate(ids)
                ),
            )  # fmt: skip
    finally:
        conn.close()
    return ids  # newest first: seq 0, -1, -2…


def test_list_versions_across_batches_of_one_key(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    enable(s3, bucket)
    put(s3, bucket, "a", b"a")
    current = put(s3, bucket, "many", b"current")
    put(s3, bucket, "z", b"z")
    seeded = _seed_versions(gateway, bucket, "many", 2500)
    expected = ["a", *(["many"] * 2501), "z"]
    seen: list[Any] = []
    params: dict[str, Any] = {}
    for _ in range(10):
        page = s3.list_object_versions(Bucket=bucket, **params)
        seen += entries_of(page)
        if not page["IsTruncated"]:
            break
        params = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }
    assert [e[1] for e in seen] == expected
    many = [e for e in seen if e[1] == "many"]
    assert [e[2] for e in many] == [current, *seeded]
    assert [e[3] for e in seen] == [True, True, *([False] * 2500), True]


def _plan(db: Path, sql: str, params: Iterable[Any]) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, list(params)))
    finally:
        conn.close()


def test_listing_pages_are_index_range_scans(gateway: Gateway, bucket: str) -> None:
    # Why a page costs the same anywhere in a large bucket: every listing query is a search
    # of a primary key from a bound, and the version listing merges two such scans without
    # sorting (bench/listing.py measures it).
    from mrap.storage.local import listing

    db = gateway.data_dir / "regions" / "us-east-1" / "db.sqlite3"
    bounds = [bucket, b"dir/", b"dir0"]
    sql = listing.VERSION_ROWS.format(where=" AND key > ? AND key < ?")
    plan = _plan(db, sql, bounds + bounds)
    assert "MERGE (UNION ALL)" in plan and "TEMP B-TREE" not in plan, plan
    assert plan.count("USING PRIMARY KEY (bucket=? AND key>? AND key<?)") == 2, plan
    sql = listing.VERSION_ROWS.format(where=" AND key = ? AND seq < ?")
    plan = _plan(db, sql, [bucket, b"k", 5, bucket, b"k", 5])
    assert "TEMP B-TREE" not in plan and "seq<?" in plan, plan
    sql = "SELECT key FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT 1000"
    plan = _plan(db, sql, [bucket, b"k"])
    assert "TEMP B-TREE" not in plan and "PRIMARY KEY (bucket=? AND key>?)" in plan, plan
