"""AssumeRole: session credentials for a role, if its trust policy lets the caller in
(decided by `mrap.authz.trust` in the pipeline's authorization stage)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mrap import errors
from mrap.api.sts import validation
from mrap.api.sts.caller import caller_identity, signing_key
from mrap.api.sts.credentials import credentials_element, issue
from mrap.api.sts.namespace import STS_NAMESPACE
from mrap.authz.trust import authorize_trust, role_denied
from mrap.operation import (
    Access,
    Endpoint,
    OpRequest,
    OpResponse,
    Resource,
    Rule,
    XmlChildren,
    query_response,
)
from mrap.store.identities import RoleRecord

if TYPE_CHECKING:
    from mrap.services import Services

DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600
"""Sessions assumed with temporary credentials (role chaining) last at most one hour."""
_ACCOUNT = re.compile(r"\d{12}")
_UNSUPPORTED = ("Policy", "PolicyArns", "Tags", "TransitiveTagKeys", "SerialNumber", "TokenCode",
                "ProvidedContexts")  # fmt: skip


ACCESS = Access(
    Rule.TRUST,
    ("sts:AssumeRole",),
    note="sts:SetSourceIdentity too when the request sets the chain's source identity",
)
"""AssumeRole's declaration: decided on the role's trust policy once the role is found."""


def parse_assume_role(services: Services, req: OpRequest) -> Endpoint:
    """Check the parameters and the caller, find the role, and bind the trust decision and
    the issue of credentials for a session of the role `RoleArn` named `RoleSessionName`."""
    check = validation.Validator(req.params)
    role_arn = check.string("RoleArn", validation.ARN, required=True)
    session = check.string("RoleSessionName", validation.ROLE_SESSION_NAME, required=True)
    check.string("Policy", validation.SESSION_POLICY)
    duration = check.integer("DurationSeconds", validation.ROLE_DURATION)
    external_id = check.string("ExternalId", validation.EXTERNAL_ID)
    source_identity = check.string("SourceIdentity", validation.SOURCE_IDENTITY)
    check.check()
    assert role_arn is not None and session is not None  # required, checked above
    if not _is_arn(role_arn):
        raise errors.ValidationError(f"{role_arn} is invalid")
    _refuse_unsupported(req)
    identity = caller_identity(services, req)
    caller = identity.caller
    if caller.is_root:
        raise errors.AccessDenied("Roles may not be assumed by root accounts.")
    caller_key = signing_key(services, req)
    actions = ACCESS.actions
    if caller_key.source_identity is not None:
        # A source identity, once set, stays with every session chained from it.
        if source_identity not in (None, caller_key.source_identity):
            raise errors.AccessDenied(
                "The source identity of a role chain cannot be changed: "
                f"it is {caller_key.source_identity}."
            )
        source_identity = caller_key.source_identity
    elif source_identity is not None:
        actions += ("sts:SetSourceIdentity",)
    keys = _context_keys(req, session, external_id, source_identity)
    role = _role(services, role_arn)
    if role is None:
        # A role that does not exist is refused exactly like one that does not trust the
        # caller, so that AssumeRole cannot be used to discover roles.
        raise role_denied(caller, "sts:AssumeRole", role_arn)

    def decide() -> None:
        authorize_trust(
            caller, actions, role.arn, role.account_id, role.trust_policy, keys, identity.policies
        )

    async def invoke() -> OpResponse:
        seconds = _duration(duration, role, chained=caller_key.temporary)
        return _issue(services, req, role, session, seconds, source_identity)

    return Endpoint(Resource(role.arn, role.account_id), invoke, decide)


def _issue(
    services: Services,
    req: OpRequest,
    role: RoleRecord,
    session: str,
    seconds: int,
    source_identity: str | None,
) -> OpResponse:
    """Credentials for a session of the role."""
    arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session}"
    issued = issue(
        services.control, role.account_id, arn, seconds, datetime.now(UTC), source_identity
    )
    result: XmlChildren = [
        ("Credentials", credentials_element(issued)),
        ("AssumedRoleUser", [("AssumedRoleId", f"{role.role_id}:{session}"), ("Arn", arn)]),
        ("SourceIdentity", source_identity),
    ]
    return query_response(STS_NAMESPACE, "AssumeRole", result, req.request_id)


def _is_arn(value: str) -> bool:
    """`arn:partition:service:region:account:resource` with partition, service, resource."""
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and all(parts[i] for i in (1, 2, 5))


def _refuse_unsupported(req: OpRequest) -> None:
    """Session policies, session tags and MFA would change what a session may do: rather than
    ignore them (and grant more than the caller asked for), refuse the request."""
    named = [p for p in _UNSUPPORTED if any(k == p or k.startswith(p + ".") for k in req.params)]
    if named:
        raise errors.S3NotImplemented(
            f"AssumeRole parameters not supported by this server: {', '.join(named)}."
        )


def _context_keys(
    req: OpRequest, session: str, external_id: str | None, source_identity: str | None
) -> dict[str, str | tuple[str, ...]]:
    """The condition keys STS supplies when it evaluates a trust policy."""
    now = datetime.now(UTC)
    keys: dict[str, str | tuple[str, ...]] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if req.secure else "false",
        "sts:RoleSessionName": session,
    }
    if req.source_ip:
        keys["aws:SourceIp"] = req.source_ip
    user_agent = req.headers.get("user-agent")
    if user_agent is not None:
        keys["aws:UserAgent"] = user_agent
    if external_id is not None:
        keys["sts:ExternalId"] = external_id
    if source_identity is not None:
        keys["sts:SourceIdentity"] = source_identity
        keys["aws:SourceIdentity"] = source_identity
    return keys


def _role(services: Services, role_arn: str) -> RoleRecord | None:
    """The role the ARN names exactly (path included), or None."""
    parts = role_arn.split(":", 5)
    account, resource = parts[4], parts[5]
    if parts[1:4] != ["aws", "iam", ""] or not _ACCOUNT.fullmatch(account):
        return None
    if not resource.startswith("role/"):
        return None
    role = services.identities.get_role(account, resource.rsplit("/", 1)[1])
    return role if role is not None and role.arn == role_arn else None


def _duration(requested: int | None, role: RoleRecord, *, chained: bool) -> int:
    """The session's length: as asked, within the role's maximum and the chaining limit."""
    if chained:
        if requested is not None and requested > CHAINED_MAX_DURATION:
            raise errors.ValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining."
            )
        return requested or min(DEFAULT_DURATION, CHAINED_MAX_DURATION)
    if requested is not None and requested > role.max_session_duration:
        raise errors.ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return requested or DEFAULT_DURATION
