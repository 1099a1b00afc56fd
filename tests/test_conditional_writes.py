"""Conditional writes: If-None-Match: * and If-Match on PutObject, CompleteMultipartUpload
and CopyObject; 412 when the condition fails, 409 when a concurrent write wins the race."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import Reply, connect, head_block, host_of, read_reply, request, sign, temporary_files

PART = 5 * 1024 * 1024


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def body_of(s3: BaseClient, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# PutObject


def test_if_none_match_creates_only(s3: BaseClient, bucket: str) -> None:
    made = s3.put_object(Bucket=bucket, Key="new", Body=b"first", IfNoneMatch="*")
    assert made["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="new", Body=b"second", IfNoneMatch="*")
    assert error_of(exc) == ("PreconditionFailed", 412)
    assert exc.value.response["Error"]["Condition"] == "If-None-Match"
    assert body_of(s3, bucket, "new") == b"first"


def test_if_match_replaces_that_object_only(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="key", Body=b"one")["ETag"]
    updated = s3.put_object(Bucket=bucket, Key="key", Body=b"two", IfMatch=etag)["ETag"]
    assert body_of(s3, bucket, "key") == b"two"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="key", Body=b"three", IfMatch=etag)  # stale
    assert error_of(exc) == ("PreconditionFailed", 412)
    assert exc.value.response["Error"]["Condition"] == "If-Match"
    s3.put_object(Bucket=bucket, Key="key", Body=b"four", IfMatch=updated.strip('"'))
    s3.put_object(Bucket=bucket, Key="key", Body=b"five", IfMatch="*")
    assert body_of(s3, bucket, "key") == b"five"


@pytest.mark.parametrize("value", ['"5d41402abc4b2a76b9719d911017c592"', "*"])
def test_if_match_of_a_missing_key(s3: BaseClient, bucket: str, value: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=value)
    assert error_of(exc) == ("NoSuchKey", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_if_none_match_takes_only_a_star(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="key", Body=b"kept")["ETag"]
    reply = request(
        gateway, "PUT", f"/{bucket}/key", body=b"other", headers={"If-None-Match": etag}
    )
    assert (reply.status, reply.code) == (501, "NotImplemented")
    assert reply.error["Header"] == "If-None-Match"
    assert body_of(s3, bucket, "key") == b"kept"


def test_conditions_see_a_delete_marker_as_no_object(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    etag = s3.put_object(Bucket=bucket, Key="key", Body=b"old")["ETag"]
    s3.delete_object(Bucket=bucket, Key="key")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="key", Body=b"x", IfMatch=etag)
    assert error_of(exc) == ("NoSuchKey", 404)
    made = s3.put_object(Bucket=bucket, Key="key", Body=b"new", IfNoneMatch="*")
    assert made["VersionId"]
    assert body_of(s3, bucket, "key") == b"new"


# CompleteMultipartUpload


def _upload(s3: BaseClient, bucket: str, key: str) -> tuple[str, list[dict[str, Any]]]:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
    return upload, [{"PartNumber": 1, "ETag": part["ETag"]}]


def test_complete_if_none_match(s3: BaseClient, bucket: str) -> None:
    upload, parts = _upload(s3, bucket, "mp")
    s3.put_object(Bucket=bucket, Key="mp", Body=b"already there")
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    assert error_of(exc) == ("PreconditionFailed", 412)
    assert body_of(s3, bucket, "mp") == b"already there"
    # The upload is still there: completed once the key is free.
    s3.delete_object(Bucket=bucket, Key="mp")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts}, IfNoneMatch="*"
    )
    assert body_of(s3, bucket, "mp") == b"part"


def test_complete_if_match(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="mp", Body=b"v1")["ETag"]
    upload, parts = _upload(s3, bucket, "mp")
    s3.put_object(Bucket=bucket, Key="mp", Body=b"v2")
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts}, IfMatch=etag
        )
    assert error_of(exc) == ("PreconditionFailed", 412)
    current = s3.head_object(Bucket=bucket, Key="mp")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts}, IfMatch=current
    )
    assert body_of(s3, bucket, "mp") == b"part"


# CopyObject (the destination's conditions)


def test_copy_if_none_match(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    s3.put_object(Bucket=bucket, Key="dst", Body=b"kept")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", IfNoneMatch="*")
    assert error_of(exc) == ("PreconditionFailed", 412)
    assert body_of(s3, bucket, "dst") == b"kept"
    s3.copy_object(Bucket=bucket, Key="new", CopySource=f"{bucket}/src", IfNoneMatch="*")
    assert body_of(s3, bucket, "new") == b"source"


# Races: the condition held when the request started and no longer does when it commits.


@contextmanager
def _held_upload(
    gateway: Gateway, method: str, target: str, body: bytes, headers: dict[str, str]
) -> Iterator[tuple[socket.socket, bytes]]:
    """A signed request sent up to its body with `Expect: 100-continue`.

    The gateway answers 100 Continue once the operation starts reading the body, which is
    after it checked the write's condition: what the test does before sending the body
    happens between the check and the commit.
    """
    signed = sign(method, host_of(gateway), target, body=body, headers=headers)
    signed["Content-Length"] = str(len(body))
    signed["Expect"] = "100-continue"
    with connect(gateway) as sock:
        sock.sendall(head_block(f"{method} {target} HTTP/1.1", signed))
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(4096)
            assert chunk, interim
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        yield sock, body


def _finish(sock: socket.socket, body: bytes, method: str) -> Reply:
    sock.sendall(body)
    return read_reply(sock, method)


def test_put_race_lost_to_a_create(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/contended"
    with _held_upload(gateway, "PUT", target, b"loser", {"If-None-Match": "*"}) as (sock, body):
        s3.put_object(Bucket=bucket, Key="contended", Body=b"winner")
        reply = _finish(sock, body, "PUT")
    assert (reply.status, reply.code) == (409, "ConditionalRequestConflict"), reply.body
    assert body_of(s3, bucket, "contended") == b"winner"
    assert temporary_files(gateway) == []
    # Retried, the request fails its condition outright.
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="contended", Body=b"loser", IfNoneMatch="*")
    assert error_of(exc) == ("PreconditionFailed", 412)


@pytest.mark.parametrize("competitor", ["overwrite", "delete"])
def test_put_race_lost_to_a_change(
    gateway: Gateway, s3: BaseClient, bucket: str, competitor: str
) -> None:
    etag = s3.put_object(Bucket=bucket, Key="key", Body=b"original")["ETag"]
    target = f"/{bucket}/key"
    with _held_upload(gateway, "PUT", target, b"update", {"If-Match": etag}) as (sock, body):
        if competitor == "overwrite":
            s3.put_object(Bucket=bucket, Key="key", Body=b"changed")
        else:
            s3.delete_object(Bucket=bucket, Key="key")
        reply = _finish(sock, body, "PUT")
    assert (reply.status, reply.code) == (409, "ConditionalRequestConflict"), reply.body
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    if competitor == "overwrite":
        assert body_of(s3, bucket, "key") == b"changed"
    else:
        assert listed == []
    assert temporary_files(gateway) == []


def test_complete_race_lost_to_a_create(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    upload, parts = _upload(s3, bucket, "mp")
    document = (
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        f"<ETag>{parts[0]['ETag']}</ETag></Part></CompleteMultipartUpload>"
    ).encode()
    target = f"/{bucket}/mp?uploadId={upload}"
    with _held_upload(gateway, "POST", target, document, {"If-None-Match": "*"}) as (sock, body):
        s3.put_object(Bucket=bucket, Key="mp", Body=b"winner")
        reply = _finish(sock, body, "POST")
    assert (reply.status, reply.code) == (409, "ConditionalRequestConflict"), reply.body
    assert body_of(s3, bucket, "mp") == b"winner"
    assert temporary_files(gateway) == []


def test_versioned_race_keeps_every_version_intact(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    target = f"/{bucket}/key"
    with _held_upload(gateway, "PUT", target, b"loser", {"If-None-Match": "*"}) as (sock, body):
        won = s3.put_object(Bucket=bucket, Key="key", Body=b"winner")["VersionId"]
        reply = _finish(sock, body, "PUT")
    assert reply.status == 409
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [(won, True)]
