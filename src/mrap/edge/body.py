"""Request bodies as operations read them: 100-continue, timeouts, length and hash checks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from xml.etree.ElementTree import Element

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mrap import errors
from mrap.edge import xml

_CHUNK = 1 << 18
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class RequestBody:
    """The body of one request, streamed from the connection."""

    def __init__(
        self, request: web.BaseRequest, payload_sha256: str | None, read_timeout: float
    ) -> None:
        self._request = request
        self._payload_sha256 = payload_sha256
        self._timeout = read_timeout
        self._continued = False

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
        while True:
            chunk = await self._read(_CHUNK)
            if not chunk:
                break
            if digest is not None:
                digest.update(chunk)
            yield chunk
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
