"""What every signed request must satisfy, whatever the algorithm (SigV4 or SigV4A): its
time and skew, its key and session token, its signed headers and payload hash, and the
result of authentication."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.auth.canonical import SignedRequest
from mrap.auth.chunked import Seed, streaming_mode
from mrap.auth.keys import SigningKey
from mrap.auth.principal import Principal
from mrap.auth.scope import Scope

MAX_SKEW_SECONDS = 15 * 60
MAX_EXPIRES_SECONDS = 604800
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
HEX64 = re.compile(r"[0-9a-f]{64}")
AMZ_DATE = "%Y%m%dT%H%M%SZ"
SECURITY_TOKEN_HEADER = "x-amz-security-token"
SECURITY_TOKEN_PARAM = "X-Amz-Security-Token"
CREDENTIAL_DATE_MISMATCH = (
    "Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the "
    "same as X-Amz-Date."
)

KeyLookup = Callable[[str], SigningKey | None]


@dataclass(frozen=True)
class Authentication:
    """Who signed, and the SHA-256 the body must have (None: not signed)."""

    principal: Principal
    payload_sha256: str | None
    content_sha256: str | None  # the x-amz-content-sha256 value as sent
    seed: Seed | None = None  # what signed aws-chunked bodies chain their signatures on
    region_set: tuple[str, ...] | None = None  # SigV4A: the regions signed for
    scope: Scope | None = None  # what the credential scope names (None: anonymous)


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


def request_time(headers: CIMultiDictProxy[str]) -> tuple[str, datetime]:
    """The request's time, as signed (`x-amz-date`, else `Date`) and parsed."""
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
                return when.strftime(AMZ_DATE), when
    raise errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header")


def check_skew(when: datetime, now: datetime) -> None:
    """RequestTimeTooSkewed beyond 15 minutes either way."""
    if abs((now - when).total_seconds()) > MAX_SKEW_SECONDS:
        raise errors.RequestTimeTooSkewed(
            RequestTime=when.strftime(AMZ_DATE),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
        )


@dataclass(frozen=True)
class PresignedWindow:
    """When a presigned URL (SigV4 or SigV4A) was signed, and for how many seconds it holds."""

    signed_at: datetime
    expires: int

    def check_started(self, now: datetime) -> None:
        """AccessDenied for a URL signed more than the allowed skew in the future."""
        if (now - self.signed_at).total_seconds() < -MAX_SKEW_SECONDS:
            raise errors.AccessDenied("Request is not valid yet")

    def check_unexpired(self, now: datetime) -> None:
        """AccessDenied once the URL's lifetime is over (checked after its signature)."""
        if (now - self.signed_at).total_seconds() > self.expires:
            end = datetime.fromtimestamp(self.signed_at.timestamp() + self.expires, UTC)
            raise errors.AccessDenied(
                "Request has expired",
                **{"X-Amz-Expires": str(self.expires)},
                Expires=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )


def presigned_window(params: Mapping[str, str], scope_date: str) -> PresignedWindow:
    """X-Amz-Date and X-Amz-Expires of a presigned URL, checked as S3 checks them: the date
    in ISO 8601 basic form and the credential scope's own, the lifetime a week at most."""
    amz_date = params["X-Amz-Date"]
    try:
        signed_at = parse_amz_date(amz_date)
    except ValueError:
        raise errors.AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        ) from None
    if scope_date != amz_date[:8]:
        raise errors.AuthorizationQueryParametersError(CREDENTIAL_DATE_MISMATCH)
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
    return PresignedWindow(signed_at, expires)


def security_token(req: SignedRequest) -> str | None:
    """The session token sent with the request: the header, or a presigned URL's parameter."""
    token = req.headers.get(SECURITY_TOKEN_HEADER)
    if token is None:
        for name, value in req.query:
            if name == SECURITY_TOKEN_PARAM:
                return value
    return token


def lookup_key(
    keys: KeyLookup, access_key_id: str, req: SignedRequest, now: datetime
) -> SigningKey:
    """The signer's key, with its session token checked (every signing method goes here).

    Temporary (STS) keys require their token, compared in constant time, and expire; AWS
    answers a session key sent without its token as an unknown key, and refuses a token sent
    with a long-term key.
    """
    key = keys(access_key_id)
    if key is None or not key.active:
        raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key_id)
    token = security_token(req)
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


def check_unsigned_amz_headers(headers: CIMultiDictProxy[str], signed: Sequence[str]) -> None:
    """AccessDenied when an `x-amz-*` header was sent but not signed."""
    names = {n.lower() for n in headers}
    unsigned = sorted(n for n in names if n.startswith("x-amz-") and n not in signed)
    if unsigned:
        raise errors.AccessDenied(
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


def parse_credential(value: str, malformed: type[errors.S3Error]) -> tuple[str, list[str]]:
    """(access key id, [date, region, service]) of a SigV4 credential; `malformed` if not."""
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise malformed(
            "The authorization header is malformed; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
    return parts[0], parts[1:4]


def content_sha256(headers: CIMultiDictProxy[str], required: bool) -> str:
    """The `x-amz-content-sha256` value, checked (UNSIGNED-PAYLOAD when absent and optional)."""
    value = headers.get("x-amz-content-sha256")
    if value is None:
        if required:
            raise errors.InvalidRequest(
                "Missing required header for this request: x-amz-content-sha256"
            )
        return UNSIGNED_PAYLOAD
    if value == UNSIGNED_PAYLOAD or HEX64.fullmatch(value) or streaming_mode(value):
        return value
    raise errors.InvalidArgument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=value,
    )


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
