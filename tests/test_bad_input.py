"""Malformed requests as raw HTTP: the exact S3 error, and nothing changed in any bucket."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.client import BaseClient
from conftest import Gateway
from rawhttp import (
    Reply,
    connect,
    head_block,
    host_of,
    presign,
    read_reply,
    request,
    send,
    sign,
    snapshot,
    temporary_files,
)


@pytest.fixture
def unchanged(s3: BaseClient, gateway: Gateway, bucket: str) -> Iterator[None]:
    """Assert that the test leaves every bucket and object as it found them."""
    s3.put_object(Bucket=bucket, Key="existing", Body=b"existing object")
    s3.put_object(Bucket=bucket, Key="dir/other", Body=b"other object")
    before = snapshot(s3)
    yield
    assert snapshot(s3) == before
    assert temporary_files(gateway) == []


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def _expect(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert reply.code == code, reply.body
    assert reply.error["RequestId"] == reply.headers["x-amz-request-id"]


# DeleteObjects

DELETE_EXISTING = b"<Delete><Object><Key>existing</Key></Object></Delete>"


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>existing</Key></Object>",
        b"not xml at all",
        b"<Delete><Object><Key>existing</Key></Object></Delete><Delete/>",
        b"<Remove><Object><Key>existing</Key></Object></Remove>",
        b"<Delete></Delete>",
        b"<Delete><Object><VersionId>1</VersionId></Object></Delete>",
        b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_delete_objects_malformed_xml(gateway: Gateway, bucket: str, body: bytes) -> None:
    reply = request(
        gateway, "POST", f"/{bucket}?delete", body=body, headers={"Content-MD5": _md5(body)}
    )
    _expect(reply, 400, "MalformedXML")


@pytest.mark.usefixtures("unchanged")
def test_delete_objects_without_content_md5(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "POST", f"/{bucket}?delete", body=DELETE_EXISTING)
    _expect(reply, 400, "InvalidRequest")


@pytest.mark.usefixtures("unchanged")
def test_delete_objects_with_wrong_content_md5(gateway: Gateway, bucket: str) -> None:
    headers = {"Content-MD5": _md5(b"something else")}
    reply = request(gateway, "POST", f"/{bucket}?delete", body=DELETE_EXISTING, headers=headers)
    _expect(reply, 400, "BadDigest")
    headers = {"Content-MD5": "not base64!"}
    reply = request(gateway, "POST", f"/{bucket}?delete", body=DELETE_EXISTING, headers=headers)
    _expect(reply, 400, "InvalidDigest")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Delete><Object><Key>&lol9;</Key></Object></Delete>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
@pytest.mark.usefixtures("unchanged")
def test_xml_with_dtd_is_refused(gateway: Gateway, bucket: str, body: bytes) -> None:
    started = time.monotonic()
    reply = request(
        gateway, "POST", f"/{bucket}?delete", body=body, headers={"Content-MD5": _md5(body)}
    )
    _expect(reply, 400, "MalformedXML")
    # Expanded entities would take minutes and gigabytes; refusing them takes no time.
    assert time.monotonic() - started < 10
    config = body.replace(b"<Delete><Object><Key>", b"<CreateBucketConfiguration><X>")
    config = config.replace(b"</Key></Object></Delete>", b"</X></CreateBucketConfiguration>")
    reply = request(gateway, "PUT", "/laughing-bucket", body=config)
    _expect(reply, 400, "MalformedXML")


# signatures


@pytest.mark.usefixtures("unchanged")
def test_bad_signature_changes_nothing(gateway: Gateway, bucket: str) -> None:
    for method, target, body in (
        ("PUT", f"/{bucket}/new", b"new"),
        ("PUT", f"/{bucket}/existing", b"overwritten"),
        ("DELETE", f"/{bucket}/existing", b""),
        ("DELETE", f"/{bucket}", b""),
        ("PUT", "/bad-signature-bucket", b""),
        ("POST", f"/{bucket}?delete", DELETE_EXISTING),
    ):
        headers = {"Content-MD5": _md5(body)} if method == "POST" else {}
        reply = request(gateway, method, target, body=body, headers=headers, secret="wrong")
        _expect(reply, 403, "SignatureDoesNotMatch")


@pytest.mark.usefixtures("unchanged")
def test_missing_signature_changes_nothing(gateway: Gateway, bucket: str) -> None:
    for method, target, body in (
        ("PUT", f"/{bucket}/new", b"new"),
        ("PUT", f"/{bucket}/existing", b"overwritten"),
        ("DELETE", f"/{bucket}/existing", b""),
        ("DELETE", f"/{bucket}", b""),
        ("PUT", "/anonymous-bucket", b""),
        ("POST", f"/{bucket}?delete", DELETE_EXISTING),
    ):
        headers = {"Content-MD5": _md5(body)} if method == "POST" else {}
        reply = request(gateway, method, target, body=body, headers=headers, signed=False)
        _expect(reply, 403, "AccessDenied")


@pytest.mark.usefixtures("unchanged")
def test_expired_presigned_urls_change_nothing(gateway: Gateway, bucket: str) -> None:
    host = host_of(gateway)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for method, target, body in (
        ("PUT", f"/{bucket}/new", b"new"),
        ("PUT", f"/{bucket}/existing", b"overwritten"),
        ("DELETE", f"/{bucket}/existing", b""),
        ("PUT", "/expired-url-bucket", b""),
    ):
        url = presign(method, host, target, 60, when=an_hour_ago)
        reply = send(gateway, method, url, {"Host": host}, body)
        _expect(reply, 403, "AccessDenied")
        assert reply.error["Message"] == "Request has expired"


@pytest.mark.usefixtures("unchanged")
def test_malformed_authorization_changes_nothing(gateway: Gateway, bucket: str) -> None:
    headers = sign("PUT", host_of(gateway), f"/{bucket}/new", body=b"x")
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=", "Signed=")
    reply = send(gateway, "PUT", f"/{bucket}/new", headers, b"x")
    _expect(reply, 400, "AuthorizationHeaderMalformed")


# names


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "UpperCase",
        "under_score",
        "-leading-dash",
        "trailing-dash-",
        ".leading-dot",
        "double..dot",
        "dot.-dash",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bad%20space",
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_create_bucket_invalid_name(gateway: Gateway, name: str) -> None:
    reply = request(gateway, "PUT", f"/{name}")
    _expect(reply, 400, "InvalidBucketName")


@pytest.mark.parametrize(
    "body",
    [
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1",
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</Location>"
        b"</CreateBucketConfiguration>",
        b"<WrongRoot><LocationConstraint>eu-west-1</LocationConstraint></WrongRoot>",
        b"\x00\x01\x02",
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_create_bucket_malformed_configuration(gateway: Gateway, body: bytes) -> None:
    reply = request(gateway, "PUT", "/malformed-config-bucket", body=body)
    _expect(reply, 400, "MalformedXML")


@pytest.mark.usefixtures("unchanged")
def test_create_bucket_unknown_region(gateway: Gateway) -> None:
    body = (
        b"<CreateBucketConfiguration><LocationConstraint>mars-north-1</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    reply = request(gateway, "PUT", "/unknown-region-bucket", body=body)
    _expect(reply, 400, "InvalidLocationConstraint")


@pytest.mark.usefixtures("unchanged")
def test_key_over_1024_bytes(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    for key in ("k" * 1025, "\u20ac" * 342):  # 1025 and 1026 bytes of UTF-8
        encoded = "".join(f"%{b:02X}" for b in key.encode())
        reply = request(gateway, "PUT", f"/{bucket}/{encoded}", body=b"too long")
        _expect(reply, 400, "KeyTooLongError")
    copy = {"x-amz-copy-source": f"/{bucket}/existing"}
    reply = request(gateway, "PUT", f"/{bucket}/{'c' * 1025}", headers=copy)
    _expect(reply, 400, "KeyTooLongError")
    reply = request(gateway, "POST", f"/{bucket}/{'m' * 1025}?uploads")
    _expect(reply, 400, "KeyTooLongError")


def test_key_of_exactly_1024_bytes_is_stored(s3: BaseClient, bucket: str) -> None:
    key = "\u20ac" * 341 + "k"
    s3.put_object(Bucket=bucket, Key=key, Body=b"fits")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"fits"


@pytest.mark.usefixtures("unchanged")
def test_key_that_is_not_utf8(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/bad%FF%FEkey", body=b"x")
    _expect(reply, 400, "InvalidURI")


# ranges


@pytest.mark.parametrize("value", ["bytes=15-20", "bytes=15-", "bytes=15-15"])
@pytest.mark.usefixtures("unchanged")
def test_invalid_range(gateway: Gateway, bucket: str, value: str) -> None:
    reply = request(gateway, "GET", f"/{bucket}/existing", headers={"Range": value})
    _expect(reply, 416, "InvalidRange")
    assert reply.error["ActualObjectSize"] == "15"


@pytest.mark.usefixtures("unchanged")
def test_unparseable_range_is_ignored(gateway: Gateway, bucket: str) -> None:
    # S3 ignores a Range header it cannot parse and sends the whole object.
    reply = request(gateway, "GET", f"/{bucket}/existing", headers={"Range": "pages=1-2"})
    assert (reply.status, reply.body) == (200, b"existing object")


# HTTP framing


@pytest.mark.usefixtures("unchanged")
def test_header_section_over_8_kib(gateway: Gateway, bucket: str) -> None:
    headers = {"x-amz-meta-big": "v" * 9000}
    reply = request(gateway, "PUT", f"/{bucket}/existing", body=b"overwritten", headers=headers)
    _expect(reply, 400, "RequestHeaderSectionTooLarge")
    many = {f"x-amz-meta-h{i}": "v" * 60 for i in range(150)}
    reply = request(gateway, "PUT", f"/{bucket}/new", body=b"new", headers=many)
    _expect(reply, 400, "RequestHeaderSectionTooLarge")


@pytest.mark.usefixtures("unchanged")
def test_header_section_far_over_the_parser_limit(gateway: Gateway, bucket: str) -> None:
    headers = sign("PUT", host_of(gateway), f"/{bucket}/new", body=b"new")
    headers["x-huge"] = "v" * 100_000
    reply = send(gateway, "PUT", f"/{bucket}/new", headers, b"new")
    _expect(reply, 400, "RequestHeaderSectionTooLarge")


def _short_body_socket(gateway: Gateway, target: str, length: int, sent: bytes) -> socket.socket:
    headers = sign("PUT", host_of(gateway), target, body=sent, unsigned_payload=True)
    headers["Content-Length"] = str(length)
    sock = connect(gateway)
    sock.sendall(head_block(f"PUT {target} HTTP/1.1", headers) + sent)
    return sock


@pytest.mark.usefixtures("unchanged")
def test_body_shorter_than_content_length_times_out(gateway: Gateway, bucket: str) -> None:
    # The gateway runs with MRAP_BODY_TIMEOUT=2.
    for key in ("new", "existing"):
        started = time.monotonic()
        with _short_body_socket(gateway, f"/{bucket}/{key}", 1000, b"only part") as sock:
            reply = read_reply(sock, "PUT")
            assert 1.5 < time.monotonic() - started < 8
            _expect(reply, 400, "RequestTimeout")
            assert reply.headers["Connection"] == "close"
            assert sock.recv(1) == b""  # and the connection is closed


@pytest.mark.usefixtures("unchanged")
def test_body_cut_short_by_half_close(gateway: Gateway, bucket: str) -> None:
    failures = gateway.log().count("Traceback")
    for key in ("new", "existing"):
        with _short_body_socket(gateway, f"/{bucket}/{key}", 1000, b"only part") as sock:
            sock.shutdown(socket.SHUT_WR)
            started = time.monotonic()
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        # Well before the 2 s body timeout: the half-close itself ends the request.
        assert time.monotonic() - started < 1.9
        if data:  # the gateway may answer before closing; it must not say 200
            assert data.startswith(b"HTTP/1.1 400 "), data
            assert b"<Code>IncompleteBody</Code>" in data
    log = gateway.log()
    assert f"PUT /{bucket}/new 400 " in log
    assert log.count("Traceback") == failures


@pytest.mark.usefixtures("unchanged")
def test_missing_content_length(gateway: Gateway, bucket: str) -> None:
    headers = sign("PUT", host_of(gateway), f"/{bucket}/new", body=b"")
    with connect(gateway) as sock:
        sock.sendall(head_block(f"PUT /{bucket}/new HTTP/1.1", headers))
        reply = read_reply(sock, "PUT")
    _expect(reply, 411, "MissingContentLength")


# keys that look like paths


def _files_outside(data_dir: Path) -> set[str]:
    root = data_dir.parent
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if data_dir not in path.parents and path != data_dir
    }


@pytest.mark.parametrize(
    "raw_key",
    [
        "../../escaped",
        "../../../../../../../../tmp/mrap-escape-test",
        "a/../../b",
        "%2E%2E%2F%2E%2E%2Fencoded",
        "..",
        "./dot",
        "x/./y//z",
    ],
)
def test_dot_dot_keys_are_plain_keys(
    gateway: Gateway, s3: BaseClient, bucket: str, raw_key: str
) -> None:
    outside = _files_outside(gateway.data_dir)
    key = raw_key.replace("%2E", ".").replace("%2F", "/")
    body = os.urandom(64)
    reply = request(gateway, "PUT", f"/{bucket}/{raw_key}", body=body)
    assert reply.status == 200, reply.body
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [key]
    assert request(gateway, "GET", f"/{bucket}/{raw_key}").body == body
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert _files_outside(gateway.data_dir) == outside
    assert not Path("/tmp/mrap-escape-test").exists()
    stored = [p for p in gateway.data_dir.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(gateway.data_dir.resolve()) for p in stored)
    reply = request(gateway, "DELETE", f"/{bucket}/{raw_key}")
    assert reply.status == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
