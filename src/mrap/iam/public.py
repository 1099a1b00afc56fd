"""S3's definition of a "public" policy or ACL (the S3 User Guide, "The meaning of public").

S3 presumes a policy public and looks for reasons it is not. A policy is non-public only if
every Allow statement is limited to fixed values (no `*`, no `?`, no policy variable) of:
- specific principals (accounts, users, roles, sessions, service principals, canonical users);
- or, by a condition, one of: `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`,
  `aws:SourceOwner`, `aws:SourceAccount`, `s3:x-amz-server-side-encryption-aws-kms-key-id`,
  `aws:userid` (outside the pattern `AROLEID:*`), `s3:DataAccessPointAccount`,
  `s3:DataAccessPointArn`, and the principal / organization keys newer AWS pages add
  (`aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`,
  `aws:SourceOrgID`, `aws:SourceOrgPaths`);
- or `aws:SourceIp` limited to CIDRs no wider than /8 (IPv4) or /32 (IPv6), RFC 1918 ranges
  excepted.
In a *bucket* policy, `s3:DataAccessPointArn` may wildcard the access point name if the account
is fixed (`arn:aws:s3:us-west-2:123456789012:accesspoint/*`); in an *access point* policy that
grant is public. Deny statements never make a policy public; one public Allow statement makes
the whole policy public. A federated principal (web identity) is public.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from mrap.iam.conditions import Condition
from mrap.iam.context import Caller, PrincipalType
from mrap.iam.document import PolicyDocument, Statement
from mrap.iam.grammar import PolicyKind
from mrap.iam.wildcard import has_wildcard

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_ACL_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})

FIXED_VALUE_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)
"""Condition keys that, limited to fixed values, make an Allow statement non-public."""

_RESTRICTING_FAMILIES = frozenset({"string", "string_ic", "like", "arn"})
_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# An access point ARN whose only wildcard is in the access point name.
_AP_ARN = re.compile(r"^arn:aws[\w-]*:s3:[a-z0-9-]*:\d{12}:accesspoint/[^:]*$")


def is_public_cidr(text: str) -> bool:
    """True when an `aws:SourceIp` value is too wide to count as a restriction."""
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return True
    if isinstance(net, ipaddress.IPv4Network):
        if any(net.subnet_of(private) for private in _PRIVATE_V4):
            return False
        return net.prefixlen < 8
    return net.prefixlen < 32


def _fixed(text: str) -> bool:
    return not has_wildcard(text) and "${" not in text


def _access_point_arn_ok(text: str, access_point_policy: bool) -> bool:
    if _fixed(text):
        return True
    if access_point_policy or "${" in text:
        return False
    # Partition, region and account must be literal; only the access point name may vary.
    return bool(_AP_ARN.match(text))


def _restricts(cond: Condition, access_point_policy: bool) -> bool:
    """True when the condition limits the statement to a fixed, non-public audience."""
    if cond.negated or cond.if_exists or cond.qualifier == "ForAllValues":
        return False  # these hold when the key is absent or differs: no restriction
    values = [t.source for t in cond.templates]
    if not values:
        return False
    if cond.key == "aws:sourceip":
        return cond.family == "ip" and not any(is_public_cidr(v) for v in values)
    if cond.key not in FIXED_VALUE_KEYS or cond.family not in _RESTRICTING_FAMILIES:
        return False
    if cond.key == "s3:dataaccesspointarn":
        return all(_access_point_arn_ok(v, access_point_policy) for v in values)
    return all(_fixed(v) for v in values)


def _public_principal(st: Statement) -> bool:
    p = st.principal
    if p is None:
        return False  # identity policies: the principal is the identity it is attached to
    if st.not_principal or p.everyone:
        return True
    return any(kind == "Federated" for kind, _ in p.entries)


def public_statements(
    policy: PolicyDocument, *, access_point: bool | None = None
) -> tuple[int, ...]:
    """Indexes of the statements that make `policy` public.

    `access_point` selects the access point rules; by default it follows the policy's kind.
    """
    ap = policy.kind is PolicyKind.ACCESS_POINT if access_point is None else access_point
    return tuple(
        st.index
        for st in policy.statements
        if st.allow and _public_principal(st) and not any(_restricts(c, ap) for c in st.conditions)
    )


def is_public_policy(policy: PolicyDocument, *, access_point: bool | None = None) -> bool:
    """True when S3 considers the bucket or access point policy public."""
    return bool(public_statements(policy, access_point=access_point))


def is_public_acl(grantee_uris: Iterable[str]) -> bool:
    """True when an ACL grants anything to AllUsers or AuthenticatedUsers."""
    return any(uri in PUBLIC_ACL_GROUPS for uri in grantee_uris)


def restrict_public_buckets_allows(caller: Caller, owner_account: str) -> bool:
    """Under RestrictPublicBuckets, whether a public policy may still let `caller` in.

    Only AWS service principals and principals of the owning account keep access.
    """
    return caller.type is PrincipalType.SERVICE or (
        bool(caller.account) and caller.account == owner_account
    )
