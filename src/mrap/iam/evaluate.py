"""The decision: may this principal perform this action on this resource?

AWS's logic, as the IAM User Guide and the S3 User Guide describe it:
1. An explicit Deny in any applicable policy wins. (Exception: the root user of the account
   that owns a bucket can always Get/Put/DeleteBucketPolicy, so nobody locks themselves out.)
2. Same account: an Allow in the identity policies or in the resource policy suffices. A
   resource policy grant to the *account* (`"AWS": "ACCT"` or `…:root`) is a delegation to the
   account, whose identity policies still decide for its users and roles; a grant that names
   the caller (its user ARN, its role, its session, or `"*"`) suffices on its own.
3. Cross account: the caller's identity policies and the resource policy must both allow.
4. Anonymous callers (and service principals) have no identity policies: only the resource
   policy can allow them.
5. The root user has every identity permission implicitly: only explicit denies bound it.

With an access point (or Multi-Region Access Point) in the path, three policies apply: the
identity policies (against the access point ARN), the access point policy, and the bucket
policy (against the bucket ARN); a Deny in any of them wins. AWS's current MRAP permissions
page: "For a cross-account request to succeed, the following policies must permit the
operation: the Multi-Region Access Point policy, the underlying IAM policy, the underlying
bucket policy. For same account requests, only the underlying IAM policy, which grants the
appropriate access, is required." Same account means the caller's account owns both the
access point and the bucket; there, as for a direct request, the access point and bucket
policies may instead grant the caller by name together.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from mrap.iam.context import PrincipalType, RequestContext
from mrap.iam.document import PolicyDocument, Statement
from mrap.iam.principals import MatchKind
from mrap.iam.variables import Lookup

ROOT_LOCKOUT_EXEMPT = frozenset(
    {"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"}
)
"""Actions the bucket owner's root may always perform, whatever the bucket policy says."""


class PolicyType(StrEnum):
    """Which kind of policy a statement came from."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    ACCESS_POINT = "access-point"


class DecidedBy(StrEnum):
    """What settled the decision."""

    IDENTITY = "identity"  # an identity policy allowed (same account)
    RESOURCE = "resource"  # the resource policy allowed (same account, anonymous, service)
    IDENTITY_AND_RESOURCE = "identity+resource"  # both allowed (cross account, access points)
    ACCOUNT_ROOT = "account-root"  # the root user, with nothing denying it
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


class MatchedStatement(NamedTuple):
    """A statement that applied to the request."""

    policy_type: PolicyType
    policy_index: int  # position in the identity policy list (0 for resource policies)
    statement_index: int
    sid: str | None
    effect: str


class Decision(NamedTuple):
    """The outcome, with the statements that decided it. True in a boolean context if allowed."""

    allowed: bool
    decided_by: DecidedBy
    statements: tuple[MatchedStatement, ...] = ()
    denied_in: PolicyType | None = None  # for a denial: the policy type the message names

    def __bool__(self) -> bool:
        return self.allowed


_DIRECT, _NONE = MatchKind.DIRECT, MatchKind.NONE
Hit = tuple[int, Statement, MatchKind]  # (policy index, statement, how the principal matched)


# Enum members bound once: attribute access on an Enum class costs more than the lookups here.
_ID, _RES, _APT = PolicyType.IDENTITY, PolicyType.RESOURCE, PolicyType.ACCESS_POINT
_BY_ID, _BY_RES, _BY_BOTH = DecidedBy.IDENTITY, DecidedBy.RESOURCE, DecidedBy.IDENTITY_AND_RESOURCE
_BY_ROOT, _EXPLICIT, _IMPLICIT = (
    DecidedBy.ACCOUNT_ROOT,
    DecidedBy.EXPLICIT_DENY,
    DecidedBy.IMPLICIT_DENY,
)
_new = tuple.__new__  # NamedTuple construction without the Python-level __new__


def _allow(by: DecidedBy, statements: tuple[MatchedStatement, ...]) -> Decision:
    return _new(Decision, (True, by, statements, None))


# Implicit denials carry no statements, so the three possible ones are shared.
_NO_IDENTITY_ALLOW = Decision(False, DecidedBy.IMPLICIT_DENY, (), PolicyType.IDENTITY)
_NO_RESOURCE_ALLOW = Decision(False, DecidedBy.IMPLICIT_DENY, (), PolicyType.RESOURCE)
_NO_ACCESS_POINT_ALLOW = Decision(False, DecidedBy.IMPLICIT_DENY, (), PolicyType.ACCESS_POINT)


def _scan(
    policy: PolicyDocument,
    pindex: int,
    ctx: RequestContext,
    lookup: Lookup,
    deny: list[Hit],
    allow: list[Hit],
) -> None:
    """Append the statements of `policy` that apply to the request (the hot loop)."""
    resource = ctx.resource
    for st, kind in policy.applicable(ctx.action_key, ctx.principal):
        resources = st.resources
        if resources is not None and resources.matches(resource, lookup) is st.not_resource:
            continue
        held = True
        for c in st.conditions:
            if not c.holds(lookup):
                held = False
                break
        if held:
            (allow if st.allow else deny).append((pindex, st, kind))


def _matched(ptype: PolicyType, hits: list[Hit]) -> tuple[MatchedStatement, ...]:
    return tuple(
        [_new(MatchedStatement, (ptype, i, st.index, st.sid, st.effect)) for i, st, _ in hits]
    )


def _direct(hits: list[Hit]) -> list[Hit]:
    """The allows that name the caller itself (not merely its account)."""
    return [h for h in hits if h[2] is _DIRECT]


def evaluate(
    ctx: RequestContext,
    identity_policies: Sequence[PolicyDocument] = (),
    resource_policy: PolicyDocument | None = None,
    *,
    access_point_policy: PolicyDocument | None = None,
    access_point_arn: str = "",
    access_point_account: str = "",
) -> Decision:
    """Decide `ctx` against the caller's identity policies and the resource policy.

    For a request through an access point, pass its policy, its ARN (the resource as named
    through the access point, e.g. `…:accesspoint/ap/object/key`) and its owner; `ctx` then
    names the bucket resource and its owner. When the caller's account owns both, its identity
    policies suffice; otherwise all three policies must allow.
    """
    caller = ctx.principal
    kind = caller.type
    has_identity = kind is not _ANONYMOUS and kind is not _SERVICE
    is_root = kind is _ROOT
    via_ap = bool(access_point_arn)
    id_ctx = ctx.with_resource(access_point_arn, access_point_account) if via_ap else ctx
    lookup = ctx.lookup
    id_deny: list[Hit] = []
    id_allow: list[Hit] = []
    res_deny: list[Hit] = []
    res_allow: list[Hit] = []
    ap_deny: list[Hit] = []
    ap_allow: list[Hit] = []
    if has_identity:
        for i, policy in enumerate(identity_policies):
            _scan(policy, i, id_ctx, id_ctx.lookup, id_deny, id_allow)
    if resource_policy is not None:
        _scan(resource_policy, 0, ctx, lookup, res_deny, res_allow)
    if via_ap and access_point_policy is not None:
        _scan(access_point_policy, 0, id_ctx, id_ctx.lookup, ap_deny, ap_allow)
    account = caller.account
    same_account = bool(account) and account == ctx.resource_account
    if res_deny and is_root and same_account and ctx.action_key in ROOT_LOCKOUT_EXEMPT:
        res_deny = []  # the owner's root is never locked out of its bucket policy
    if id_deny or ap_deny or res_deny:
        denied_in = _ID if id_deny else _APT if ap_deny else _RES
        every = _matched(_ID, id_deny) + _matched(_APT, ap_deny) + _matched(_RES, res_deny)
        return _new(Decision, (False, _EXPLICIT, every, denied_in))

    if via_ap:
        if has_identity and account == access_point_account == ctx.resource_account:
            return _same_account_via_access_point(is_root, id_allow, ap_allow, res_allow)
        if has_identity and not (is_root or id_allow):
            return _NO_IDENTITY_ALLOW
        ap_ok = ap_allow if has_identity else _direct(ap_allow)
        if not ap_ok:
            return _NO_ACCESS_POINT_ALLOW
        res_ok = res_allow if has_identity else _direct(res_allow)
        if not res_ok:
            return _NO_RESOURCE_ALLOW
        every = _matched(_ID, id_allow) + _matched(_APT, ap_ok) + _matched(_RES, res_ok)
        return _allow(_BY_BOTH, every)
    if not has_identity:
        if res_direct := _direct(res_allow):
            return _allow(_BY_RES, _matched(_RES, res_direct))
        return _NO_RESOURCE_ALLOW
    if same_account:
        if is_root:
            return _allow(_BY_ROOT, _matched(_RES, res_allow))
        if id_allow:
            return _allow(_BY_ID, _matched(_ID, id_allow))
        if res_direct := _direct(res_allow):
            return _allow(_BY_RES, _matched(_RES, res_direct))
        return _NO_IDENTITY_ALLOW
    if not (is_root or id_allow):
        return _NO_IDENTITY_ALLOW
    if not res_allow:
        return _NO_RESOURCE_ALLOW
    every = _matched(_ID, id_allow) + _matched(_RES, res_allow)
    return _allow(_BY_BOTH, every)


_ANONYMOUS, _SERVICE, _ROOT = PrincipalType.ANONYMOUS, PrincipalType.SERVICE, PrincipalType.ACCOUNT


def _same_account_via_access_point(
    is_root: bool, id_allow: list[Hit], ap_allow: list[Hit], res_allow: list[Hit]
) -> Decision:
    """A request through an access point whose account owns the access point and the bucket,
    with no Deny anywhere: the identity policies suffice (the root has them implicitly)."""
    if is_root:
        return _allow(_BY_ROOT, _matched(_APT, ap_allow) + _matched(_RES, res_allow))
    if id_allow:
        return _allow(_BY_ID, _matched(_ID, id_allow))
    ap_direct, res_direct = _direct(ap_allow), _direct(res_allow)
    if ap_direct and res_direct:
        return _allow(_BY_RES, _matched(_APT, ap_direct) + _matched(_RES, res_direct))
    return _NO_IDENTITY_ALLOW


_POLICY_PHRASE = {
    PolicyType.IDENTITY: ("an", "identity-based"),
    PolicyType.RESOURCE: ("a", "resource-based"),
    PolicyType.ACCESS_POINT: ("a", "Multi-Region Access Point"),  # the only access points
}


def access_denied_message(
    ctx: RequestContext, decision: Decision, *, enhanced: bool | None = None
) -> str:
    """The AccessDenied message S3 sends for a denied request.

    AWS adds the "User: … is not authorized …" context only for requests from within the
    resource owner's account (`enhanced` None means: decide that way); other callers, and
    anonymous ones, get the plain "Access Denied".
    """
    if enhanced is None:
        enhanced = ctx.same_account
    if not enhanced or decision.allowed or not ctx.principal.arn:
        return "Access Denied"
    article, kind = _POLICY_PHRASE[decision.denied_in or PolicyType.IDENTITY]
    head = (
        f"User: {ctx.principal.arn} is not authorized to perform: {ctx.action} "
        f'on resource: "{ctx.resource}"'
    )
    if decision.decided_by is DecidedBy.EXPLICIT_DENY:
        return f"{head} with an explicit deny in {article} {kind} policy"
    return f"{head} because no {kind} policy allows the {ctx.action} action"
