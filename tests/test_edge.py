"""The HTTP edge: addressing styles, absolute-form targets, 100-continue, errors, access log."""

from __future__ import annotations

import http.client
import io
import re
import socket
import ssl
import struct
import time
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from rawhttp import Reply, connect, head_block, host_of, read_reply, request, send, sign
from tunnel import open_tunnel

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _keys(reply: Reply) -> list[str]:
    root = ElementTree.fromstring(reply.body)
    return [node.text or "" for node in root.iter(f"{NS}Key")]


def _assert_error_document(reply: Reply, code: str, status: int, resource: str) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/xml"
    error = reply.error
    assert error["Code"] == code
    assert error["Message"]
    assert error["Resource"] == resource
    assert error["RequestId"] == reply.headers["x-amz-request-id"]


# addressing


def test_path_style(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/dir/path%20style", body=b"path")
    assert reply.status == 200, reply.body
    reply = request(gateway, "GET", f"/{bucket}/dir/path%20style")
    assert (reply.status, reply.body) == (200, b"path")
    reply = request(gateway, "GET", f"/{bucket}?list-type=2")
    assert _keys(reply) == ["dir/path style"]


def test_virtual_hosted_style(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    reply = request(gateway, "PUT", "/dir/virtual%20hosted", body=b"vh", bucket_host=bucket)
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="dir/virtual hosted")["Body"].read() == b"vh"
    reply = request(gateway, "GET", "/dir/virtual%20hosted", bucket_host=bucket)
    assert (reply.status, reply.body) == (200, b"vh")
    reply = request(gateway, "GET", "/?list-type=2&prefix=dir%2F", bucket_host=bucket)
    assert reply.status == 200, reply.body
    assert _keys(reply) == ["dir/virtual hosted"]
    reply = request(gateway, "HEAD", "/", bucket_host=bucket)
    assert (reply.status, reply.headers["x-amz-bucket-region"]) == (200, "us-east-1")


def test_a_bucket_named_console_is_served_virtual_hosted(gateway: Gateway, s3: BaseClient) -> None:
    # The web console has a port of its own, so no name on the S3 port shadows a bucket.
    s3.create_bucket(Bucket="console")
    try:
        reply = request(gateway, "PUT", "/index.html", body=b"a bucket", bucket_host="console")
        assert reply.status == 200, reply.body
        reply = request(gateway, "GET", "/index.html", bucket_host="console")
        assert (reply.status, reply.body) == (200, b"a bucket")
    finally:
        s3.delete_object(Bucket="console", Key="index.html")
        s3.delete_bucket(Bucket="console")


def test_virtual_hosted_bucket_operations(gateway: Gateway, s3: BaseClient) -> None:
    name = f"vhost-{gateway.port}-{time.monotonic_ns() % 10**9}"
    config = (
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    reply = request(gateway, "PUT", "/", body=config, bucket_host=name)
    assert reply.status == 200, reply.body
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    reply = request(gateway, "GET", "/?location", bucket_host=name)
    assert b">eu-west-1</LocationConstraint>" in reply.body
    reply = request(gateway, "DELETE", "/", bucket_host=name, region="eu-west-1")
    assert reply.status == 204, reply.body
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_virtual_hosted_host_is_case_insensitive(gateway: Gateway, bucket: str) -> None:
    host = f"{bucket}.LocalHost.:{gateway.port}"
    headers = sign("PUT", host, "/k", body=b"x")
    reply = send(gateway, "PUT", "/k", headers, b"x")
    assert reply.status == 200, reply.body
    assert request(gateway, "GET", f"/{bucket}/k").body == b"x"


def test_virtual_hosted_error_names_the_bucket_in_resource(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "GET", "/missing/key", bucket_host=bucket)
    _assert_error_document(reply, "NoSuchKey", 404, f"/{bucket}/missing/key")


def _absolute(gateway: Gateway, method: str, url_host: str, path: str, body: bytes) -> Reply:
    headers = sign(method, url_host, path, body=body)
    headers["Content-Length"] = str(len(body))
    with connect(gateway) as sock:
        sock.sendall(head_block(f"{method} http://{url_host}{path} HTTP/1.1", headers) + body)
        return read_reply(sock, method)


def test_absolute_form_virtual_hosted(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = f"{bucket}.localhost:{gateway.port}"
    reply = _absolute(gateway, "PUT", host, "/absolute/key", b"absolute")
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="absolute/key")["Body"].read() == b"absolute"
    reply = _absolute(gateway, "GET", host, "/absolute/key", b"")
    assert (reply.status, reply.body) == (200, b"absolute")
    reply = _absolute(gateway, "GET", host, "/?list-type=2", b"")
    assert _keys(reply) == ["absolute/key"]


def test_absolute_form_path_style(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = f"localhost:{gateway.port}"
    reply = _absolute(gateway, "PUT", host, f"/{bucket}/abs-path", b"path")
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="abs-path")["Body"].read() == b"path"


@pytest.mark.parametrize("style", ["path", "virtual"])
def test_boto3_through_the_gateway_as_http_proxy(gateway: Gateway, bucket: str, style: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://localhost:{gateway.port}",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            proxies={"http": gateway.endpoint},
            s3={"addressing_style": style},
            retries={"max_attempts": 1},
        ),
    )
    client.put_object(Bucket=bucket, Key=f"proxied/{style}", Body=b"via proxy")
    assert client.get_object(Bucket=bucket, Key=f"proxied/{style}")["Body"].read() == b"via proxy"
    listed = client.list_objects_v2(Bucket=bucket, Prefix="proxied/")
    assert [o["Key"] for o in listed["Contents"]] == [f"proxied/{style}"]
    client.delete_object(Bucket=bucket, Key=f"proxied/{style}")
    log = gateway.log()
    target = (
        f"http://{bucket}.localhost:{gateway.port}/proxied/{style}"
        if style == "virtual"
        else f"http://localhost:{gateway.port}/{bucket}/proxied/{style}"
    )
    assert f"PUT {target} 200" in log


# Expect: 100-continue


def _expect_put(gateway: Gateway, path: str, body: bytes, **signing: Any) -> socket.socket:
    headers = sign("PUT", host_of(gateway), path, body=body, **signing)
    headers["Content-Length"] = str(len(body))
    headers["Expect"] = "100-continue"
    sock = connect(gateway)
    sock.sendall(head_block(f"PUT {path} HTTP/1.1", headers))
    return sock


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _reply_from(head: bytes, sock: socket.socket) -> Reply:
    """The response whose first bytes are `head`, reading the rest of its body from `sock`."""
    top, _, body = head.partition(b"\r\n\r\n")
    lines = top.decode().split("\r\n")
    status = int(lines[0].split()[1])
    message = http.client.parse_headers(io.BytesIO(("\r\n".join(lines[1:]) + "\r\n\r\n").encode()))
    length = int(message.get("Content-Length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Reply(status, message, body)


def test_expect_100_continue(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    body = b"sent after 100 Continue"
    with _expect_put(gateway, f"/{bucket}/continued", body) as sock:
        interim = _read_head(sock)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
        assert interim.endswith(b"\r\n\r\n")
        sock.sendall(body)
        reply = read_reply(sock, "PUT")
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="continued")["Body"].read() == body


@pytest.mark.parametrize(
    ("signing", "path", "status", "code"),
    [
        ({"secret": "wrong"}, "/{bucket}/refused", 403, "SignatureDoesNotMatch"),
        ({}, "/no-such-bucket-edge-test/refused", 404, "NoSuchBucket"),
        ({}, "/{bucket}/" + "k" * 1025, 400, "KeyTooLongError"),
    ],
)
def test_expect_100_continue_early_refusal(
    gateway: Gateway,
    s3: BaseClient,
    bucket: str,
    signing: dict[str, object],
    path: str,
    status: int,
    code: str,
) -> None:
    path = path.format(bucket=bucket)
    with _expect_put(gateway, path, b"never sent", **signing) as sock:
        head = _read_head(sock)
        assert not head.startswith(b"HTTP/1.1 100"), head
        assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
        reply = _reply_from(head, sock)
    assert reply.code == code
    assert reply.headers["Connection"] == "close"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# error documents and request ids


def test_error_document(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "GET", f"/{bucket}/no%20such")
    _assert_error_document(reply, "NoSuchKey", 404, f"/{bucket}/no such")
    reply = request(gateway, "GET", "/no-such-bucket-edge-test")
    _assert_error_document(reply, "NoSuchBucket", 404, "/no-such-bucket-edge-test")
    assert reply.error["BucketName"] == "no-such-bucket-edge-test"


def test_every_response_has_a_request_id(gateway: Gateway, bucket: str) -> None:
    replies = [
        request(gateway, "GET", "/"),
        request(gateway, "PUT", f"/{bucket}/id", body=b"x"),
        request(gateway, "GET", f"/{bucket}/id"),
        request(gateway, "HEAD", f"/{bucket}/id"),
        request(gateway, "GET", f"/{bucket}?list-type=2"),
        request(gateway, "DELETE", f"/{bucket}/id"),
        request(gateway, "GET", f"/{bucket}/id"),
        request(gateway, "GET", f"/{bucket}", signed=False),
        request(gateway, "GET", f"/{bucket}?cors"),
        request(gateway, "PATCH", f"/{bucket}/id"),
    ]
    ids = [r.headers["x-amz-request-id"] for r in replies]
    assert [r.status for r in replies] == [200, 200, 200, 200, 200, 204, 404, 403, 501, 405]
    assert all(re.fullmatch(r"[0-9A-F]{16}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_head_errors_have_no_body(gateway: Gateway, bucket: str) -> None:
    for target in (f"/{bucket}/missing", "/no-such-bucket-edge-test"):
        reply = request(gateway, "HEAD", target)
        assert reply.status == 404
        assert reply.body == b""
        assert reply.headers["x-amz-request-id"]
    reply = request(gateway, "HEAD", f"/{bucket}", signed=False)
    assert (reply.status, reply.body) == (403, b"")


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/{bucket}?cors"),
        ("PUT", "/{bucket}?lifecycle"),
        ("GET", "/{bucket}?encryption"),
        ("GET", "/{bucket}/key?torrent"),
        ("GET", "/{bucket}?website"),
    ],
)
def test_unimplemented_operation(gateway: Gateway, bucket: str, method: str, target: str) -> None:
    target = target.format(bucket=bucket)
    reply = request(gateway, method, target)
    assert (reply.status, reply.code) == (501, "NotImplemented")
    assert reply.error["RequestId"] == reply.headers["x-amz-request-id"]


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("PATCH", "/{bucket}/key"),
        ("POST", "/{bucket}/key"),
        ("POST", "/"),
        ("PUT", "/"),
        ("OPTIONS", "/{bucket}"),
    ],
)
def test_unsupported_method(gateway: Gateway, bucket: str, method: str, target: str) -> None:
    target = target.format(bucket=bucket)
    reply = request(gateway, method, target)
    assert (reply.status, reply.code) == (405, "MethodNotAllowed")
    assert reply.headers["x-amz-request-id"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"GARBAGE\r\n\r\n", "InvalidRequest"),
        (b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "InvalidRequest"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "RequestHeaderSectionTooLarge"),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(1100)) + b"\r\n",
            "RequestHeaderSectionTooLarge",
        ),
    ],
    ids=["method", "content-length", "request-line", "header-count"],
)
def test_unparseable_http_gets_an_s3_error(gateway: Gateway, raw: bytes, code: str) -> None:
    tracebacks = gateway.log().count("Traceback")
    with connect(gateway) as sock:
        sock.sendall(raw)
        reply = read_reply(sock)
    assert (reply.status, reply.code) == (400, code)
    assert reply.error["RequestId"] == reply.headers["x-amz-request-id"]
    assert gateway.log().count("Traceback") == tracebacks


# access log


def test_access_log_line_per_request(gateway: Gateway, bucket: str) -> None:
    body = b"x" * 1234
    assert request(gateway, "PUT", f"/{bucket}/logged", body=body).status == 200
    assert request(gateway, "GET", f"/{bucket}/logged").status == 200
    assert request(gateway, "GET", f"/{bucket}/not-logged-yet").status == 404
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = [line for line in gateway.log().splitlines() if f"/{bucket}/" in line]
        if len(lines) >= 3:
            break
        time.sleep(0.05)
    pattern = re.compile(r"(\S+) (\S+) (\d{3}) (\d+) (\d+(?:\.\d+)?)ms")
    parsed = [pattern.search(line) for line in lines]
    assert all(parsed), lines
    found = [m.groups()[:4] for m in parsed if m]
    assert ("PUT", f"/{bucket}/logged", "200", "0") in found
    assert ("GET", f"/{bucket}/logged", "200", "1234") in found
    assert any(f[:3] == ("GET", f"/{bucket}/not-logged-yet", "404") for f in found)


def _log_lines_with(gateway: Gateway, needle: str, count: int) -> list[str]:
    """The log lines holding `needle`, once there are `count` (the log is written async)."""
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = [line for line in gateway.log().splitlines() if needle in line]
        if len(lines) >= count:
            break
        time.sleep(0.05)
    return lines


@pytest.mark.parametrize("through", ["direct", "tunnel"])
def test_download_cut_short_is_logged_as_client_closed(
    gateway: Gateway, s3: BaseClient, bucket: str, through: str
) -> None:
    key = f"big-{through}"
    s3.put_object(Bucket=bucket, Key=key, Body=b"z" * (32 << 20))
    tracebacks = gateway.log().count("Traceback")
    host = f"127.0.0.1:{gateway.port}"
    target = f"/{bucket}/{key}"
    headers = sign("GET", host, target)
    head = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if through == "tunnel":
        tunnel_host = f"{bucket}.s3.us-east-1.amazonaws.com"
        headers = sign("GET", tunnel_host, f"/{key}")
        head = f"GET /{key} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock: socket.socket | ssl.SSLSocket = open_tunnel(gateway, tunnel_host)
    else:
        sock = connect(gateway)
    try:
        sock.sendall((head + "\r\n").encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        # Reset, not a polite close: the server's next writes fail at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    lines = _log_lines_with(gateway, f"/{key} ", 2)  # the PUT, then the cut-short GET
    assert [line.split()[2] for line in lines] == ["200", "499"], lines
    assert f"bucket={bucket} key={key}" in lines[0]
    time.sleep(0.2)
    assert gateway.log().count("Traceback") == tracebacks


def test_access_log_names_bucket_and_key_of_virtual_hosted_requests(
    gateway: Gateway, bucket: str
) -> None:
    reply = request(gateway, "PUT", "/dir/a%20b.txt", body=b"v", bucket_host=bucket)
    assert reply.status == 200, reply.body
    assert request(gateway, "GET", "/dir/a%20b.txt", bucket_host=bucket).status == 200
    lines = _log_lines_with(gateway, f"bucket={bucket} key=dir/a%20b.txt", 2)
    assert [line.split()[:3] for line in lines] == [
        ["PUT", "/dir/a%20b.txt", "200"],
        ["GET", "/dir/a%20b.txt", "200"],
    ]
