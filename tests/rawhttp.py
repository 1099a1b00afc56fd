"""Raw HTTP for tests: requests signed with botocore's own SigV4 signer and sent as written.

boto3 fixes up what it sends (hosts, paths, headers); these helpers let a test put any
method, target, Host header and body on the wire, signed or not, and read the S3 answer.
"""

from __future__ import annotations

import contextlib
import email.message
import http.client
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit
from xml.etree import ElementTree

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from conftest import ACCESS_KEY, SECRET_KEY, Gateway


@dataclass
class Reply:
    """A response as it arrived."""

    status: int
    headers: email.message.Message
    body: bytes

    @property
    def error(self) -> dict[str, str]:
        """The children of the error: S3's `<Error>` root, or the `<Error>` inside the
        `<ErrorResponse>` of S3 Control, IAM and STS (namespaces dropped), by element name."""
        root = ElementTree.fromstring(self.body)
        if root.tag.rpartition("}")[2] == "ErrorResponse":
            root = next(c for c in root if c.tag.rpartition("}")[2] == "Error")
        assert root.tag.rpartition("}")[2] == "Error", self.body
        return {child.tag.rpartition("}")[2]: child.text or "" for child in root}

    @property
    def code(self) -> str:
        """The S3 error code of the body."""
        return self.error["Code"]


def host_of(gateway: Gateway, bucket: str | None = None) -> str:
    """The Host header for path style (no bucket) or virtual-hosted style."""
    return f"{bucket}.localhost:{gateway.port}" if bucket else f"127.0.0.1:{gateway.port}"


@contextlib.contextmanager
def signing_clock(when: datetime | None) -> Iterator[None]:
    """Make botocore's signers believe it is `when` (no change for None)."""
    if when is None:
        yield
        return
    naive = when.astimezone(UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        yield


def sign(
    method: str,
    host: str,
    target: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    region: str = "us-east-1",
    unsigned_payload: bool = False,
    when: datetime | None = None,
    service: str = "s3",
) -> dict[str, str]:
    """Headers of a SigV4-signed request for origin-form `target` (path and raw query)."""
    request = AWSRequest(
        method=method, url=f"http://{host}{target}", data=body, headers={"Host": host}
    )
    for name, value in (headers or {}).items():
        request.headers[name] = value
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    with signing_clock(when):
        S3SigV4Auth(Credentials(access_key, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def presign(
    method: str,
    host: str,
    target: str,
    expires: int,
    *,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    when: datetime | None = None,
) -> str:
    """A presigned origin-form target (path and query) for `host`."""
    request = AWSRequest(method=method, url=f"http://{host}{target}", headers={"Host": host})
    with signing_clock(when):
        S3SigV4QueryAuth(
            Credentials(access_key, secret), "s3", "us-east-1", expires=expires
        ).add_auth(request)
    url = urlsplit(request.url)
    return f"{url.path}?{url.query}"


def send(
    gateway: Gateway,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes = b"",
    timeout: float = 10.0,
) -> Reply:
    """Send one request exactly as given (plus Content-Length) to the gateway."""
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        has_length = any(n.lower() == "content-length" for n in headers)
        if (body or method in ("PUT", "POST")) and not has_length:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def request(
    gateway: Gateway,
    method: str,
    target: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    bucket_host: str | None = None,
    signed: bool = True,
    **signing: Any,
) -> Reply:
    """Sign (unless `signed` is false) and send a request; virtual-hosted with `bucket_host`."""
    host = host_of(gateway, bucket_host)
    if signed:
        all_headers = sign(method, host, target, body=body, headers=headers, **signing)
    else:
        all_headers = {"Host": host, **(headers or {})}
    return send(gateway, method, target, all_headers, body)


def connect(gateway: Gateway, timeout: float = 10.0) -> socket.socket:
    """A plain TCP connection to the gateway."""
    return socket.create_connection(("127.0.0.1", gateway.port), timeout=timeout)


def head_block(request_line: str, headers: Mapping[str, str]) -> bytes:
    """A request line and header section, ready to write to a socket."""
    lines = [request_line, *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_reply(sock: socket.socket, method: str = "GET") -> Reply:
    """Read one final response from a raw socket (interim 1xx answers are skipped)."""
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return Reply(response.status, response.headers, response.read())


def snapshot(s3: BaseClient) -> dict[str, list[tuple[str, str, int]]]:
    """Every bucket of the account and every object in it: (key, ETag, size)."""
    state: dict[str, list[tuple[str, str, int]]] = {}
    for entry in s3.list_buckets()["Buckets"]:
        name = entry["Name"]
        objects: list[tuple[str, str, int]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            objects += [(o["Key"], o["ETag"], o["Size"]) for o in page.get("Contents", [])]
        state[name] = objects
    return state


def temporary_files(gateway: Gateway) -> list[Path]:
    """Temporary files left in the region stores."""
    return sorted(gateway.data_dir.glob("regions/*/data/*/.tmp-*"))
