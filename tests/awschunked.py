"""aws-chunked request bodies for tests, built the way SDKs build them, sent raw.

The seed signature (the Authorization header) comes from botocore's own S3 signer, told
to sign the streaming marker as the payload hash. Chunk and trailer signatures follow
AWS's documented algorithm ("Signature Calculations for the Authorization Header:
Transferring Payload in Multiple Chunks", and its trailing-headers companion), written
here independently of the server; test_streaming checks them against AWS's published
example. Bodies go out over a socket, with Content-Length or inside HTTP chunked framing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from rawhttp import Reply, connect, head_block, read_reply, signing_clock

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class StreamingSigner(S3SigV4Auth):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's S3 SigV4 signer, signing a streaming marker as the payload hash."""

    def __init__(self, credentials: Credentials, region: str, marker: str) -> None:
        super().__init__(credentials, "s3", region)
        self._marker = marker

    def payload(self, request: AWSRequest) -> str:
        return self._marker


@dataclass
class Chain:
    """A signed request's signature chain: seed, key and scope, moving on per chunk."""

    key: bytes
    amz_date: str
    scope: str
    previous: str

    def _sign(self, algorithm: str, digest: str) -> str:
        sts = f"{algorithm}\n{self.amz_date}\n{self.scope}\n{self.previous}\n{digest}"
        self.previous = hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()
        return self.previous

    def chunk(self, data: bytes) -> str:
        """The next chunk's signature (AWS4-HMAC-SHA256-PAYLOAD)."""
        data_hash = hashlib.sha256(data).hexdigest()
        return self._sign("AWS4-HMAC-SHA256-PAYLOAD", f"{EMPTY_SHA256}\n{data_hash}")

    def trailer(self, trailers: Mapping[str, str]) -> str:
        """The trailer's signature (AWS4-HMAC-SHA256-TRAILER) over `name:value\\n` lines."""
        canonical = "".join(f"{k}:{trailers[k]}\n" for k in sorted(trailers)).encode()
        return self._sign("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(canonical).hexdigest())


def signing_key(secret: str, date: str, region: str) -> bytes:
    """SigV4's derived key, as AWS documents it."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def seed(
    method: str,
    host: str,
    target: str,
    marker: str,
    headers: Mapping[str, str],
    *,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    region: str = "us-east-1",
    when: datetime | None = None,
    scheme: str = "http",
) -> tuple[dict[str, str], Chain]:
    """Headers signed by botocore with `marker` as payload, and the chain they start."""
    request = AWSRequest(
        method=method, url=f"{scheme}://{host}{target}", headers={"Host": host, **headers}
    )
    with signing_clock(when):
        StreamingSigner(Credentials(access_key, secret), region, marker).add_auth(request)
    signed = dict(request.headers.items())
    amz_date = signed["X-Amz-Date"]
    signature = signed["Authorization"].rpartition("Signature=")[2]
    key = signing_key(secret, amz_date[:8], region)
    return signed, Chain(key, amz_date, f"{amz_date[:8]}/{region}/s3/aws4_request", signature)


def encode(
    chunks: Sequence[bytes],
    chain: Chain | None = None,
    trailers: Mapping[str, str] | None = None,
    *,
    sign_trailer: bool = False,
) -> bytes:
    """An aws-chunked body: the chunks, the final empty chunk, then any trailers."""
    out = bytearray()
    for data in [*chunks, b""]:
        ext = f";chunk-signature={chain.chunk(data)}" if chain is not None else ""
        out += f"{len(data):x}{ext}\r\n".encode()
        if data:
            out += data + b"\r\n"
    if trailers is not None:
        for name, value in trailers.items():
            out += f"{name}:{value}\r\n".encode()
        if sign_trailer and chain is not None:
            out += f"x-amz-trailer-signature:{chain.trailer(trailers)}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def split(data: bytes, size: int) -> list[bytes]:
    """`data` in pieces of `size` bytes (the last may be shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def send(
    gateway: Gateway,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    http_chunk: int | None = None,
) -> Reply:
    """Send a request over a socket: with Content-Length (unless headers carry one or
    `http_chunk` is set), or inside HTTP chunked framing in pieces of `http_chunk` bytes."""
    all_headers = dict(headers)
    if http_chunk is not None:
        all_headers["Transfer-Encoding"] = "chunked"
        framed = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in split(body, http_chunk))
        payload = framed.removesuffix(b"0\r\n\r\n") + b"0\r\n\r\n"
    else:
        if not any(name.lower() == "content-length" for name in all_headers):
            all_headers["Content-Length"] = str(len(body))
        payload = body
    with connect(gateway) as sock:
        sock.sendall(head_block(f"{method} {target} HTTP/1.1", all_headers) + payload)
        return read_reply(sock, method)
