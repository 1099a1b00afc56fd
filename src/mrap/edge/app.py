"""The HTTP front of the gateway: one handler for every request.

It addresses the request, authenticates it, finds the operation, runs it, and renders the
result or the S3 error document. Every response carries `x-amz-request-id`; every request
leaves one access-log line.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import secrets
import time
import traceback
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from mrap import errors
from mrap.auth import scope as signing_scope
from mrap.auth import sigv4
from mrap.auth.canonical import SignedRequest
from mrap.auth.principal import ANONYMOUS, Principal
from mrap.auth.rules import Authentication
from mrap.authz.identity import identity_of
from mrap.edge import addressing, pipeline, query, xml
from mrap.edge.body import RequestBody
from mrap.edge.metrics import count_slow_client
from mrap.iam import Caller, PolicyDocument
from mrap.operation import FileBody, OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.routing import dataplane
from mrap.services import Services

_ANONYMOUS = Caller.anonymous()
_root = functools.lru_cache(maxsize=1024)(Caller.root)
_TLS_VERSIONS = {"TLSv1.2": "1.2", "TLSv1.3": "1.3"}
_OP_REQUEST = web.RequestKey("op_request", OpRequest)  # for the usage count after sending
ROUTED_REGION_HEADER = "x-mrap-routed-region"
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client gone before its answer was sent
MAX_HEADER_SECTION = 8192
SMALL_BODY = 64 * 1024
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


def _body_left_unsent(request: web.BaseRequest) -> bool:
    """A 100-continue request answered before its body was read."""
    expects = request.headers.get("expect", "").lower() == "100-continue"
    return expects and not request.content.is_eof()


def error_response(
    exc: errors.S3Error,
    request_id: str,
    resource: str,
    method: str,
    api: addressing.Api = addressing.Api.S3,
) -> web.Response:
    """The error document of the request's API (no body for HEAD, as S3 does)."""
    headers = {**exc.headers, "x-amz-request-id": request_id, "x-amz-id-2": request_id}
    if method == "HEAD" or exc.status == 304:
        return web.Response(status=exc.status, headers=headers)
    if api in query.NAMESPACES:
        body = query.error_document(api, exc, request_id)
    elif api is addressing.Api.S3_CONTROL:
        error: list[tuple[str, XmlValue]] = [("Code", exc.code), ("Message", exc.message)]
        error += exc.extra.items()
        children: list[tuple[str, XmlValue]] = [
            ("Error", error),
            ("RequestId", request_id),
            ("HostId", request_id),
        ]
        body = xml.encode(XmlDoc("ErrorResponse", children, namespace=None))
    else:
        children = [("Code", exc.code), ("Message", exc.message), *exc.extra.items()]
        children += [("Resource", resource), ("RequestId", request_id), ("HostId", request_id)]
        body = xml.encode(XmlDoc("Error", children, namespace=None))
    headers["Content-Type"] = "application/xml"
    return web.Response(status=exc.status, body=body, headers=headers)


_QUERY_SERVICES = {"iam": addressing.Api.IAM, "sts": addressing.Api.STS}


def _signing_service(headers: CIMultiDictProxy[str], raw_query: str) -> str:
    """The service named in a SigV4 credential scope (`AKID/date/region/SERVICE/aws4_request`)."""
    authorization = headers.get("authorization", "")
    start = authorization.find("Credential=")
    if start >= 0:
        credential = authorization[start + 11 :].partition(",")[0]
    elif "X-Amz-Credential=" in raw_query:
        credential = unquote(raw_query.partition("X-Amz-Credential=")[2].partition("&")[0])
    else:
        return ""
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else ""


_SERVICE_NAMES = {
    addressing.Api.S3: "s3",
    addressing.Api.S3_CONTROL: "s3",
    addressing.Api.MRAP: "s3",
    addressing.Api.IAM: "iam",
    addressing.Api.STS: "sts",
}


def _check_service(auth: Authentication, api: addressing.Api) -> None:
    """The credential scope must name the API's signing service."""
    service = _SERVICE_NAMES.get(api)
    if auth.scope is None or service is None or auth.scope.service == service:
        return
    if api in query.NAMESPACES:
        raise errors.SignatureDoesNotMatch(
            f"Credential should be scoped to correct service: '{service}'. "
        )
    signing_scope.check_service(auth.scope, service)


def _addressed(request: web.BaseRequest, target: addressing.Target | None) -> str:
    """The access log's ` bucket=… key=…`: what was addressed, whatever the host or tunnel.

    Through an access point the bucket is the one the request was routed to. Names are
    percent-encoded, so that no key can split or forge a log line.
    """
    op_request = request.get(_OP_REQUEST)
    if op_request is not None:
        bucket, key = op_request.bucket, op_request.key
    elif target is not None:
        bucket, key = target.bucket or target.alias, target.key
    else:
        return ""
    if not bucket:
        return ""
    named = f" bucket={quote(bucket, safe='')}"
    return named + f" key={quote(key, safe='/')}" if key else named


class Gateway:
    """The request handler of one gateway process."""

    def __init__(self, services: Services, body_timeout: float = 20.0) -> None:
        self.services = services
        self.body_timeout = body_timeout
        self._lookup = services.control.get_access_key
        self._router = dataplane.Router(services)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Serve one request and log it."""
        started = time.perf_counter()
        request_id = _request_id()
        raw_path, raw_query = addressing.split_target(request.raw_path)
        resource = unquote(raw_path)
        body_lost = client_gone = False
        api = addressing.Api.S3
        target: addressing.Target | None = None
        try:
            target = addressing.for_request(
                request.raw_path,
                request.headers.get("host") or request.host,
                raw_path,
                self.services.settings.domain,
                # the CONNECT host when the request came through a proxy tunnel
                getattr(request.protocol, "tunnel_host", None),
            )
            resource = target.resource
            api = target.api
            if api is addressing.Api.S3 and target.level == "service":
                # One endpoint for every service, as `--endpoint-url` users expect: IAM and STS
                # requests to the gateway's own name are told apart by their signing scope.
                api = _QUERY_SERVICES.get(_signing_service(request.headers, raw_query), api)
            response = await self._serve(request, request_id, target, api, raw_path, raw_query)
        except errors.S3Error as exc:
            response = error_response(exc, request_id, resource, request.method, api)
            # The rest of the body is not coming: answer, then close without lingering.
            body_lost = isinstance(exc, errors.RequestTimeout | errors.IncompleteBody)
            if isinstance(exc, errors.RequestTimeout):
                count_slow_client("body")
        except ConnectionError:
            # The client went away while its answer was being sent (a download cut short):
            # no fault of ours and nobody to answer (aiohttp drops this response).
            request.protocol.force_close()
            response = web.Response(status=CLIENT_CLOSED_REQUEST)
            client_gone = True
        except Exception:
            error_log.error("request %s failed:\n%s", request_id, traceback.format_exc())
            error = errors.InternalError()
            response = error_response(error, request_id, resource, request.method, api)
        if not client_gone and not response.prepared:
            if body_lost or _body_left_unsent(request):
                # The body will not arrive (a 100-continue client waits for our go-ahead,
                # which it will not get now), so the connection cannot carry another request.
                response.force_close()
            try:
                await response.prepare(request)
                await response.write_eof()
            except ConnectionError:
                # Gone before its answer: a 499 for what it asked for, but an error stays
                # in the log as what went wrong (a body cut short, say).
                client_gone = response.status < 400
        if body_lost:
            request.protocol.force_close()
        elapsed = (time.perf_counter() - started) * 1000
        access_log.info(
            "%s %s %d %d %.1fms%s%s",
            request.method,
            request.raw_path,
            CLIENT_CLOSED_REQUEST if client_gone else response.status,
            response.content_length or 0,
            elapsed,
            _addressed(request, target),
            self._notes(request, response),
        )
        return response

    def _notes(self, request: web.BaseRequest, response: web.StreamResponse) -> str:
        """The access log's notes: where an access point request was served, who paid."""
        op_request = request.get(_OP_REQUEST)
        if op_request is None:
            return ""
        point = op_request.access_point
        routed = f" region={point.region}" if point is not None else ""
        return routed + self._record_usage(op_request, request, response)

    def _record_usage(
        self, op_request: OpRequest, request: web.BaseRequest, response: web.StreamResponse
    ) -> str:
        """Count a request its requester pays for (Requester Pays); the access log's note."""
        if not op_request.charged_to:
            return ""
        sent = 0 if request.method == "HEAD" else response.content_length or 0
        received = op_request.content_length or 0
        self.services.usage.record(op_request.charged_to, op_request.bucket, received, sent)
        return f" charged={op_request.charged_to}"

    def unparseable(self, exc: BaseException | None) -> web.Response:
        """The S3 error document for a request whose HTTP head could not be parsed."""
        error: errors.S3Error
        if isinstance(exc, LineTooLong) or "Too many headers" in str(exc):
            error = errors.RequestHeaderSectionTooLarge(MaxSizeAllowed=str(MAX_HEADER_SECTION))
        else:
            error = errors.InvalidRequest("The HTTP request could not be parsed.")
        response = error_response(error, _request_id(), "/", "")
        response.force_close()
        access_log.info("- - %d %d 0.0ms", response.status, response.content_length or 0)
        return response

    async def _serve(
        self,
        request: web.BaseRequest,
        request_id: str,
        target: addressing.Target,
        api: addressing.Api,
        raw_path: str,
        raw_query: str,
    ) -> web.StreamResponse:
        """The pipeline: authenticate → resolve and route → parse → authorize → invoke →
        render (`mrap.edge.pipeline` holds the steps after authentication)."""
        if _header_section_size(request) > MAX_HEADER_SECTION:
            raise errors.RequestHeaderSectionTooLarge(MaxSizeAllowed=str(MAX_HEADER_SECTION))
        query_pairs = parse_query(raw_query)
        # IAM and STS clients sign the hash of their form body without sending it in a
        # header: the (small) body is read first, so that the signature can be checked.
        form = await _read_form(request, self.body_timeout) if api in query.NAMESPACES else b""
        auth = self._authenticate(request, api, raw_path, query_pairs, form)
        identity = self._identity(auth.principal)
        dispatch = self._resolve(request, target, api, auth, raw_path, query_pairs, form)
        op_request = self._op_request(request, request_id, target, auth, identity, dispatch)
        request[_OP_REQUEST] = op_request
        result = await pipeline.invoke(self.services, dispatch, op_request)
        if op_request.charged_to:
            result.headers["x-amz-request-charged"] = "requester"
        if dispatch.access_point is not None:
            # Which region served the request, for debugging (the access log has it too).
            result.headers[ROUTED_REGION_HEADER] = dispatch.access_point.region
        return await self._render(request, request_id, result)

    def _authenticate(
        self,
        request: web.BaseRequest,
        api: addressing.Api,
        raw_path: str,
        query_pairs: list[tuple[str, str]],
        form: bytes,
    ) -> Authentication:
        """Who signed the request (SigV4, SigV4A, presigned, anonymous), for the API's service."""
        form_sha256 = hashlib.sha256(form).hexdigest() if api in query.NAMESPACES else None
        signed = SignedRequest(request.method, raw_path, query_pairs, request.headers, form_sha256)
        try:
            auth = sigv4.authenticate(signed, self._lookup, datetime.now(UTC))
        except errors.S3Error as exc:
            raise query.translate(exc) if api in query.NAMESPACES else exc from None
        _check_service(auth, api)
        return auth

    def _resolve(
        self,
        request: web.BaseRequest,
        target: addressing.Target,
        api: addressing.Api,
        auth: Authentication,
        raw_path: str,
        query_pairs: list[tuple[str, str]],
        form: bytes,
    ) -> pipeline.Dispatch:
        """The operation the request is for (an S3 one routed to its regional bucket)."""
        if api is addressing.Api.S3 or api is addressing.Api.MRAP:
            return pipeline.resolve_s3(
                self.services, self._router, target, request.method, request.headers, auth,
                query_pairs,
            )  # fmt: skip
        if api is addressing.Api.S3_CONTROL:
            return pipeline.resolve_control(request.method, raw_path, request.headers, query_pairs)
        return pipeline.resolve_query(api, auth, query_pairs, form)

    def _op_request(
        self,
        request: web.BaseRequest,
        request_id: str,
        target: addressing.Target,
        auth: Authentication,
        identity: tuple[Caller, tuple[PolicyDocument, ...]],
        dispatch: pipeline.Dispatch,
    ) -> OpRequest:
        """The request as operations see it, with the caller's identity (looked up once)."""
        caller, policies = identity
        tls = request.transport.get_extra_info("ssl_object") if request.transport else None
        body = RequestBody(request, auth, self.body_timeout)
        return OpRequest(
            method=request.method,
            bucket=dispatch.bucket,
            key=target.key,
            query=MultiDictProxy(MultiDict(dispatch.query_pairs)),
            headers=request.headers,
            body=body,
            principal=auth.principal,
            request_id=request_id,
            content_length=body.length,  # decoded, for aws-chunked bodies
            action=dispatch.action,
            source_ip=request.remote or "",
            secure=tls is not None,
            params=dispatch.params,
            caller=caller,
            policies=policies,
            tls_version=_TLS_VERSIONS.get(tls.version() or "", "") if tls is not None else "",
            access_point=dispatch.access_point,
            account_public_access_block=self.services.mraps.account_public_access_block,
        )

    def _identity(self, principal: Principal) -> tuple[Caller, tuple[PolicyDocument, ...]]:
        """The policy engine's view of the signer, and its identity policies."""
        if principal.anonymous:
            return _ANONYMOUS, ()
        if principal.arn.endswith(":root"):
            return _root(principal.account_id), ()  # the common case, without a lookup
        identity = identity_of(self.services.identities, principal.arn)
        if identity is None:  # the user or role went away after the key was issued
            raise errors.InvalidAccessKeyId(AWSAccessKeyId=principal.access_key_id or "")
        return identity.caller, identity.policies

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
        if body.length <= SMALL_BODY:
            # One write of headers and bytes beats sendfile's extra syscalls and waits.
            try:
                body.file.seek(body.offset)
                data = body.file.read(body.length)
            finally:
                body.file.close()
            return web.Response(status=status, headers=headers, body=data)
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = body.length
        try:
            await response.prepare(request)
            transport = request.transport
            if body.length and transport is not None:
                if transport.get_extra_info("ssl_object") is not None:
                    # Through a proxy tunnel there is no sendfile; asyncio's fallback (256 KiB
                    # reads, each drained alone) runs at a seventh of the speed of 1 MiB writes.
                    await _write_file(response, body)
                else:
                    loop = asyncio.get_running_loop()
                    await loop.sendfile(transport, body.file, body.offset, body.length)
            await response.write_eof()
        finally:
            body.file.close()
        return response


async def _read_form(request: web.BaseRequest, timeout: float) -> bytes:
    """The form body of an IAM or STS request, read before it is authenticated."""
    unsigned = Authentication(ANONYMOUS, None, None)
    return await RequestBody(request, unsigned, timeout).read_all(query.MAX_BODY)


async def _write_file(response: web.StreamResponse, body: FileBody) -> None:
    """Stream a file's range in 1 MiB writes (reads in a thread, like sendfile's fallback)."""
    loop = asyncio.get_running_loop()
    body.file.seek(body.offset)
    left = body.length
    while left > 0:
        data = await loop.run_in_executor(None, body.file.read, min(left, 1 << 20))
        if not data:
            raise OSError("object file shorter than its recorded length")
        left -= len(data)
        await response.write(data)
