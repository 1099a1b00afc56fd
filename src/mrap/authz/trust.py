"""May the caller assume a role: the role's trust policy with the caller's identity policies.

The trust policy is the role's resource policy, and it must always allow the caller: within
the role's account, a trust statement naming the caller suffices, and one naming the account
delegates to the caller's identity policies; across accounts both must allow.
"""

from __future__ import annotations

from collections.abc import Mapping

from mrap import errors
from mrap.iam import Caller, PolicyDocument, PolicyKind, RequestContext, cached_policy, evaluate


def role_denied(caller: Caller, action: str, role_arn: str) -> errors.S3Error:
    """STS's AccessDenied for `action` on a role (the same whether or not the role exists)."""
    return errors.AccessDenied(
        f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}"
    )


def authorize_trust(
    caller: Caller,
    actions: tuple[str, ...],
    role_arn: str,
    role_account: str,
    trust_policy: str,
    keys: Mapping[str, str | tuple[str, ...]],
    policies: tuple[PolicyDocument, ...],
) -> None:
    """Raise AccessDenied unless the caller may perform each of `actions` on the role.

    The engine settles explicit denies, delegation to the account and the cross-account rule.
    One rule is the role's own: the trust policy must allow the caller in every case. Within
    an account an identity policy would otherwise suffice on its own, as for other resources;
    for a role it never does.
    """
    trust = cached_policy(trust_policy, PolicyKind.TRUST)
    for action in actions:
        ctx = RequestContext(caller, action, role_arn, role_account, dict(keys))
        lookup = ctx.lookup
        trusted = any(
            st.allow and st.matches_resource(role_arn, lookup) and st.conditions_hold(lookup)
            for st, _ in trust.applicable(ctx.action_key, caller)
        )
        if not (trusted and evaluate(ctx, policies, trust)):
            raise role_denied(caller, action, role_arn)
