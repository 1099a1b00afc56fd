"""SigV4A (`AWS4-ECDSA-P256-SHA256`) authentication, header and presigned-query forms.

SigV4A is SigV4 with an ECDSA P-256 signature: the canonical request is built by sigv4's
helpers, under the same rules (raw path, skew, signed headers, payload modes, key lookup),
but the credential scope has no region; the regions a signature is good for travel in the
signed `X-Amz-Region-Set`. ECDSA signatures are randomized, so each one is verified with the
public key derived from the secret instead of being recomputed.

The region set is parsed here and handed on in `Authentication.region_set`; whoever knows
which region serves the request checks it with `region_set_allows`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase

from mrap import errors
from mrap.auth import canonical, ecdsa, rules
from mrap.auth.canonical import SignedRequest
from mrap.auth.chunked import Seed
from mrap.auth.keys import SigningKey
from mrap.auth.principal import Principal
from mrap.auth.scope import Scope

ALGORITHM = ecdsa.ALGORITHM
REGION_SET_HEADER = "x-amz-region-set"
REGION_SET_PARAM = "X-Amz-Region-Set"
# A region name, or a pattern in which `*` stands for any run of characters (`*`, `us-*`).
_REGION_MEMBER = re.compile(r"[a-z0-9*-]+")

RegionSet = tuple[str, ...]


def parse_region_set(value: str) -> RegionSet | None:
    """The members of a comma-separated region set, or None if it is malformed."""
    members = tuple(member.strip() for member in value.split(","))
    if all(_REGION_MEMBER.fullmatch(member) for member in members):
        return members
    return None


def region_set_allows(region_set: RegionSet, region: str) -> bool:
    """Whether a signature for `region_set` may be used in `region` (`*` matches any run)."""
    return any(fnmatchcase(region, member) for member in region_set)


def _parse_credential(value: str, malformed: type[errors.S3Error]) -> tuple[str, str, str]:
    """(access key id, date, service) of `<AKID>/<YYYYMMDD>/<service>/aws4_request`."""
    parts = value.split("/")
    if len(parts) != 4 or parts[3] != "aws4_request" or not parts[0]:
        raise malformed(
            "The authorization header is malformed; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request".'
        )
    return parts[0], parts[1], parts[2]


def _verify(
    req: SignedRequest,
    key: SigningKey,
    amz_date: str,
    scope: str,
    query: Sequence[tuple[str, str]],
    signed: Sequence[str],
    payload: str,
    signature: str,
) -> Seed:
    public_key = ecdsa.public_key(key.access_key_id, key.secret)
    for path in canonical.candidate_paths(req.raw_path):
        creq = canonical.canonical_request(req, path, query, signed, payload)
        sts = canonical.string_to_sign(ALGORITHM, amz_date, scope, creq)
        if ecdsa.signature_valid(public_key, sts, signature):
            return Seed(ALGORITHM, b"", amz_date, scope, signature, public_key)
    raise errors.SignatureDoesNotMatch(
        AWSAccessKeyId=key.access_key_id, StringToSign=sts, CanonicalRequest=creq
    )


def _result(
    key: SigningKey, payload: str, seed: Seed, region_set: RegionSet, scope: Scope
) -> rules.Authentication:
    return rules.Authentication(
        Principal(key.account_id, key.principal_arn, key.access_key_id),
        payload if rules.HEX64.fullmatch(payload) else None,
        payload,
        seed,
        region_set,
        scope,
    )


def authenticate_header(
    req: SignedRequest, fields_text: str, keys: rules.KeyLookup, now: datetime
) -> rules.Authentication:
    """Authenticate `Authorization: AWS4-ECDSA-P256-SHA256 <fields_text>`."""
    fields = rules.authorization_fields(fields_text)
    access_key_id, date, service = _parse_credential(
        fields["Credential"], errors.AuthorizationHeaderMalformed
    )
    amz_date, when = rules.request_time(req.headers)
    if date != amz_date[:8]:
        raise errors.AuthorizationHeaderMalformed(
            "The authorization header is malformed; Invalid credential date. Date is not the "
            "same as X-Amz-Date."
        )
    values = req.headers.getall(REGION_SET_HEADER, [])
    region_set = parse_region_set(",".join(values)) if values else None
    if region_set is None:
        raise errors.AuthorizationHeaderMalformed(
            "The authorization header is malformed; SigV4a requires a valid X-Amz-Region-Set "
            "header: a comma-separated list of regions."
        )
    key = rules.lookup_key(keys, access_key_id, req, now)
    rules.check_skew(when, now)
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed:
        raise errors.AccessDenied("Host header is not signed")
    rules.check_unsigned_amz_headers(req.headers, signed)
    payload = rules.content_sha256(req.headers, required=True)
    scope = f"{date}/{service}/aws4_request"
    seed = _verify(req, key, amz_date, scope, req.query, signed, payload, fields["Signature"])
    return _result(key, payload, seed, region_set, Scope("", service, presigned=False))


def authenticate_query(
    req: SignedRequest, params: Mapping[str, str], keys: rules.KeyLookup, now: datetime
) -> rules.Authentication:
    """Authenticate a presigned URL with `X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256`."""
    required = (
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    )
    if any(name not in params for name in required):
        raise errors.AuthorizationQueryParametersError(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters."
        )
    access_key_id, date, service = _parse_credential(
        params["X-Amz-Credential"], errors.AuthorizationQueryParametersError
    )
    window = rules.presigned_window(params, date)
    region_set = parse_region_set(params.get(REGION_SET_PARAM, ""))
    if region_set is None:
        raise errors.AuthorizationQueryParametersError(
            "Query-string authentication with SigV4a requires a valid X-Amz-Region-Set "
            "parameter: a comma-separated list of regions."
        )
    key = rules.lookup_key(keys, access_key_id, req, now)
    window.check_started(now)
    signed = params["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed:
        raise errors.AccessDenied("Host header is not signed")
    rules.check_unsigned_amz_headers(req.headers, signed)
    payload = rules.content_sha256(req.headers, required=False)
    query = [(k, v) for k, v in req.query if k != "X-Amz-Signature"]
    scope = f"{date}/{service}/aws4_request"
    amz_date = params["X-Amz-Date"]
    seed = _verify(req, key, amz_date, scope, query, signed, payload, params["X-Amz-Signature"])
    window.check_unexpired(now)
    return _result(key, payload, seed, region_set, Scope("", service, presigned=True))
