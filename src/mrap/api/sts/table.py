"""STS operations by Query `Action` name."""

from __future__ import annotations

from mrap.api.sts.assume_role import assume_role
from mrap.api.sts.caller import get_caller_identity
from mrap.api.sts.namespace import STS_NAMESPACE
from mrap.api.sts.session_token import get_session_token
from mrap.operation import Route

__all__ = ["OPERATIONS", "STS_NAMESPACE"]

OPERATIONS: dict[str, Route] = {
    "AssumeRole": Route("AssumeRole", assume_role, "sts:AssumeRole"),
    "GetCallerIdentity": Route("GetCallerIdentity", get_caller_identity, "sts:GetCallerIdentity"),
    "GetSessionToken": Route("GetSessionToken", get_session_token, "sts:GetSessionToken"),
}
