"""Who may call an IAM operation: the account root always; users and roles by their policies."""

from __future__ import annotations

from mrap import errors
from mrap.iam import DecidedBy, RequestContext, evaluate
from mrap.operation import OpRequest


def authorize(req: OpRequest, resource: str) -> None:
    """Refuse the request unless the caller's identity policies allow `req.action` on `resource`.

    IAM resources always belong to the caller's account, so only identity policies decide
    (the edge has looked them up: `req.caller`, `req.policies`); the root user is bounded by
    nothing here. AccessDenied carries IAM's message.
    """
    caller = req.caller
    if caller.is_root:
        return
    ctx = RequestContext(caller, req.action, resource, req.principal.account_id)
    decision = evaluate(ctx, req.policies)
    if not decision:
        head = (
            f"User: {caller.arn} is not authorized to perform: {req.action} on resource: {resource}"
        )
        if decision.decided_by is DecidedBy.EXPLICIT_DENY:
            raise errors.AccessDenied(f"{head} with an explicit deny in an identity-based policy")
        raise errors.AccessDenied(
            f"{head} because no identity-based policy allows the {req.action} action"
        )


def account_resource(req: OpRequest, kind: str, path: str = "/", name: str = "") -> str:
    """The ARN IAM authorizes an operation on: `arn:aws:iam::ACCT:{kind}{path}{name}`."""
    return f"arn:aws:iam::{req.principal.account_id}:{kind}{path}{name}"
