"""The HTTP front of the gateway: one handler for every request.

It addresses the request, authenticates it, finds the operation, runs it, and renders the
result or the S3 error document. Every response carries `x-amz-request-id`; every request
leaves one access-log line.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import traceback
from datetime import UTC, datetime
from urllib.parse import unquote

from aiohttp import web
from multidict import CIMultiDict, MultiDict, MultiDictProxy

from mrap import errors
from mrap.auth import sigv4
from mrap.edge import addressing, xml
from mrap.edge.body import RequestBody
from mrap.operation import FileBody, OpRequest, OpResponse, XmlDoc
from mrap.s3 import table
from mrap.services import Services

MAX_HEADER_SECTION = 8192
access_log = logging.getLogger("mrap.access")
error_log = logging.getLogger("mrap.error")


def _request_id() -> str:
    return secrets.token_hex(8).upper()


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs; `+` stays a plus, as SigV4 clients encode spaces."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _header_section_size(request: web.BaseRequest) -> int:
    return sum(len(k) + len(v) + 4 for k, v in request.raw_headers)


def error_response(
    exc: errors.S3Error, request_id: str, resource: str, method: str
) -> web.Response:
    """The S3 XML error document for an error (no body for HEAD, as S3 does)."""
    headers = {"x-amz-request-id": request_id, "x-amz-id-2": request_id}
    if method == "HEAD" or exc.status == 304:
        return web.Response(status=exc.status, headers=headers)
    children = [("Code", exc.code), ("Message", exc.message)]
    children += list(exc.extra.items())
    children += [("Resource", resource), ("RequestId", request_id), ("HostId", request_id)]
    body = xml.encode(XmlDoc("Error", children, namespace=None))
    headers["Content-Type"] = "application/xml"
    return web.Response(status=exc.status, body=body, headers=headers)


class Gateway:
    """The request handler of one gateway process."""

    def __init__(self, services: Services, body_timeout: float = 20.0) -> None:
        self.services = services
        self.body_timeout = body_timeout
        self._lookup = services.control.get_access_key

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Serve one request and log it."""
        started = time.perf_counter()
        request_id = _request_id()
        raw_path, raw_query = addressing.split_target(request.raw_path)
        try:
            response = await self._serve(request, request_id, raw_path, raw_query)
        except errors.S3Error as exc:
            response = error_response(exc, request_id, unquote(raw_path), request.method)
        except Exception:
            error_log.error("request %s failed:\n%s", request_id, traceback.format_exc())
            response = error_response(
                errors.InternalError(), request_id, unquote(raw_path), request.method
            )
        if not response.prepared:
            await response.prepare(request)
            await response.write_eof()
        elapsed = (time.perf_counter() - started) * 1000
        access_log.info(
            "%s %s %d %d %.1fms",
            request.method,
            request.raw_path,
            response.status,
            response.content_length or 0,
            elapsed,
        )
        return response

    async def _serve(
        self, request: web.BaseRequest, request_id: str, raw_path: str, raw_query: str
    ) -> web.StreamResponse:
        if _header_section_size(request) > MAX_HEADER_SECTION:
            raise errors.RequestHeaderSectionTooLarge(MaxSizeAllowed=str(MAX_HEADER_SECTION))
        host = request.headers.get("host") or request.host
        target = addressing.resolve(host, raw_path, self.services.settings.domain)
        query = parse_query(raw_query)
        auth = sigv4.authenticate(
            sigv4.SignedRequest(request.method, raw_path, query, request.headers),
            self._lookup,
            datetime.now(UTC),
        )
        level = target.level
        operation = table.resolve(request.method, level, (k for k, _ in query), request.headers)  # type: ignore[arg-type]
        if operation.handler is None:
            raise table.not_implemented(operation)
        op_request = OpRequest(
            method=request.method,
            bucket=target.bucket,
            key=target.key,
            query=MultiDictProxy(MultiDict(query)),
            headers=request.headers,
            body=RequestBody(request, auth.payload_sha256, self.body_timeout),
            principal=auth.principal,
            request_id=request_id,
            content_length=request.content_length,
        )
        result = await operation.handler(self.services, op_request)
        return await self._render(request, request_id, result)

    async def _render(
        self, request: web.BaseRequest, request_id: str, result: OpResponse
    ) -> web.StreamResponse:
        headers = CIMultiDict(result.headers)
        headers["x-amz-request-id"] = request_id
        headers["x-amz-id-2"] = request_id
        body = result.body
        if isinstance(body, FileBody):
            return await self._send_file(request, result.status, headers, body)
        if isinstance(body, XmlDoc):
            headers["Content-Type"] = "application/xml"
            body = xml.encode(body)
        if request.method == "HEAD" and "Content-Length" in headers:
            # A HEAD answer states the object's length without a body to match it.
            response = web.StreamResponse(status=result.status, headers=headers)
            response.content_length = int(headers.pop("Content-Length"))
            return response
        return web.Response(status=result.status, headers=headers, body=body)

    async def _send_file(
        self,
        request: web.BaseRequest,
        status: int,
        headers: CIMultiDict[str],
        body: FileBody,
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = body.length
        try:
            await response.prepare(request)
            transport = request.transport
            if body.length and transport is not None:
                loop = asyncio.get_running_loop()
                await loop.sendfile(transport, body.file, body.offset, body.length)
            await response.write_eof()
        finally:
            body.file.close()
        return response
