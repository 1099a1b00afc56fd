"""Validation of policy documents, in the two dialects AWS uses at put time.

IAM (identity and trust policies) answers `MalformedPolicyDocument` and reports most structural
problems as "Syntax errors in policy."; S3 (bucket and access point policies) answers
`MalformedPolicy` with one message per problem ("Missing required field Principal", "Policy
has invalid resource"…). The checks run in the order AWS appears to run them, because a
document with several faults gets the message of the first check that fails.

The result is a list of `StatementSpec`: the statement's elements, checked, with the Principal
and Condition elements already compiled; document.py turns them into matchers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mrap.iam.conditions import Condition, ConditionError, compile_block
from mrap.iam.errors import MalformedPolicyDocument
from mrap.iam.principals import PrincipalError, PrincipalSet, parse_principal


class PolicyKind(StrEnum):
    """Where a policy is attached; decides the grammar and the error dialect."""

    IDENTITY = "identity"  # user, group, role permissions; managed policies
    TRUST = "trust"  # a role's AssumeRolePolicyDocument
    BUCKET = "bucket"
    ACCESS_POINT = "access-point"  # access point and Multi-Region Access Point policies

    @property
    def is_s3(self) -> bool:
        """True for the kinds S3 stores (and validates with its own messages)."""
        return self in (PolicyKind.BUCKET, PolicyKind.ACCESS_POINT)


VERSIONS = ("2012-10-17", "2008-10-17")
PrincipalExists = Callable[[str, str], bool]
"""`exists(type, value)`: False refuses a well-formed principal that does not exist."""
ActionScopes = Mapping[str, str]
"""Lower-case action name -> "bucket" or "object", for S3's action/resource checks."""

IAM_SYNTAX = "Syntax errors in policy."
IAM_LEGACY = "The policy failed legacy parsing"
TOP_FIELDS = frozenset({"Version", "Id", "Statement"})
STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
     "NotResource", "Condition"}
)  # fmt: skip
_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})
_VENDOR = re.compile(r"^[A-Za-z0-9.*?-]+$")
_IAM_PATHS = ("user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
              "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
              "report/", "access-report/")  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementSpec:
    """A validated statement, before its patterns are compiled."""

    sid: str | None
    allow: bool
    principal: PrincipalSet | None
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None  # None: no Resource element (trust policies)
    not_resource: bool
    conditions: tuple[Condition, ...]


def strings(value: Any) -> list[str] | None:
    """A string or a list of strings as a list; None for any other shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def pick(st: dict[str, Any], name: str) -> tuple[Any, bool]:
    """The element `name` or `Not<name>`, and whether it was the negated form."""
    if name in st:
        return st[name], False
    return st.get("Not" + name), ("Not" + name) in st


def statements_of(doc: dict[str, Any]) -> list[Any] | None:
    """The Statement element as a list; None when it has the wrong type."""
    raw = doc.get("Statement")
    if isinstance(raw, dict):
        return [raw]
    return raw if isinstance(raw, list) else None


# ---------------------------------------------------------------- IAM dialect


def _iam_resource_error(r: str) -> str | None:
    if r == "*":
        return None
    parts = r.split(":")
    if len(parts) < 2:
        return f'Resource {r} must be in ARN format or "*".'
    if parts[1] not in _PARTITIONS:
        rest = ([*parts[2:], "*", "*", "*", "*"])[:4] if len(parts) < 6 else parts[2:]
        return (
            f'Partition "{parts[1]}" is not valid for resource "arn:{parts[1]}:{":".join(rest)}".'
        )
    if len(parts) < 3:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    # Bucket ARNs carry neither region nor account; access point, job and async-request ARNs
    # carry both, so only a region without an account is refused.
    if len(parts) >= 5 and parts[3] and not parts[4] and parts[2] == "s3":
        return f"Resource {r} can not contain region information."
    if len(parts) >= 4 and parts[3] and parts[2] == "iam":
        return f"IAM resource {r} cannot contain region information."
    if parts[2] == "iam" and len(parts) >= 6 and not parts[5].startswith((*_IAM_PATHS, "*")):
        return 'IAM resource path must either be "*" or start with ' + ", ".join(_IAM_PATHS) + "."
    return None


def _iam_legacy_resource(r: str) -> bool:
    """Resources AWS's older parser refuses (`arn:aws:s3::bucket`: too few parts)."""
    return r != "*" and (
        (r.count(":") < 5 and "::" in r) or (r.count(":") >= 2 and not r.split(":")[2])
    )


def _iam_action_error(action: str) -> str | None:
    if action == "*":
        return None
    if ":" not in action:
        return "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    if action.count(":") > 1:
        return "Actions/Condition can contain only one colon."
    vendor = action.split(":")[0]
    return None if _VENDOR.match(vendor) else f"Vendor {vendor} is not valid"


def validate_iam(
    doc: Any, kind: PolicyKind, exists: PrincipalExists | None
) -> tuple[str, list[StatementSpec]]:
    """Validate an identity or trust policy; returns (version, statements)."""
    err = MalformedPolicyDocument
    if not isinstance(doc, dict):
        raise err(IAM_SYNTAX)
    raw_statements = statements_of(doc)
    if kind is PolicyKind.IDENTITY and any(
        isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s)
        for s in raw_statements or []
    ):
        raise err("Policy document should not specify a principal.")
    version = doc.get("Version", "2008-10-17")
    if (
        not raw_statements
        or not set(doc) <= TOP_FIELDS
        or version not in VERSIONS
        or not isinstance(doc.get("Id", ""), str)
    ):
        raise err(IAM_SYNTAX)
    variables = version == "2012-10-17"
    legacy = False
    conditions: list[tuple[Condition, ...]] = []
    for st in raw_statements:
        if not isinstance(st, dict) or not set(st) <= STATEMENT_FIELDS:
            raise err(IAM_SYNTAX)
        if any(f in st and "Not" + f in st for f in ("Action", "Resource", "Principal")):
            raise err(IAM_SYNTAX)
        effect = st.get("Effect")
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise err(IAM_SYNTAX)
        legacy |= effect not in ("Allow", "Deny")
        for f in ("Action", "NotAction", "Resource", "NotResource"):
            if f in st and strings(st[f]) is None:
                raise err(IAM_SYNTAX)
        if not isinstance(st.get("Sid", ""), str):
            raise err(IAM_SYNTAX)
        try:
            conditions.append(compile_block(st.get("Condition", {}), variables, True))
        except ConditionError as e:
            if e.reason != "date":
                raise err(IAM_SYNTAX) from e
            legacy = True
            conditions.append(())
    if kind is PolicyKind.IDENTITY and version != "2012-10-17":
        raise err("Policy document must be version 2012-10-17 or greater.")
    resources = [strings(pick(st, "Resource")[0]) or [] for st in raw_statements]
    # A malformed resource is reported after the checks below, but it keeps the "legacy"
    # parser from running on the same resources; like AWS, the last one found is reported.
    resource_error = None
    if kind is PolicyKind.IDENTITY:
        for rs in resources:
            for r in sorted(rs, reverse=True):
                resource_error = _iam_resource_error(r) or resource_error
    if legacy or (
        resource_error is None and any(_iam_legacy_resource(r) for rs in resources for r in rs)
    ):
        raise err(IAM_LEGACY)
    sids = [st["Sid"] for st in raw_statements if st.get("Sid")]
    if len(sids) != len(set(sids)):
        raise err("Statement IDs (SID) in a single policy must be unique.")
    for st in raw_statements:
        if not strings(pick(st, "Action")[0]):
            raise err("Policy statement must contain actions.")
    if resource_error is not None:
        raise err(resource_error)
    for st in raw_statements:
        for action in strings(pick(st, "Action")[0]) or []:
            if (message := _iam_action_error(action)) is not None:
                raise err(message)
            if kind is PolicyKind.TRUST and action != "*" and not action.lower().startswith("sts:"):
                raise err("AssumeRole policy may only specify STS AssumeRole actions.")
    if kind is PolicyKind.IDENTITY and not all(resources):
        raise err("Policy statement must contain resources.")
    if kind is PolicyKind.TRUST:
        for st in raw_statements:
            for f in ("Resource", "NotResource"):
                if f in st:
                    raise err(f"Has prohibited field {f}")
    principals = [_iam_principal(st, kind, exists) for st in raw_statements]
    keep_resources = kind is PolicyKind.IDENTITY
    rows = zip(raw_statements, principals, resources, conditions, strict=True)
    specs = [spec(st, p, rs if keep_resources else None, c) for st, p, rs, c in rows]
    return version, specs


def _iam_principal(
    st: dict[str, Any], kind: PolicyKind, exists: PrincipalExists | None
) -> PrincipalSet | None:
    if kind is PolicyKind.IDENTITY:
        return None
    if "NotPrincipal" in st:
        raise MalformedPolicyDocument("AssumeRole policy must not contain NotPrincipal field.")
    if "Principal" not in st:
        raise MalformedPolicyDocument("Missing required field Principal")
    try:
        return parse_principal(st["Principal"], exists)
    except PrincipalError as e:
        if e.reason == "invalid":
            raise MalformedPolicyDocument(
                f'Invalid principal in policy: "{e.kind}":"{e.value}"'
            ) from e
        if e.reason == "empty":
            raise MalformedPolicyDocument(
                "Missing required field Principal cannot be empty!"
            ) from e
        raise MalformedPolicyDocument(IAM_SYNTAX) from e


def spec(
    st: dict[str, Any],
    principal: PrincipalSet | None,
    resources: list[str] | None,
    conditions: tuple[Condition, ...],
) -> StatementSpec:
    """A checked statement's elements, with its compiled principal and conditions."""
    actions, not_action = pick(st, "Action")
    return StatementSpec(
        sid=st.get("Sid") or None,
        allow=str(st["Effect"]).lower() == "allow",
        principal=principal,
        not_principal="NotPrincipal" in st,
        actions=tuple(strings(actions) or ()),
        not_action=not_action,
        resources=None if resources is None else tuple(resources),
        not_resource="NotResource" in st,
        conditions=conditions,
    )
