"""GetSessionToken: temporary credentials that act as the long-term credentials' owner."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mrap import errors
from mrap.api.sts import validation
from mrap.api.sts.caller import caller_identity, signing_key
from mrap.api.sts.credentials import credentials_element, issue
from mrap.api.sts.namespace import STS_NAMESPACE
from mrap.operation import OpRequest, OpResponse, query_response

if TYPE_CHECKING:
    from mrap.services import Services

DEFAULT_DURATION = 43200
ROOT_MAX_DURATION = 3600
"""AWS caps the root user's sessions at one hour, silently shortening longer requests."""


async def get_session_token(services: Services, req: OpRequest) -> OpResponse:
    """Issue session credentials for the caller's own principal (root or IAM user)."""
    check = validation.Validator(req.params)
    duration = check.integer("DurationSeconds", validation.SESSION_DURATION)
    check.check()
    if "SerialNumber" in req.params or "TokenCode" in req.params:
        raise errors.S3NotImplemented("MFA devices (SerialNumber, TokenCode) are not supported.")
    if signing_key(services, req).temporary:
        raise errors.AccessDenied("Cannot call GetSessionToken with session credentials")
    caller = caller_identity(services, req).caller
    seconds = DEFAULT_DURATION if duration is None else duration
    if caller.is_root:
        seconds = min(seconds, ROOT_MAX_DURATION)
    issued = issue(services.control, caller.account, caller.arn, seconds, datetime.now(UTC))
    result = [("Credentials", credentials_element(issued))]
    return query_response(STS_NAMESPACE, "GetSessionToken", result, req.request_id)
