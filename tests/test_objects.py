"""Objects through boto3 against the running gateway: put, get, head, delete, copy.

Covers ranges, conditional requests, `response-*` overrides, metadata round trips, ETag and
Content-MD5 / CRC32 integrity, key rules and DeleteObjects.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import request

BODY = b"0123456789abcdefghijklmnopqrstuvwxyz"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def new_bucket(s3: BaseClient, region: str | None = None) -> str:
    name = "obj-" + secrets.token_hex(6)
    if region is None:
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


@pytest.fixture
def obj(s3: BaseClient, bucket: str) -> Iterator[str]:
    """A key holding BODY in the test's bucket."""
    s3.put_object(Bucket=bucket, Key="obj", Body=BODY)
    yield "obj"


# put / get / head / delete


def test_put_get_head_delete(s3: BaseClient, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="a/b.txt", Body=BODY)
    assert put["ETag"] == f'"{md5_hex(BODY)}"'

    got = s3.get_object(Bucket=bucket, Key="a/b.txt")
    assert got["Body"].read() == BODY
    assert got["ETag"] == put["ETag"]
    assert got["ContentLength"] == len(BODY)
    assert got["ContentType"] == "binary/octet-stream"
    assert got["AcceptRanges"] == "bytes"
    assert abs(got["LastModified"] - datetime.now(UTC)) < timedelta(minutes=1)
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]

    head = s3.head_object(Bucket=bucket, Key="a/b.txt")
    assert head["ContentLength"] == len(BODY)
    assert head["ETag"] == put["ETag"]
    assert head["LastModified"] == got["LastModified"]

    deleted = s3.delete_object(Bucket=bucket, Key="a/b.txt")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="a/b.txt")
    assert error_of(exc) == ("NoSuchKey", 404)
    assert exc.value.response["Error"]["Key"] == "a/b.txt"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="a/b.txt")
    assert error_of(exc) == ("404", 404)


def test_delete_missing_key_succeeds(s3: BaseClient, bucket: str) -> None:
    response = s3.delete_object(Bucket=bucket, Key="never-was")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_overwrite_replaces_body_and_metadata(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}
    assert got["ContentType"] == "text/plain"
    assert got["ETag"] == f'"{md5_hex(b"second!")}"'


def test_empty_object(s3: BaseClient, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0
    assert got["Body"].read() == b""


def test_object_in_missing_bucket(s3: BaseClient) -> None:
    missing = "missing-" + secrets.token_hex(6)
    calls: tuple[Callable[[], object], ...] = (
        lambda: s3.put_object(Bucket=missing, Key="k", Body=b"x"),
        lambda: s3.get_object(Bucket=missing, Key="k"),
        lambda: s3.delete_object(Bucket=missing, Key="k"),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchBucket", 404)
        assert exc.value.response["Error"]["BucketName"] == missing


@pytest.mark.parametrize("size", [1, 2 * 1024 * 1024])
def test_refused_upload_leaves_connection_usable(s3: BaseClient, bucket: str, size: int) -> None:
    # boto3 sends `Expect: 100-continue` above 1 MiB and then never sends a refused body; the
    # next request on the same pooled connection must still be read as a request.
    body = b"b" * size
    for _ in range(3):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=body, ContentMD5="bad")
        assert error_of(exc) == ("InvalidDigest", 400)
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket="no-such-" + bucket, Key="k", Body=body)
        assert error_of(exc) == ("NoSuchBucket", 404)
        s3.put_object(Bucket=bucket, Key="k", Body=body)
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body


def test_etag_is_md5_of_body(s3: BaseClient, bucket: str) -> None:
    body = secrets.token_bytes(300_000)
    put = s3.put_object(Bucket=bucket, Key="big", Body=body)
    assert put["ETag"] == f'"{md5_hex(body)}"'
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body


# ranges


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-4", 0, 4),
        ("bytes=10-10", 10, 10),
        ("bytes=30-", 30, 35),
        ("bytes=-5", 31, 35),
        ("bytes=-100", 0, 35),  # a suffix longer than the object is the whole object
        ("bytes=20-1000", 20, 35),  # an end past the object is clamped
    ],
)
def test_range(s3: BaseClient, bucket: str, obj: str, header: str, start: int, end: int) -> None:
    got = s3.get_object(Bucket=bucket, Key=obj, Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/{len(BODY)}"
    assert got["ContentLength"] == end - start + 1
    assert got["Body"].read() == BODY[start : end + 1]


def test_range_on_head(s3: BaseClient, bucket: str, obj: str) -> None:
    head = s3.head_object(Bucket=bucket, Key=obj, Range="bytes=2-5")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 4
    assert head["ContentRange"] == f"bytes 2-5/{len(BODY)}"


@pytest.mark.parametrize("header", ["bytes=36-", "bytes=100-200", "bytes=-0"])
def test_unsatisfiable_range(s3: BaseClient, bucket: str, obj: str, header: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=obj, Range=header)
    assert error_of(exc) == ("InvalidRange", 416)
    assert exc.value.response["Error"]["ActualObjectSize"] == str(len(BODY))


def test_malformed_range_is_ignored(s3: BaseClient, bucket: str, obj: str) -> None:
    got = s3.get_object(Bucket=bucket, Key=obj, Range="bytes=5-2")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == BODY


# conditional requests


def test_if_match(s3: BaseClient, bucket: str, obj: str) -> None:
    etag = s3.head_object(Bucket=bucket, Key=obj)["ETag"]
    assert s3.get_object(Bucket=bucket, Key=obj, IfMatch=etag)["Body"].read() == BODY
    assert s3.get_object(Bucket=bucket, Key=obj, IfMatch="*")["Body"].read() == BODY
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=obj, IfMatch='"0000"')
    assert error_of(exc) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=obj, IfMatch='"0000"')
    assert error_of(exc) == ("412", 412)


def test_if_none_match(s3: BaseClient, bucket: str, obj: str) -> None:
    etag = s3.head_object(Bucket=bucket, Key=obj)["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=obj, IfNoneMatch=etag)
    assert error_of(exc) == ("304", 304)
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=obj, IfNoneMatch=etag)
    assert error_of(exc) == ("304", 304)
    got = s3.get_object(Bucket=bucket, Key=obj, IfNoneMatch='"other"')
    assert got["Body"].read() == BODY


def test_if_modified_since(s3: BaseClient, bucket: str, obj: str) -> None:
    modified = s3.head_object(Bucket=bucket, Key=obj)["LastModified"]
    past = modified - timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key=obj, IfModifiedSince=past)["Body"].read() == BODY
    for since in (modified, modified + timedelta(days=1)):
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key=obj, IfModifiedSince=since)
        assert error_of(exc) == ("304", 304)


def test_if_unmodified_since(s3: BaseClient, bucket: str, obj: str) -> None:
    modified = s3.head_object(Bucket=bucket, Key=obj)["LastModified"]
    for since in (modified, modified + timedelta(days=1)):
        got = s3.get_object(Bucket=bucket, Key=obj, IfUnmodifiedSince=since)
        assert got["Body"].read() == BODY
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=obj, IfUnmodifiedSince=modified - timedelta(days=1))
    assert error_of(exc) == ("PreconditionFailed", 412)


def test_condition_combinations_follow_s3(s3: BaseClient, bucket: str, obj: str) -> None:
    etag = s3.head_object(Bucket=bucket, Key=obj)["ETag"]
    modified = s3.head_object(Bucket=bucket, Key=obj)["LastModified"]
    # If-Match true wins over a failing If-Unmodified-Since.
    got = s3.get_object(
        Bucket=bucket, Key=obj, IfMatch=etag, IfUnmodifiedSince=modified - timedelta(days=1)
    )
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    # If-None-Match false (it matches) with If-Modified-Since true answers 304.
    with pytest.raises(ClientError) as exc:
        s3.get_object(
            Bucket=bucket, Key=obj, IfNoneMatch=etag, IfModifiedSince=modified - timedelta(days=1)
        )
    assert error_of(exc) == ("304", 304)
    # If-Match fails before If-None-Match is looked at.
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=obj, IfMatch='"nope"', IfNoneMatch=etag)
    assert error_of(exc) == ("PreconditionFailed", 412)


# response-* overrides and stored headers


def test_response_overrides(s3: BaseClient, bucket: str, obj: str) -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    got = s3.get_object(
        Bucket=bucket,
        Key=obj,
        ResponseContentType="text/x-override",
        ResponseContentLanguage="fr",
        ResponseCacheControl="no-store",
        ResponseContentDisposition='attachment; filename="o.txt"',
        ResponseContentEncoding="identity",
        ResponseExpires=expires,
    )
    assert got["Body"].read() == BODY
    assert got["ContentType"] == "text/x-override"
    assert got["ContentLanguage"] == "fr"
    assert got["CacheControl"] == "no-store"
    assert got["ContentDisposition"] == 'attachment; filename="o.txt"'
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    # Overrides change one response only.
    assert s3.head_object(Bucket=bucket, Key=obj)["ContentType"] == "binary/octet-stream"


def test_system_metadata_round_trip(s3: BaseClient, bucket: str) -> None:
    expires = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    s3.put_object(
        Bucket=bucket,
        Key="doc.txt.gz",
        Body=b"not really gzip",
        ContentType="text/plain; charset=utf-8",
        CacheControl="max-age=3600, public",
        ContentDisposition='inline; filename="doc.txt"',
        ContentEncoding="gzip",
        ContentLanguage="en-GB",
        Expires=expires,
    )
    for response in (
        s3.head_object(Bucket=bucket, Key="doc.txt.gz"),
        s3.get_object(Bucket=bucket, Key="doc.txt.gz"),
    ):
        assert response["ContentType"] == "text/plain; charset=utf-8"
        assert response["CacheControl"] == "max-age=3600, public"
        assert response["ContentDisposition"] == 'inline; filename="doc.txt"'
        assert response["ContentEncoding"] == "gzip"
        assert response["ContentLanguage"] == "en-GB"
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["expires"] == "Tue, 06 May 2031 07:08:09 GMT"
    body = s3.get_object(Bucket=bucket, Key="doc.txt.gz")["Body"].read()
    assert body == b"not really gzip"  # stored as sent, never decoded


def test_gzip_body_is_stored_as_sent(s3: BaseClient, bucket: str) -> None:
    raw = zlib.compress(b"hello " * 100)
    gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw[2:-4]
    gz += zlib.crc32(b"hello " * 100).to_bytes(4, "little") + (600).to_bytes(4, "little")
    put = s3.put_object(Bucket=bucket, Key="g", Body=gz, ContentEncoding="gzip")
    assert put["ETag"] == f'"{md5_hex(gz)}"'
    assert s3.get_object(Bucket=bucket, Key="g")["Body"].read() == gz


def test_user_metadata(s3: BaseClient, bucket: str) -> None:
    metadata = {"color": "blue", "Mixed-Case": "Value With Spaces", "empty": ""}
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=metadata)
    expected = {"color": "blue", "mixed-case": "Value With Spaces", "empty": ""}
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == expected
    assert s3.get_object(Bucket=bucket, Key="m")["Metadata"] == expected


def test_metadata_too_large(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"big": "v" * 2100})
    assert error_of(exc) == ("MetadataTooLarge", 400)


# integrity: Content-MD5 and x-amz-checksum-crc32


def test_content_md5_accepted(s3: BaseClient, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=md5_b64(BODY))
    assert put["ETag"] == f'"{md5_hex(BODY)}"'


def test_content_md5_mismatch_is_bad_digest(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=md5_b64(b"other"))
    assert error_of(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert error_of(exc) == ("404", 404)


@pytest.mark.parametrize("value", ["not-base64!", base64.b64encode(b"short").decode(), "", "AAAA"])
def test_malformed_content_md5_is_invalid_digest(s3: BaseClient, bucket: str, value: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=value)
    assert error_of(exc) == ("InvalidDigest", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")


def _capture(s3: BaseClient, event: str) -> list[AWSRequest]:
    seen: list[AWSRequest] = []

    def hook(request: AWSRequest, **_: object) -> None:
        seen.append(request)

    s3.meta.events.register(event, hook)
    return seen


def test_default_crc32_checksum_is_verified_and_stored(s3: BaseClient, bucket: str) -> None:
    sent = _capture(s3, "before-send.s3.PutObject")
    put = s3.put_object(Bucket=bucket, Key="c", Body=BODY)
    assert sent[0].headers["x-amz-checksum-crc32"] == crc32_b64(BODY).encode()
    assert put["ChecksumCRC32"] == crc32_b64(BODY)
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(BODY)
    assert got["Body"].read() == BODY
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(BODY)
    # Without checksum mode the checksum is not shown.
    assert "ChecksumCRC32" not in s3.head_object(Bucket=bucket, Key="c")


def test_explicit_wrong_crc32_is_bad_digest(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="c", Body=BODY, ChecksumCRC32=crc32_b64(b"other"))
    assert error_of(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="c")


def test_sdk_crc32_tampered_before_signing_is_bad_digest(s3: BaseClient, bucket: str) -> None:
    def tamper(request: AWSRequest, **_: object) -> None:
        request.headers.replace_header("x-amz-checksum-crc32", crc32_b64(b"tampered"))

    s3.meta.events.register("before-sign.s3.PutObject", tamper)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="c", Body=BODY)
    assert error_of(exc) == ("BadDigest", 400)


def test_malformed_crc32_is_invalid_request(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="c", Body=BODY, ChecksumCRC32="AAAA")
    assert error_of(exc) == ("InvalidRequest", 400)


# keys


SPECIAL_KEYS = [
    "with space",
    "plus+sign",
    "percent%20literal",
    "100%",
    "unicode-é-中文-😀",
    "../escape",
    "../../../../etc/passwd",
    "a//b",
    "./dot",
    "dir/",
    "question?mark&amp=1#hash",
    "tilde~semi;colon,comma",
    "quotes\"'<xml>&",
    "brackets[]{}()|^`\\",
    "/leading-slash",
    "/",
    "//",
    "new\nline\r\ncrlf",
    "ctrl\x01\x1fchars",
    "tab\tand\u00a0nbsp",
]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_keys_round_trip(s3: BaseClient, bucket: str, key: str) -> None:
    body = key.encode() * 2
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_dot_dot_key_is_a_plain_key(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a/../b", Body=b"1")
    s3.put_object(Bucket=bucket, Key="b", Body=b"2")
    assert s3.get_object(Bucket=bucket, Key="a/../b")["Body"].read() == b"1"
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"2"
    # Nothing was written outside the region folder under a name derived from the key.
    assert not list(gateway.data_dir.rglob("escape"))
    assert not list(gateway.data_dir.rglob("b"))


def test_key_length_limit(s3: BaseClient, bucket: str) -> None:
    longest = "k" * 1024
    s3.put_object(Bucket=bucket, Key=longest, Body=b"x")
    assert s3.get_object(Bucket=bucket, Key=longest)["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(exc) == ("KeyTooLongError", 400)


def test_key_length_counts_utf8_bytes(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="é" * 512, Body=b"x")  # 1024 bytes
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="é" * 512 + "a", Body=b"x")  # 1025 bytes
    assert error_of(exc) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="中" * 342)  # 1026 bytes
    assert error_of(exc) == ("KeyTooLongError", 400)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["é" * 512]


# DeleteObjects


def test_delete_objects_verbose(s3: BaseClient, bucket: str) -> None:
    keys = ["a", "b c", "d+e", "f/g", "x&y<z>'\"", "é中😀"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": k} for k in [*keys, "never-was"]]},
    )
    assert sorted(d["Key"] for d in response["Deleted"]) == sorted([*keys, "never-was"])
    assert "Errors" not in response
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_delete_objects_quiet(s3: BaseClient, bucket: str) -> None:
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}
    )
    assert "Deleted" not in response
    assert "Errors" not in response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_many(s3: BaseClient, bucket: str) -> None:
    keys = [f"k{i:04d}" for i in range(1000)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))
    started = time.perf_counter()
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": False}
    )
    print(f"DeleteObjects of 1,000 stored keys: {time.perf_counter() - started:.3f} s")
    assert sorted(d["Key"] for d in response["Deleted"]) == keys
    assert "Errors" not in response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_refuses_1001_keys(s3: BaseClient, bucket: str) -> None:
    # AWS: "The request can contain a list of up to 1,000 keys"; more is MalformedXML, and
    # nothing is deleted.
    s3.put_object(Bucket=bucket, Key="k0000", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": f"k{i:04d}"} for i in range(1001)]}
        )
    assert error_of(exc) == ("MalformedXML", 400)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


@pytest.mark.parametrize("quiet", [False, True])
def test_delete_objects_conditional_on_etag(s3: BaseClient, bucket: str, quiet: bool) -> None:
    # AWS's conditional deletes (S3 user guide, "How to perform conditional deletes"): an
    # <ETag> must match the key's current version (`*`: any), else that key gets an <Error>
    # PreconditionFailed and stays; a missing key with an <ETag> is NoSuchKey.
    etags = {k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode())["ETag"] for k in "abcd"}
    objects: list[dict[str, str]] = [
        {"Key": "a", "ETag": etags["a"]},
        {"Key": "b", "ETag": etags["a"]},
        {"Key": "c", "ETag": "*"},
        {"Key": "d", "ETag": etags["d"].strip('"')},
        {"Key": "gone", "ETag": etags["a"]},
        {"Key": "gone-too"},
    ]
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": quiet})
    errors = {e["Key"]: (e["Code"], e["Message"]) for e in response["Errors"]}
    assert errors == {
        "b": (
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        ),
        "gone": ("NoSuchKey", "The specified key does not exist."),
    }
    deleted = [d["Key"] for d in response.get("Deleted", [])]
    assert deleted == ([] if quiet else ["a", "c", "d", "gone-too"])
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["b"]


# CopyObject


def test_copy_with_copy_directive_keeps_metadata(s3: BaseClient, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=BODY,
        ContentType="text/csv",
        CacheControl="no-cache",
        Metadata={"origin": "source"},
    )
    copied = s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        Metadata={"ignored": "yes"},  # ignored under COPY, as S3 does
    )
    assert copied["CopyObjectResult"]["ETag"] == f'"{md5_hex(BODY)}"'
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == BODY
    assert got["ContentType"] == "text/csv"
    assert got["CacheControl"] == "no-cache"
    assert got["Metadata"] == {"origin": "source"}
    # The source is unchanged.
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == BODY


def test_copy_with_replace_directive(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY, ContentType="text/csv", Metadata={"a": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"b": "2"},
    )
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == BODY
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"b": "2"}
    assert "CacheControl" not in got


def test_copy_onto_itself(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=BODY, Metadata={"a": "1"})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert error_of(exc) == ("InvalidRequest", 400)
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource={"Bucket": bucket, "Key": "self"},
        MetadataDirective="REPLACE",
        Metadata={"a": "2"},
    )
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Body"].read() == BODY
    assert got["Metadata"] == {"a": "2"}


def test_copy_special_key(s3: BaseClient, bucket: str) -> None:
    key = "dir/with space+plus%percent é 中.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=BODY)
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + ".copy")["Body"].read() == BODY


def test_copy_missing_source(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})
    assert error_of(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket, Key="dst", CopySource={"Bucket": "no-such-" + bucket, "Key": "x"}
        )
    assert error_of(exc) == ("NoSuchBucket", 404)


def _copy_error(s3: BaseClient, bucket: str, **conditions: Any) -> tuple[str, int] | None:
    try:
        s3.copy_object(
            Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, **conditions
        )
    except ClientError as exc:
        response: Any = exc.response
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]
    return None


def test_copy_source_conditions(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)
    head = s3.head_object(Bucket=bucket, Key="src")
    etag, modified = head["ETag"], head["LastModified"]
    day = timedelta(days=1)
    failed = ("PreconditionFailed", 412)
    assert _copy_error(s3, bucket, CopySourceIfMatch=etag) is None
    assert _copy_error(s3, bucket, CopySourceIfMatch='"other"') == failed
    assert _copy_error(s3, bucket, CopySourceIfNoneMatch='"other"') is None
    assert _copy_error(s3, bucket, CopySourceIfNoneMatch=etag) == failed
    assert _copy_error(s3, bucket, CopySourceIfModifiedSince=modified - day) is None
    assert _copy_error(s3, bucket, CopySourceIfModifiedSince=modified + day) == failed
    assert _copy_error(s3, bucket, CopySourceIfUnmodifiedSince=modified + day) is None
    assert _copy_error(s3, bucket, CopySourceIfUnmodifiedSince=modified - day) == failed
    # S3's combinations: a true If-Match overrides a false If-Unmodified-Since ...
    assert (
        _copy_error(s3, bucket, CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=modified - day)
        is None
    )
    # ... and a false If-None-Match with a true If-Modified-Since fails.
    assert (
        _copy_error(
            s3, bucket, CopySourceIfNoneMatch=etag, CopySourceIfModifiedSince=modified - day
        )
        == failed
    )


def test_copy_failed_condition_leaves_destination(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)
    s3.put_object(Bucket=bucket, Key="dst", Body=b"old")
    assert _copy_error(s3, bucket, CopySourceIfMatch='"other"') == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"old"


def _region_keys(gateway: Gateway, region: str, bucket: str) -> list[str]:
    db = gateway.data_dir / "regions" / region / "db.sqlite3"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT key FROM objects WHERE bucket = ?", (bucket,)).fetchall()
    finally:
        conn.close()
    return sorted(bytes(r[0]).decode() for r in rows)


def test_copy_across_regions(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    body = secrets.token_bytes(100_000)
    s3.put_object(Bucket=bucket, Key="src", Body=body, Metadata={"m": "v"}, ContentType="a/b")
    europe = new_bucket(s3, "eu-west-1")
    oregon = new_bucket(s3, "us-west-2")
    s3.copy_object(Bucket=europe, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    s3.copy_object(Bucket=oregon, Key="again", CopySource={"Bucket": europe, "Key": "copied"})
    for target, key in ((europe, "copied"), (oregon, "again")):
        got = s3.get_object(Bucket=target, Key=key)
        assert got["Body"].read() == body
        assert got["ETag"] == f'"{md5_hex(body)}"'
        assert got["Metadata"] == {"m": "v"}
        assert got["ContentType"] == "a/b"
    assert _region_keys(gateway, "eu-west-1", europe) == ["copied"]
    assert _region_keys(gateway, "us-west-2", oregon) == ["again"]
    assert _region_keys(gateway, "us-east-1", europe) == []


def test_copy_keeps_crc32_of_source(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ChecksumCRC32"] == crc32_b64(BODY)
    got = s3.get_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(BODY)
    assert got["Body"].read() == BODY


def test_unknown_metadata_directive(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)

    def hook(request: AWSRequest, **_: object) -> None:
        request.headers.replace_header("x-amz-metadata-directive", "MERGE")

    s3.meta.events.register("before-sign.s3.CopyObject", hook)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src"},
            MetadataDirective="REPLACE",
        )
    assert error_of(exc) == ("InvalidArgument", 400)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-amz-metadata-directive", "copy"),
        ("x-amz-metadata-directive", "Replace"),
        ("x-amz-tagging-directive", "replace"),
        ("x-amz-tagging-directive", "MERGE"),
    ],
)
def test_directive_values_are_exact(
    gateway: Gateway, s3: BaseClient, bucket: str, header: str, value: str
) -> None:
    # Only COPY and REPLACE, case-sensitive: AWS answers `copy` with InvalidArgument
    # "Unknown metadata directive." (CopyObject API reference, Valid Values: COPY | REPLACE).
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)
    reply = request(
        gateway,
        "PUT",
        f"/{bucket}/dst",
        headers={"x-amz-copy-source": f"/{bucket}/src", header: value},
    )
    assert (reply.status, reply.code) == (400, "InvalidArgument"), reply.body
    assert (reply.error["ArgumentName"], reply.error["ArgumentValue"]) == (header, value)
    what = header.split("-")[2]
    assert reply.error["Message"] == f"Unknown {what} directive."
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]


def test_copy_directive_table(s3: BaseClient, bucket: str) -> None:
    # AWS's CopyObject: COPY takes the source's metadata and ignores the request's; REPLACE
    # takes only the request's (Content-Type defaults again); tags follow their own
    # directive; a copy onto itself must change metadata (REPLACE, even with the same
    # values) or the storage class.
    s3.put_object(
        Bucket=bucket,
        Key="obj",
        Body=BODY,
        ContentType="text/csv",
        Metadata={"a": "1"},
        Tagging="t=1",
    )
    source = {"Bucket": bucket, "Key": "obj"}
    illegal = "This copy request is illegal because it is trying to copy an object to itself"
    for params in (
        {},
        {"MetadataDirective": "COPY"},
        {"MetadataDirective": "COPY", "Metadata": {"a": "2"}, "ContentType": "text/plain"},
        {"StorageClass": "STANDARD"},
    ):
        with pytest.raises(ClientError) as exc:
            s3.copy_object(Bucket=bucket, Key="obj", CopySource=source, **params)
        assert error_of(exc) == ("InvalidRequest", 400)
        assert exc.value.response["Error"]["Message"].startswith(illegal)
    s3.copy_object(
        Bucket=bucket,
        Key="obj",
        CopySource=source,
        MetadataDirective="REPLACE",
        Metadata={"a": "1"},
    )
    got = s3.head_object(Bucket=bucket, Key="obj")
    assert (got["Metadata"], got["ContentType"]) == ({"a": "1"}, "binary/octet-stream")
    s3.copy_object(Bucket=bucket, Key="obj", CopySource=source, StorageClass="STANDARD_IA")
    got = s3.head_object(Bucket=bucket, Key="obj")
    assert (got["Metadata"], got["StorageClass"]) == ({"a": "1"}, "STANDARD_IA")
    tags = s3.get_object_tagging(Bucket=bucket, Key="obj")["TagSet"]
    assert tags == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="other",
        CopySource=source,
        MetadataDirective="REPLACE",
        TaggingDirective="COPY",
        Tagging="ignored=1",
        ContentType="text/plain",
    )
    got = s3.head_object(Bucket=bucket, Key="other")
    # Nor the source's class: STANDARD (no header) without a StorageClass in the request.
    assert (got["Metadata"], got["ContentType"], "StorageClass" in got) == ({}, "text/plain", False)
    assert s3.get_object_tagging(Bucket=bucket, Key="other")["TagSet"] == tags


# Server-side encryption is not implemented: asking for it is refused, never ignored.

SSE_HEADERS = [
    {"x-amz-server-side-encryption": "AES256"},
    {"x-amz-server-side-encryption": "aws:kms"},
    {"x-amz-server-side-encryption-aws-kms-key-id": "alias/key"},
    {"x-amz-server-side-encryption-context": base64.b64encode(b'{"a":"b"}').decode()},
    {"x-amz-server-side-encryption-bucket-key-enabled": "true"},
    {"x-amz-server-side-encryption-customer-algorithm": "AES256"},
    {"x-amz-server-side-encryption-customer-key": base64.b64encode(b"k" * 32).decode()},
    {"x-amz-server-side-encryption-customer-key-MD5": md5_b64(b"k" * 32)},
]
COPY_SSE_HEADERS = [
    {"x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256"},
    {"x-amz-copy-source-server-side-encryption-customer-key": base64.b64encode(b"k" * 32).decode()},
    {"x-amz-copy-source-server-side-encryption-customer-key-MD5": md5_b64(b"k" * 32)},
]


def _not_implemented(reply: Any, header: str) -> None:
    assert reply.status == 501, reply.body
    assert reply.code == "NotImplemented"
    assert reply.error["Message"] == (
        "A header you provided implies functionality that is not implemented"
    )
    assert reply.error["Header"].lower() == header.lower()


def test_encryption_headers_are_refused_and_nothing_is_written(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=BODY)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = f"/{bucket}/mp?partNumber=1&uploadId={upload_id}"
    copy = {"x-amz-copy-source": f"/{bucket}/src"}
    for headers in SSE_HEADERS:
        name = next(iter(headers))
        writes = [
            request(gateway, "PUT", f"/{bucket}/new", body=b"x", headers=headers),
            request(gateway, "PUT", f"/{bucket}/new", headers={**headers, **copy}),
            request(gateway, "POST", f"/{bucket}/new?uploads", headers=headers),
            request(gateway, "PUT", part, body=b"x", headers=headers),
            request(gateway, "PUT", part, headers={**headers, **copy}),
        ]
        reads = [
            request(gateway, "GET", f"/{bucket}/src", headers=headers),
            request(gateway, "HEAD", f"/{bucket}/src", headers=headers),
        ]
        for reply in writes + reads[:1]:
            _not_implemented(reply, name)
        assert reads[1].status == 501  # a HEAD answer has no body
    for headers in COPY_SSE_HEADERS:
        name = next(iter(headers))
        _not_implemented(
            request(gateway, "PUT", f"/{bucket}/new", headers={**headers, **copy}), name
        )
        _not_implemented(request(gateway, "PUT", part, headers={**headers, **copy}), name)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload_id]
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []


def test_encryption_through_boto3_is_refused(s3: BaseClient, bucket: str) -> None:
    for extra in (
        {"ServerSideEncryption": "AES256"},
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/key"},
        {"ServerSideEncryption": "aws:kms", "BucketKeyEnabled": True},
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=BODY, **extra)
        assert error_of(exc) == ("NotImplemented", 501)
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ServerSideEncryption="AES256")
    assert error_of(exc) == ("NotImplemented", 501)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
