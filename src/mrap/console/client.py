"""Signed requests from the console to the gateway's own S3 port, over loopback.

Requests are signed with awscrt (SigV4, or SigV4A for an access point's global host), sent with
aiohttp's client, and their XML answers parsed with defusedxml. An AWS error document becomes
an `ApiError` carrying AWS's code and message, for the page to show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from xml.etree.ElementTree import Element

import aiohttp
import defusedxml.ElementTree as SafeET
from awscrt import auth, http
from yarl import URL

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Credentials:
    """What the user signed in with: an access key, its secret, and an STS session token."""

    access_key_id: str
    secret_access_key: str
    session_token: str = ""


class ApiError(Exception):
    """An AWS error answer: its code, message and HTTP status, shown to the user as such."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def strip_namespaces(root: Element) -> Element:
    """The document with every tag reduced to its local name, for plain `find` paths."""
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rpartition("}")[2]
    return root


def parse_xml(body: bytes) -> Element:
    """A response document, parsed safely (no entities, no external references)."""
    return strip_namespaces(SafeET.fromstring(body))


def error_from(status: int, body: bytes) -> ApiError:
    """The error in an S3 (`Error`) or Query (`ErrorResponse/Error`) document."""
    try:
        root = parse_xml(body)
    except SafeET.ParseError:
        return ApiError("HTTP" + str(status), body.decode(errors="replace")[:500], status)
    code = root.findtext(".//Code") or f"HTTP{status}"
    message = root.findtext(".//Message") or ""
    return ApiError(code, message, status)


def quote_path(path: str) -> str:
    """A key or name as S3 expects it in a path: every byte escaped but `/` and unreserved."""
    return quote(path, safe="/~")


@dataclass(frozen=True)
class Answer:
    """A successful response: status, headers and the whole (small) body."""

    status: int
    headers: dict[str, str]
    body: bytes


class GatewayClient:
    """Signs and sends requests to the gateway at `address` (`host:port` on loopback)."""

    def __init__(self, address: str, domain: str, http_session: aiohttp.ClientSession) -> None:
        self.address = address
        self.domain = domain
        self._http = http_session

    def _sign(
        self,
        credentials: Credentials,
        method: str,
        path_and_query: str,
        headers: list[tuple[str, str]],
        body_sha256: str,
        region: str,
        service: str,
        asymmetric: bool = False,
    ) -> list[tuple[str, str]]:
        request = http.HttpRequest(method, path_and_query, http.HttpHeaders(headers))
        provider = auth.AwsCredentialsProvider.new_static(
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token or None,
        )
        config = auth.AwsSigningConfig(
            algorithm=(
                auth.AwsSigningAlgorithm.V4_ASYMMETRIC
                if asymmetric
                else auth.AwsSigningAlgorithm.V4
            ),
            credentials_provider=provider,
            region="*" if asymmetric else region,
            service=service,
            date=datetime.now(UTC),
            # S3 signs the path as sent; IAM and STS paths are only `/` anyway.
            use_double_uri_encode=False,
            should_normalize_uri_path=False,
            signed_body_value=body_sha256,
            signed_body_header_type=auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256,
        )
        signed = auth.aws_sign_request(request, config).result()
        return list(signed.headers)

    async def request(
        self,
        credentials: Credentials,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        host: str = "",
        region: str = "us-east-1",
        service: str = "s3",
        asymmetric: bool = False,
    ) -> Answer:
        """Send one signed request with a small body; its answer, or ApiError."""
        response = await self.open(
            credentials,
            method,
            path,
            query=query,
            headers=headers,
            body=body,
            body_sha256=hashlib.sha256(body).hexdigest(),
            host=host,
            region=region,
            service=service,
            asymmetric=asymmetric,
        )
        async with response:
            data = await response.read()
            if response.status >= 300:
                raise error_from(response.status, data)
            return Answer(response.status, dict(response.headers), data)

    async def open(
        self,
        credentials: Credentials,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        body_sha256: str = EMPTY_SHA256,
        host: str = "",
        region: str = "us-east-1",
        service: str = "s3",
        asymmetric: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send one signed request and return the response unread (for streaming bodies)."""
        pairs = sorted(query)
        query_string = urlencode(pairs, quote_via=quote, safe="-_.~")
        target = path + ("?" + query_string if query_string else "")
        all_headers = [("host", host or self.address), *headers]
        signed = self._sign(
            credentials, method, target, all_headers, body_sha256, region, service, asymmetric
        )
        return await self._http.request(
            method,
            URL(f"http://{self.address}{target}", encoded=True),
            headers=signed,
            data=body,
            allow_redirects=False,
            skip_auto_headers=("Content-Type",),
        )
