"""AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header and presigned-query forms, and the
entry point that tells the signing methods apart (SigV4A lives in `sigv4a`).

Knows nothing about HTTP libraries: it sees the method, the raw path and query as sent, and
the headers (`canonical`). It tells who signed and what the body's SHA-256 must be; the
caller checks the body as it streams. The rules every method shares are in `rules`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from mrap import errors
from mrap.auth.canonical import (
    SignedRequest,
    candidate_paths,
    canonical_request,
    string_to_sign,
)
from mrap.auth.chunked import Seed
from mrap.auth.keys import SigningKey
from mrap.auth.principal import ANONYMOUS, Principal
from mrap.auth.rules import (
    HEX64,
    Authentication,
    KeyLookup,
    authorization_fields,
    check_skew,
    check_unsigned_amz_headers,
    content_sha256,
    lookup_key,
    parse_credential,
    presigned_window,
    request_time,
)
from mrap.auth.scope import Scope

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256"


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived SigV4 key; cached because it changes once a day per key and region."""
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _verify(
    req: SignedRequest,
    key: SigningKey,
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


def _payload(req: SignedRequest, required: bool) -> str:
    """The payload hash the signature covers: the read body's, else the header's."""
    if req.body_sha256 is not None:
        return req.body_sha256
    return content_sha256(req.headers, required)


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
    access_key_id, scope_parts = parse_credential(
        fields["Credential"], errors.AuthorizationHeaderMalformed
    )
    amz_date, when = request_time(req.headers)
    if scope_parts[0] != amz_date[:8]:
        raise errors.AuthorizationHeaderMalformed(
            "The authorization header is malformed; Invalid credential date. Date is not the "
            "same as X-Amz-Date."
        )
    key = lookup_key(keys, access_key_id, req, now)
    check_skew(when, now)
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed:
        raise errors.AccessDenied("Host header is not signed")
    check_unsigned_amz_headers(req.headers, signed)
    payload = _payload(req, required=True)
    seed = _verify(req, key, scope_parts, amz_date, req.query, signed, payload, fields["Signature"])
    return Authentication(
        Principal(key.account_id, key.principal_arn, key.access_key_id),
        payload if HEX64.fullmatch(payload) else None,
        payload,
        seed,
        scope=Scope(scope_parts[1], scope_parts[2], presigned=False),
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
    access_key_id, scope_parts = parse_credential(
        params["X-Amz-Credential"], errors.AuthorizationQueryParametersError
    )
    window = presigned_window(params, scope_parts[0])
    key = lookup_key(keys, access_key_id, req, now)
    window.check_started(now)
    signed = params["X-Amz-SignedHeaders"].split(";")
    check_unsigned_amz_headers(req.headers, signed)
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
    window.check_unexpired(now)
    return Authentication(
        Principal(key.account_id, key.principal_arn, key.access_key_id),
        payload if HEX64.fullmatch(payload) else None,
        payload,
        seed,
        scope=Scope(scope_parts[1], scope_parts[2], presigned=True),
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
    if len(req.headers.getall("authorization", ())) > 1:
        # Which of two signatures would count is anyone's guess: refuse both.
        raise errors.InvalidArgument(
            "Only one Authorization header is allowed",
            ArgumentName="Authorization",
            ArgumentValue=authorization or "",
        )
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
