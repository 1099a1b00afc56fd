"""Streaming (aws-chunked) uploads, sent raw: every payload mode, in both HTTP framings.

Seeds are signed by botocore's signer; chunk and trailer signatures follow AWS's
documented algorithm (see awschunked.py), which the first tests check against AWS's
published example. A chunk or trailer that fails its signature, a body that ends early,
lies about its sizes or its checksum is refused with S3's error, and nothing is stored.
"""

from __future__ import annotations

import base64
import os
import socket
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from awschunked import (
    SIGNED,
    SIGNED_TRAILER,
    UNSIGNED_TRAILER,
    Chain,
    encode,
    seed,
    send,
)
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import Reply, connect, head_block, host_of, temporary_files

EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=UTC)
EXAMPLE_KEYS = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
EXAMPLE_HOST = "s3.amazonaws.com"
EXAMPLE_DATA = b"a" * 66560
CHUNK = 8192  # the smallest chunk allowed before the last


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def expect(reply: Reply, status: int, code: str) -> None:
    assert (reply.status, reply.code) == (status, code), reply.body


def contents(s3: BaseClient, bucket: str) -> list[tuple[str, str, int]]:
    """(key, ETag, size) of every object in the bucket."""
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [(o["Key"], o["ETag"], o["Size"]) for o in listed]


@pytest.fixture
def unchanged(s3: BaseClient, gateway: Gateway, bucket: str) -> Iterator[None]:
    """Assert that the test stores nothing: the bucket as it was, no temporary files."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"existing object")
    before = contents(s3, bucket)
    yield
    assert contents(s3, bucket) == before
    assert temporary_files(gateway) == []


# AWS's published example, reproduced with botocore's signer and the documented algorithm


def test_aws_example_signed_payload() -> None:
    headers, chain = seed(
        "PUT",
        EXAMPLE_HOST,
        "/examplebucket/chunkObject.txt",
        SIGNED,
        {
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "Content-Length": "66824",
        },
        when=EXAMPLE_TIME,
        scheme="https",
        **EXAMPLE_KEYS,
    )
    assert headers["Authorization"].endswith(
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class, "
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    )
    body = encode([EXAMPLE_DATA[:65536], EXAMPLE_DATA[65536:]], chain)
    assert len(body) == 66824
    for size, signature in (
        ("10000", "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
        ("400", "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        ("0", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ):
        assert f"{size};chunk-signature={signature}\r\n".encode() in body
    assert body.endswith(b"\r\n\r\n")


def test_aws_example_signed_payload_with_trailer() -> None:
    headers, chain = seed(
        "PUT",
        EXAMPLE_HOST,
        "/examplebucket/chunkObject.txt",
        SIGNED_TRAILER,
        {
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "x-amz-trailer": "x-amz-checksum-crc32c",
        },
        when=EXAMPLE_TIME,
        scheme="https",
        **EXAMPLE_KEYS,
    )
    assert headers["Authorization"].endswith(
        "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
    )
    body = encode(
        [EXAMPLE_DATA[:65536], EXAMPLE_DATA[65536:]],
        chain,
        {"x-amz-checksum-crc32c": "sOO8/Q=="},
        sign_trailer=True,
    )
    for signature in (
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ):
        assert f"chunk-signature={signature}\r\n".encode() in body
    assert body.endswith(
        b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"
        b"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
    )


# Uploads in every mode


def _put(
    gateway: Gateway,
    bucket: str,
    key: str,
    mode: str,
    chunks: list[bytes],
    *,
    trailer: dict[str, str] | None = None,
    framing: str = "length",
    extra: dict[str, str] | None = None,
    query: str = "",
    tamper: Any = None,
) -> Reply:
    """PUT an aws-chunked body; `tamper(body) -> body` corrupts it after signing."""
    data_length = sum(len(c) for c in chunks)
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(data_length),
        **(extra or {}),
    }
    if trailer:
        headers["x-amz-trailer"] = ",".join(trailer)
    target = f"/{bucket}/{key}{query}"
    host = host_of(gateway)
    signed = mode != UNSIGNED_TRAILER
    if framing == "length":
        # Signatures have a fixed length, so the encoded length is known before signing:
        # it is signed too, as in AWS's example.
        dummy = Chain(b"", "", "", "") if signed else None
        length = len(encode(chunks, dummy, trailer, sign_trailer=signed))
        headers["Content-Length"] = str(length)
    signed_headers, chain = seed("PUT", host, target, mode, headers)
    body = encode(chunks, chain if signed else None, trailer, sign_trailer=signed)
    if tamper is not None:
        body = tamper(body)
    return send(
        gateway,
        "PUT",
        target,
        signed_headers,
        body,
        http_chunk=None if framing == "length" else 5000,
    )


MODES = [SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER]
DATA = os.urandom(2 * CHUNK + 1234)
CHUNKS = [DATA[:CHUNK], DATA[CHUNK : 2 * CHUNK], DATA[2 * CHUNK :]]


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("mode", MODES)
def test_put_object_in_every_mode(
    gateway: Gateway, s3: BaseClient, bucket: str, mode: str, framing: str
) -> None:
    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode != SIGNED else None
    reply = _put(gateway, bucket, "k", mode, CHUNKS, trailer=trailer, framing=framing)
    assert reply.status == 200, reply.body
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == DATA
    assert got["ContentLength"] == len(DATA)
    assert "ContentEncoding" not in got  # aws-chunked describes the upload, not the object
    if trailer:
        assert reply.headers["x-amz-checksum-crc32"] == crc32(DATA)
        assert got["ChecksumCRC32"] == crc32(DATA)


def test_other_content_codings_are_kept(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    extra = {"Content-Encoding": "gzip,aws-chunked"}
    reply = _put(gateway, bucket, "gz", SIGNED, CHUNKS, extra=extra)
    assert reply.status == 200, reply.body
    assert s3.head_object(Bucket=bucket, Key="gz")["ContentEncoding"] == "gzip"


def test_streaming_marker_without_content_encoding(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    """Some SDKs announce streaming only by x-amz-content-sha256."""
    host, target = host_of(gateway), f"/{bucket}/bare"
    headers, chain = seed("PUT", host, target, SIGNED, {"x-amz-decoded-content-length": "10"})
    reply = send(gateway, "PUT", target, headers, encode([b"0123456789"], chain))
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="bare")["Body"].read() == b"0123456789"


def test_one_small_chunk_and_empty_body(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    assert _put(gateway, bucket, "small", SIGNED, [b"tiny"]).status == 200
    assert _put(gateway, bucket, "empty", SIGNED_TRAILER, [], framing="chunked").status == 200
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == b"tiny"
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""


@pytest.mark.parametrize("mode", MODES)
def test_upload_part_streams(gateway: Gateway, s3: BaseClient, bucket: str, mode: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    query = f"?partNumber=1&uploadId={upload_id}"
    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode != SIGNED else None
    reply = _put(gateway, bucket, "mp", mode, CHUNKS, trailer=trailer, query=query)
    assert reply.status == 200, reply.body
    etag = reply.headers["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == DATA


# Refusals: the S3 error, and nothing stored


def _swap_chunk_data(body: bytes) -> bytes:
    # Same sizes, different bytes in the second chunk: only its signature can tell.
    at = body.index(CHUNKS[1][:32])
    return body[:at] + bytes(b ^ 1 for b in body[at : at + 16]) + body[at + 16 :]


def _bad_signature(body: bytes) -> bytes:
    marker = body.index(b"chunk-signature=", 100) + len(b"chunk-signature=")
    flipped = b"0" if body[marker : marker + 1] != b"0" else b"1"
    return body[:marker] + flipped + body[marker + 1 :]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("tamper", [_swap_chunk_data, _bad_signature])
@pytest.mark.parametrize("mode", [SIGNED, SIGNED_TRAILER])
def test_bad_chunk_signature(
    gateway: Gateway, bucket: str, mode: str, tamper: Any, framing: str
) -> None:
    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode == SIGNED_TRAILER else None
    reply = _put(
        gateway, bucket, "k", mode, CHUNKS, trailer=trailer, framing=framing, tamper=tamper
    )
    expect(reply, 403, "SignatureDoesNotMatch")


@pytest.mark.usefixtures("unchanged")
def test_bad_trailer_signature(gateway: Gateway, bucket: str) -> None:
    def tamper(body: bytes) -> bytes:
        at = body.index(b"x-amz-trailer-signature:") + len(b"x-amz-trailer-signature:")
        return body[:at] + (b"f" if body[at : at + 1] != b"f" else b"e") + body[at + 1 :]

    trailer = {"x-amz-checksum-crc32": crc32(DATA)}
    reply = _put(gateway, bucket, "k", SIGNED_TRAILER, CHUNKS, trailer=trailer, tamper=tamper)
    expect(reply, 403, "SignatureDoesNotMatch")


@pytest.mark.usefixtures("unchanged")
def test_chunks_replayed_out_of_order(gateway: Gateway, bucket: str) -> None:
    def swap(body: bytes) -> bytes:
        first, second = body.index(b"2000;"), body.index(b"2000;", 10)
        third = body.index(b"\r\n", second + 100 + CHUNK) + 2
        return body[second:third] + body[first:second] + body[third:]

    equal = [DATA[:CHUNK], DATA[:CHUNK], b"end"]
    expect(_put(gateway, bucket, "k", SIGNED, equal, tamper=swap), 403, "SignatureDoesNotMatch")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cut", [10, 5000, 2 * CHUNK + 300])
def test_truncated_body(gateway: Gateway, bucket: str, mode: str, cut: int) -> None:
    """The body ends (the framing says so) before the last aws-chunk."""
    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode != SIGNED else None
    reply = _put(
        gateway,
        bucket,
        "k",
        mode,
        CHUNKS,
        trailer=trailer,
        framing="chunked",
        tamper=lambda body: body[:cut],
    )
    expect(reply, 400, "IncompleteBody")


@pytest.mark.usefixtures("unchanged")
def test_connection_closed_mid_body(gateway: Gateway, bucket: str) -> None:
    host, target = host_of(gateway), f"/{bucket}/k"
    headers, chain = seed(
        "PUT",
        host,
        target,
        SIGNED,
        {
            "x-amz-decoded-content-length": str(len(DATA)),
            "Content-Encoding": "aws-chunked",
            "Content-Length": "20000",
        },
    )
    body = encode(CHUNKS, chain)[:9000]
    with connect(gateway) as sock:
        sock.sendall(head_block(f"PUT {target} HTTP/1.1", headers) + body)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if data:  # the gateway may answer before closing; it must not say 200
        assert data.startswith(b"HTTP/1.1 400 "), data
        assert b"<Code>IncompleteBody</Code>" in data


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", MODES)
def test_chunk_size_larger_than_sent(gateway: Gateway, bucket: str, mode: str) -> None:
    """A chunk announces more bytes than it carries; what follows is taken as its data."""

    def grow(body: bytes) -> bytes:
        # The last chunk, 1234 bytes, now says 4660. Found as a chunk header (after the
        # previous chunk's CRLF): a chunk signature may contain "4d2" too.
        at = body.index(b"\r\n4d2") + 2
        return body[:at] + b"1234" + body[at + 3 :]

    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode != SIGNED else None
    extra = {"x-amz-decoded-content-length": str(2 * CHUNK + 0x1234)}
    reply = _put(
        gateway,
        bucket,
        "k",
        mode,
        CHUNKS,
        trailer=trailer,
        framing="chunked",
        tamper=grow,
        extra=extra,
    )
    expect(reply, 400, "IncompleteBody")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("delta", [-1, 1, 5000])
def test_wrong_decoded_length(gateway: Gateway, bucket: str, mode: str, delta: int) -> None:
    trailer = {"x-amz-checksum-crc32": crc32(DATA)} if mode != SIGNED else None
    extra = {"x-amz-decoded-content-length": str(len(DATA) + delta)}
    reply = _put(gateway, bucket, "k", mode, CHUNKS, trailer=trailer, extra=extra)
    expect(reply, 400, "IncompleteBody")
    assert reply.error["NumberBytesExpected"] == str(len(DATA) + delta)


@pytest.mark.usefixtures("unchanged")
def test_missing_decoded_length(gateway: Gateway, bucket: str) -> None:
    host, target = host_of(gateway), f"/{bucket}/k"
    headers, chain = seed("PUT", host, target, SIGNED, {"Content-Encoding": "aws-chunked"})
    expect(
        send(gateway, "PUT", target, headers, encode(CHUNKS, chain)), 411, "MissingContentLength"
    )


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", MODES)
def test_small_chunk_before_the_last(gateway: Gateway, bucket: str, mode: str) -> None:
    chunks = [DATA[:100], DATA[100 : CHUNK + 100]]
    reply = _put(gateway, bucket, "k", mode, chunks)
    expect(reply, 400, "InvalidChunkSizeError")
    assert (reply.error["Chunk"], reply.error["BadChunkSize"]) == ("2", "100")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", [SIGNED_TRAILER, UNSIGNED_TRAILER])
@pytest.mark.parametrize(
    ("value", "status", "code"),
    [(crc32(b"other"), 400, "BadDigest"), ("not base64!", 400, "InvalidRequest")],
)
def test_wrong_trailer_checksum(
    gateway: Gateway, bucket: str, mode: str, value: str, status: int, code: str
) -> None:
    reply = _put(gateway, bucket, "k", mode, CHUNKS, trailer={"x-amz-checksum-crc32": value})
    expect(reply, status, code)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", [SIGNED_TRAILER, UNSIGNED_TRAILER])
def test_trailer_missing_or_not_announced(gateway: Gateway, bucket: str, mode: str) -> None:
    announced = {"x-amz-trailer": "x-amz-checksum-crc32"}
    expect(_put(gateway, bucket, "k", mode, CHUNKS, extra=announced), 400, "MalformedTrailerError")
    other = {"x-amz-checksum-crc32": crc32(DATA)}

    def rename(body: bytes) -> bytes:
        return body.replace(b"x-amz-checksum-crc32:", b"x-amz-checksum-sha1:")

    reply = _put(gateway, bucket, "k", mode, CHUNKS, trailer=other, tamper=rename)
    expect(reply, 400, "MalformedTrailerError")


@pytest.mark.usefixtures("unchanged")
def test_unsupported_trailer_name(gateway: Gateway, bucket: str) -> None:
    reply = _put(
        gateway, bucket, "k", UNSIGNED_TRAILER, CHUNKS, extra={"x-amz-trailer": "x-amz-meta-a"}
    )
    expect(reply, 400, "InvalidRequest")


@pytest.mark.usefixtures("unchanged")
def test_anonymous_signed_streaming_is_refused(gateway: Gateway, bucket: str) -> None:
    headers = {
        "Host": host_of(gateway),
        "x-amz-content-sha256": SIGNED,
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "4",
    }
    reply = send(gateway, "PUT", f"/{bucket}/k", headers, b"4;chunk-signature=00\r\nabcd\r\n")
    expect(reply, 400, "InvalidRequest")


def test_refused_part_is_not_listed(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    query = f"?partNumber=1&uploadId={upload_id}"
    reply = _put(gateway, bucket, "mp", SIGNED, CHUNKS, query=query, tamper=_swap_chunk_data)
    expect(reply, 403, "SignatureDoesNotMatch")
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="mp")
    assert temporary_files(gateway) == []


@pytest.mark.usefixtures("unchanged")
def test_ecdsa_chunks_under_a_sigv4_seed_are_refused(gateway: Gateway, bucket: str) -> None:
    # SigV4A streaming itself is tested in test_sigv4a.py.
    marker = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
    host, target = host_of(gateway), f"/{bucket}/k"
    headers, _ = seed("PUT", host, target, marker, {"x-amz-decoded-content-length": "4"})
    body = b"4;chunk-signature=" + b"0" * 144 + b"\r\nabcd\r\n"
    expect(send(gateway, "PUT", target, headers, body), 403, "SignatureDoesNotMatch")
