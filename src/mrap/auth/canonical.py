"""The canonical request of SigV4 and SigV4A: what a signature covers, rebuilt from the raw
request as sent (path and query percent-encoded as the client encoded them)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from multidict import CIMultiDictProxy

from mrap import errors

_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*")


@dataclass(frozen=True)
class SignedRequest:
    """The parts of a request a signature covers."""

    method: str
    raw_path: str  # as sent, percent-encoded
    query: Sequence[tuple[str, str]]  # decoded (name, value) pairs in arrival order
    headers: CIMultiDictProxy[str]
    # The SHA-256 (hex) of a body the edge read before authenticating: IAM and STS clients
    # sign their form body's hash without sending it as x-amz-content-sha256.
    body_sha256: str | None = None


def candidate_paths(raw_path: str) -> list[str]:
    """Canonical URIs to try: the path as sent, then its strict re-encoding if different."""
    strict = uri_encode(unquote(raw_path), safe="/")
    return [raw_path] if strict == raw_path else [raw_path, strict]


def uri_encode(value: str, safe: str = "") -> str:
    """RFC 3986 encoding as SigV4 defines it (unreserved characters kept)."""
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="-_.~" + safe)


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Sorted, encoded `name=value` pairs joined by `&`."""
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_headers(headers: CIMultiDictProxy[str], names: Sequence[str]) -> str:
    """`name:value` lines of the signed headers, values trimmed as SigV4 requires."""
    lines = []
    for name in names:
        values = headers.getall(name, [])
        if not values:
            raise errors.SignatureDoesNotMatch()
        lines.append(name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n")
    return "".join(lines)


def canonical_request(
    req: SignedRequest,
    path: str,
    query: Sequence[tuple[str, str]],
    signed: Sequence[str],
    payload: str,
) -> str:
    """The canonical request string of SigV4 (and SigV4A)."""
    return "\n".join(
        (
            req.method,
            path,
            canonical_query(query),
            canonical_headers(req.headers, signed),
            ";".join(signed),
            payload,
        )
    )


def string_to_sign(algorithm: str, amz_date: str, scope: str, creq: str) -> str:
    """The four-line string that is signed."""
    digest = hashlib.sha256(creq.encode()).hexdigest()
    return f"{algorithm}\n{amz_date}\n{scope}\n{digest}"
