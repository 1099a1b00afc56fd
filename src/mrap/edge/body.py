"""Request bodies as operations read them: 100-continue, timeouts, length and hash checks.

aws-chunked bodies (SDK streaming uploads) are decoded here, so operations see only the
payload; their chunk signatures and trailers are checked by `auth.chunked`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from xml.etree.ElementTree import Element

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mrap import errors
from mrap.auth.chunked import AwsChunkedDecoder, streaming_mode, verifier_for
from mrap.auth.rules import Authentication
from mrap.edge import xml

_CHUNK = 1 << 18
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class RequestBody:
    """The body of one request, streamed from the connection."""

    def __init__(self, request: web.BaseRequest, auth: Authentication, read_timeout: float) -> None:
        self._request = request
        self._payload_sha256 = auth.payload_sha256
        self._timeout = read_timeout
        self._continued = False
        self._decoder: AwsChunkedDecoder | None = None
        # The payload's length as operations see it (decoded, for aws-chunked), if known.
        self.length = request.content_length
        # Trailing headers of an aws-chunked body, once it has been read to the end.
        self.trailers: dict[str, str] = {}
        mode = streaming_mode(auth.content_sha256)
        if mode is not None or is_aws_chunked(request.headers.get("content-encoding", "")):
            self.length = _decoded_length(request.headers.get("x-amz-decoded-content-length"))
            self._decoder = AwsChunkedDecoder(
                mode=mode,
                decoded_length=self.length,
                verifier=verifier_for(mode, auth.seed) if mode is not None else None,
                trailer_names=trailer_names(request.headers.get("x-amz-trailer")),
            )

    async def _send_continue(self) -> None:
        # Sent only once the operation starts reading: a request refused earlier gets its
        # final status without the client transmitting the body first.
        if not self._continued and self._request.headers.get("expect", "").lower() == (
            "100-continue"
        ):
            await self._request.writer.write(_CONTINUE)
        self._continued = True

    async def _read(self, size: int) -> bytes:
        try:
            return await asyncio.wait_for(self._request.content.read(size), self._timeout)
        except TimeoutError:
            raise errors.RequestTimeout() from None
        except (HttpProcessingError, ConnectionError):
            # The client closed the connection (or broke the framing) before the
            # declared length arrived.
            raise errors.IncompleteBody() from None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body; after the last chunk, check it against the signed SHA-256."""
        await self._send_continue()
        digest = hashlib.sha256() if self._payload_sha256 else None
        decoder = self._decoder
        while True:
            chunk = await self._read(_CHUNK)
            if not chunk:
                break
            if digest is not None:
                digest.update(chunk)
            if decoder is None:
                yield chunk
                continue
            for piece in decoder.feed(chunk):
                yield piece
        if decoder is not None:
            self.trailers = decoder.finish()
        expected = self._payload_sha256
        if digest is not None and expected is not None:
            actual = digest.hexdigest()
            if not hmac.compare_digest(actual, expected):
                raise errors.XAmzContentSHA256Mismatch(
                    ClientComputedContentSHA256=expected, S3ComputedContentSHA256=actual
                )

    async def read_all(self, max_size: int) -> bytes:
        """Read a small body whole; MalformedXML beyond `max_size` (XML is all we read so)."""
        parts = []
        size = 0
        async for chunk in self.chunks():
            size += len(chunk)
            if size > max_size:
                raise errors.MalformedXML(
                    "The XML you provided was larger than the maximum allowed"
                )
            parts.append(chunk)
        return b"".join(parts)

    async def read_xml(
        self, max_size: int = 1 << 20, verify: Callable[[bytes], None] | None = None
    ) -> Element | None:
        """Read, verify and parse a small XML body; None when the body is empty."""
        data = await self.read_all(max_size)
        if verify is not None:
            verify(data)
        if not data.strip():
            return None
        return xml.parse(data)


def is_aws_chunked(content_encoding: str) -> bool:
    """Whether a Content-Encoding value lists `aws-chunked`."""
    return "aws-chunked" in (c.strip().lower() for c in content_encoding.split(","))


def trailer_names(value: str | None) -> list[str]:
    """The header names an `x-amz-trailer` value announces."""
    return [name.strip().lower() for name in (value or "").split(",") if name.strip()]


def _decoded_length(value: str | None) -> int:
    # The payload length of an aws-chunked body; S3 requires it with every such body.
    if value is None:
        raise errors.MissingContentLength()
    if not value.isdigit():
        raise errors.InvalidArgument(
            "x-amz-decoded-content-length must be a non-negative integer",
            ArgumentName="x-amz-decoded-content-length",
            ArgumentValue=value,
        )
    return int(value)
