"""STS operations by Query `Action` name, each with its declaration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mrap.api.sts import assume_role
from mrap.api.sts.caller import get_caller_identity
from mrap.api.sts.namespace import STS_NAMESPACE
from mrap.api.sts.session_token import get_session_token
from mrap.operation import Access, Endpoint, Handler, OpRequest, Route, Rule

if TYPE_CHECKING:
    from mrap.services import Services

__all__ = ["OPERATIONS", "STS_NAMESPACE"]


def _unchecked(name: str, handler: Handler, why: str) -> Route:
    """An operation that no policy controls (AWS says so): its parser binds the handler."""

    def parse(services: Services, req: OpRequest) -> Endpoint:
        return Endpoint(None, lambda: handler(services, req))

    return Route(name, Access(Rule.NONE, note=why), parse)


OPERATIONS: dict[str, Route] = {
    "AssumeRole": Route("AssumeRole", assume_role.ACCESS, assume_role.parse_assume_role),
    "GetCallerIdentity": _unchecked(
        "GetCallerIdentity",
        get_caller_identity,
        "AWS: no permission is required; a Deny of sts:GetCallerIdentity does not stop it",
    ),
    "GetSessionToken": _unchecked(
        "GetSessionToken",
        get_session_token,
        "AWS: no permission is required; policies do not control authentication operations",
    ),
}
