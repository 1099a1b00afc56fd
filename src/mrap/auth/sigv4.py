"""AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header and presigned-query forms.

Knows nothing about HTTP libraries: it sees the method, the raw path and query as sent, and
the headers. It tells who signed and what the body's SHA-256 must be; the caller checks the
body as it streams.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.auth.chunked import Seed, streaming_mode
from mrap.auth.principal import ANONYMOUS, Principal
from mrap.store.control import AccessKey

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_EXPIRES_SECONDS = 604800
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
SECURITY_TOKEN_HEADER = "x-amz-security-token"
SECURITY_TOKEN_PARAM = "X-Amz-Security-Token"


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


@dataclass(frozen=True)
class Authentication:
    """Who signed, and the SHA-256 the body must have (None: not signed)."""

    principal: Principal
    payload_sha256: str | None
    content_sha256: str | None  # the x-amz-content-sha256 value as sent
    seed: Seed | None = None  # what signed aws-chunked bodies chain their signatures on
    region_set: tuple[str, ...] | None = None  # SigV4A: the regions signed for (not checked)


KeyLookup = Callable[[str], AccessKey | None]


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived SigV4 key; cached because it changes once a day per key and region."""
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


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


def candidate_paths(raw_path: str) -> list[str]:
    """Canonical URIs to try: the path as sent, then its strict re-encoding if different."""
    strict = uri_encode(unquote(raw_path), safe="/")
    return [raw_path] if strict == raw_path else [raw_path, strict]


def parse_amz_date(value: str) -> datetime:
    """Parse `YYYYMMDDTHHMMSSZ` (by hand: strptime costs more than the whole signature)."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not value[:8].isdigit():
        raise ValueError(f"not an ISO 8601 basic date-time: {value!r}")
    if not value[9:15].isdigit():
        raise ValueError(f"not an ISO 8601 basic date-time: {value!r}")
    return datetime(
        int(value[0:4]),
        int(value[4:6]),
        int(value[6:8]),
        int(value[9:11]),
        int(value[11:13]),
        int(value[13:15]),
        tzinfo=UTC,
    )


def _request_time(headers: CIMultiDictProxy[str]) -> tuple[str, datetime]:
    amz = headers.get("x-amz-date")
    if amz:
        try:
            return amz, parse_amz_date(amz)
        except ValueError:
            pass
    else:
        date = headers.get("date")
        if date:
            try:
                when = parsedate_to_datetime(date).astimezone(UTC)
            except (TypeError, ValueError):
                pass
            else:
                return when.strftime(_AMZ_DATE), when
    raise errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header")


def _check_skew(when: datetime, now: datetime) -> None:
    if abs((now - when).total_seconds()) > MAX_SKEW_SECONDS:
        raise errors.RequestTimeTooSkewed(
            RequestTime=when.strftime(_AMZ_DATE),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
        )


def _security_token(req: SignedRequest) -> str | None:
    """The session token sent with the request: the header, or a presigned URL's parameter."""
    token = req.headers.get(SECURITY_TOKEN_HEADER)
    if token is None:
        for name, value in req.query:
            if name == SECURITY_TOKEN_PARAM:
                return value
    return token


def _lookup(keys: KeyLookup, access_key_id: str, req: SignedRequest, now: datetime) -> AccessKey:
    """The signer's key, with its session token checked (every signing method goes here).

    Temporary (STS) keys require their token, compared in constant time, and expire; AWS
    answers a session key sent without its token as an unknown key, and refuses a token sent
    with a long-term key.
    """
    key = keys(access_key_id)
    if key is None or not key.active:
        raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key_id)
    token = _security_token(req)
    expected = key.session_token_sha256
    if expected is None:
        if token is not None:
            raise errors.InvalidToken(**{"Token-0": token})
        return key
    if token is None:
        raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key_id)
    if not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), expected):
        raise errors.InvalidToken(**{"Token-0": token})
    if key.expires is not None and now.timestamp() >= key.expires:
        raise errors.ExpiredToken(**{"Token-0": token})
    return key


def _verify(
    req: SignedRequest,
    key: AccessKey,
    scope_parts: Sequence[str],
    amz_date: str,
    query: Sequence[tuple[str, str]],
    signed: Sequence[str],
    payload: str,
    signature: str,
) -> Seed:
    date, region, service = scope_parts
    scope = f"{date}/{region}/{service}/aws4_request"
    k = signing_key(key.secret, date, region, service)
    for path in candidate_paths(req.raw_path):
        creq = canonical_request(req, path, query, signed, payload)
        sts = string_to_sign(ALGORITHM, amz_date, scope, creq)
        expected = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            return Seed(ALGORITHM, k, amz_date, scope, signature)
    raise errors.SignatureDoesNotMatch(
        AWSAccessKeyId=key.access_key_id, StringToSign=sts, CanonicalRequest=creq
    )


def _check_unsigned_amz_headers(headers: CIMultiDictProxy[str], signed: Sequence[str]) -> None:
    names = {n.lower() for n in headers}
    unsigned = sorted(n for n in names if n.startswith("x-amz-") and n not in signed)
    if unsigned:
        raise errors.AccessDenied(
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


def _parse_credential(value: str, malformed: type[errors.S3Error]) -> tuple[str, list[str]]:
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise malformed(
            "The authorization header is malformed; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
    return parts[0], parts[1:4]


def _content_sha256(headers: CIMultiDictProxy[str], required: bool) -> str:
    value = headers.get("x-amz-content-sha256")
    if value is None:
        if required:
            raise errors.InvalidRequest(
                "Missing required header for this request: x-amz-content-sha256"
            )
        return UNSIGNED_PAYLOAD
    if value == UNSIGNED_PAYLOAD or _HEX64.fullmatch(value) or streaming_mode(value):
        return value
    raise errors.InvalidArgument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=value,
    )


def _payload(req: SignedRequest, required: bool) -> str:
    """The payload hash the signature covers: the read body's, else the header's."""
    if req.body_sha256 is not None:
        return req.body_sha256
    return _content_sha256(req.headers, required)


def authorization_fields(text: str) -> dict[str, str]:
    """`Credential`, `SignedHeaders` and `Signature` of an Authorization header's value."""
    fields: dict[str, str] = {}
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise errors.AuthorizationHeaderMalformed(
            "The authorization header is malformed; the authorization header requires three "
            "components: Credential, SignedHeaders, and Signature."
        )
    return fields


def _authenticate_header(
    req: SignedRequest, authorization: str, keys: KeyLookup, now: datetime
) -> Authentication:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm == SIGV4A_ALGORITHM:
        # Imported here: sigv4a builds on this module, and SigV4 requests never need it.
        from mrap.auth import sigv4a

        return sigv4a.authenticate_header(req, rest, keys, now)
    if algorithm != ALGORITHM:
        raise errors.InvalidArgument(
            "Unsupported Authorization Type",
            ArgumentName="Authorization",
            ArgumentValue=authorization,
        )
    fields = authorization_fields(rest)
    access_key_id, scope_parts = _parse_credential(
        fields["Credential"], errors.AuthorizationHeaderMalformed
    )
    amz_date, when = _request_time(req.headers)
    if scope_parts[0] != amz_date[:8]:
        raise errors.AuthorizationHeaderMalformed(
            "The authorization header is malformed; Invalid credential date. Date is not the "
            "same as X-Amz-Date."
        )
    key = _lookup(keys, access_key_id, req, now)
    _check_skew(when, now)
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed:
        raise errors.AccessDenied("Host header is not signed")
    _check_unsigned_amz_headers(req.headers, signed)
    payload = _payload(req, required=True)
    seed = _verify(req, key, scope_parts, amz_date, req.query, signed, payload, fields["Signature"])
    return Authentication(
        Principal(key.account_id, key.principal_arn, key.access_key_id),
        payload if _HEX64.fullmatch(payload) else None,
        payload,
        seed,
    )


def _authenticate_query(
    req: SignedRequest, params: Mapping[str, str], keys: KeyLookup, now: datetime
) -> Authentication:
    if params["X-Amz-Algorithm"] != ALGORITHM:
        if params["X-Amz-Algorithm"] == SIGV4A_ALGORITHM:
            from mrap.auth import sigv4a  # see _authenticate_header

            return sigv4a.authenticate_query(req, params, keys, now)
        raise errors.AuthorizationQueryParametersError(
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256" and "AWS4-ECDSA-P256-SHA256"'
        )
    missing = [
        p
        for p in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
        if p not in params
    ] + ([] if "X-Amz-Signature" in params else ["X-Amz-Signature"])
    if missing:
        raise errors.AuthorizationQueryParametersError(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters."
        )
    access_key_id, scope_parts = _parse_credential(
        params["X-Amz-Credential"], errors.AuthorizationQueryParametersError
    )
    try:
        when = parse_amz_date(params["X-Amz-Date"])
    except ValueError:
        raise errors.AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        ) from None
    try:
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        raise errors.AuthorizationQueryParametersError("X-Amz-Expires should be a number") from None
    if expires < 0:
        raise errors.AuthorizationQueryParametersError("X-Amz-Expires must be non-negative")
    if expires > MAX_EXPIRES_SECONDS:
        raise errors.AuthorizationQueryParametersError(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    key = _lookup(keys, access_key_id, req, now)
    elapsed = (now - when).total_seconds()
    if elapsed < -MAX_SKEW_SECONDS:
        raise errors.AccessDenied("Request is not valid yet")
    signed = params["X-Amz-SignedHeaders"].split(";")
    _check_unsigned_amz_headers(req.headers, signed)
    payload = _payload(req, required=False)
    query = [(k, v) for k, v in req.query if k != "X-Amz-Signature"]
    seed = _verify(
        req,
        key,
        scope_parts,
        params["X-Amz-Date"],
        query,
        signed,
        payload,
        params["X-Amz-Signature"],
    )
    if elapsed > expires:
        raise errors.AccessDenied(
            "Request has expired",
            **{"X-Amz-Expires": str(expires)},
            Expires=datetime.fromtimestamp(when.timestamp() + expires, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    return Authentication(
        Principal(key.account_id, key.principal_arn, key.access_key_id),
        payload if _HEX64.fullmatch(payload) else None,
        payload,
        seed,
    )


def _is_sigv2(authorization: str | None, query: Sequence[tuple[str, str]]) -> bool:
    """Signature Version 2 (`AWS key:signature`, or the `AWSAccessKeyId` query form)."""
    if authorization is not None:
        return authorization.startswith("AWS ")
    names = {name for name, _ in query}
    return {"AWSAccessKeyId", "Signature"} <= names


def authenticate(req: SignedRequest, keys: KeyLookup, now: datetime) -> Authentication:
    """Authenticate a request by its Authorization header or presigned query.

    Requests with neither are anonymous; authorization decides what they may do.
    """
    authorization = req.headers.get("authorization")
    params = {k: v for k, v in req.query if k.startswith("X-Amz-")}
    if _is_sigv2(authorization, req.query):
        raise errors.InvalidRequest(
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256."
        )
    if authorization is not None:
        if "X-Amz-Algorithm" in params:
            raise errors.InvalidArgument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        return _authenticate_header(req, authorization, keys, now)
    if "X-Amz-Algorithm" in params:
        return _authenticate_query(req, params, keys, now)
    return Authentication(ANONYMOUS, None, req.headers.get("x-amz-content-sha256"))
