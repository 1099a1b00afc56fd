"""Validation of S3 bucket and access point policies (the `MalformedPolicy` dialect).

Shares the statement model and helpers of `grammar`; see there for the order of checks.
"""

from __future__ import annotations

import re
from typing import Any

from mrap.iam.conditions import ConditionError, compile_block
from mrap.iam.errors import MalformedPolicy
from mrap.iam.grammar import (
    STATEMENT_FIELDS,
    TOP_FIELDS,
    VERSIONS,
    ActionScopes,
    PolicyKind,
    PrincipalExists,
    StatementSpec,
    pick,
    spec,
    statements_of,
    strings,
)
from mrap.iam.principals import PrincipalError, parse_principal
from mrap.iam.wildcard import compile_glob, has_wildcard

_ACTION = re.compile(r"^s3:[A-Za-z0-9*?]+$", re.IGNORECASE)
S3_SYNTAX = "Invalid policy syntax."


def _s3_resource_ok(r: str, kind: PolicyKind, bucket: str | None) -> bool:
    if r == "*":
        return True
    if kind is PolicyKind.ACCESS_POINT:
        # Access point and Multi-Region Access Point ARNs, or objects through them.
        return r.startswith("arn:aws:s3:") and r.count(":") >= 5 and ":accesspoint/" in r
    if not r.startswith("arn:aws:s3:::") or len(r) == len("arn:aws:s3:::"):
        return False
    name = r[len("arn:aws:s3:::") :].split("/", 1)[0]
    return bucket is None or bool(compile_glob(name)(bucket)) or name == "*"


def _scope_fits(
    action: str, resources: list[str], scopes: ActionScopes, bucket: str | None
) -> bool:
    """Whether a concrete action applies to at least one resource of the statement."""
    scope = scopes.get(action.lower())
    if scope is None:
        return True
    for r in resources:
        if r == "*":
            return True
        if bucket is not None:
            sample = f"arn:aws:s3:::{bucket}" + ("/key" if scope == "object" else "")
            if compile_glob(r)(sample):
                return True
        elif ("/" in r or "*" in r) if scope == "object" else ("/" not in r):
            return True
    return False


def _s3_action_ok(action: str, scopes: ActionScopes | None) -> bool:
    if action == "*":
        return True
    if not _ACTION.match(action):
        return False
    if scopes is None:
        return True
    low = action.lower()
    if has_wildcard(low):
        return any(compile_glob(low)(a) for a in scopes)
    return low in scopes


def validate_s3(
    doc: Any,
    kind: PolicyKind,
    bucket: str | None,
    exists: PrincipalExists | None,
    scopes: ActionScopes | None,
) -> tuple[str, list[StatementSpec]]:
    """Validate a bucket or access point policy; returns (version, statements)."""
    err = MalformedPolicy
    if not isinstance(doc, dict):
        raise err(S3_SYNTAX)
    for field in doc:
        if field not in TOP_FIELDS:
            raise err(f"Unknown field {field}")
    version = doc.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise err("The policy must contain a valid version string")
    if not isinstance(doc.get("Id", ""), str):
        raise err(S3_SYNTAX)
    if "Statement" not in doc:
        raise err("Missing required field Statement")
    raw_statements = statements_of(doc)
    if raw_statements is None:
        raise err(S3_SYNTAX)
    if not raw_statements:
        raise err("Could not parse the policy: Statement is empty!")
    variables = version == "2012-10-17"
    specs = []
    for st in raw_statements:
        specs.append(_s3_statement(st, kind, variables, bucket, exists, scopes))
    return version, specs


def _s3_statement(
    st: Any,
    kind: PolicyKind,
    variables: bool,
    bucket: str | None,
    exists: PrincipalExists | None,
    scopes: ActionScopes | None,
) -> StatementSpec:
    err = MalformedPolicy
    if not isinstance(st, dict):
        raise err(S3_SYNTAX)
    for field in st:
        if field not in STATEMENT_FIELDS:
            raise err(f"Unknown field {field}")
    if not isinstance(st.get("Sid", ""), str):
        raise err(S3_SYNTAX)
    if "Effect" not in st:
        raise err("Missing required field Effect")
    if st["Effect"] not in ("Allow", "Deny"):
        raise err(f"Invalid effect: {st['Effect']}")
    if "Principal" in st and "NotPrincipal" in st:
        raise err(S3_SYNTAX)
    raw_principal, _ = pick(st, "Principal")
    if "Principal" not in st and "NotPrincipal" not in st:
        raise err("Missing required field Principal")
    try:
        principal = parse_principal(raw_principal, exists)
    except PrincipalError as e:
        if e.reason == "empty":
            raise err("Missing required field Principal cannot be empty!") from e
        raise err("Invalid principal in policy" if e.reason == "invalid" else S3_SYNTAX) from e
    for f in ("Action", "Resource"):
        if f in st and "Not" + f in st:
            raise err(S3_SYNTAX)
        raw, _ = pick(st, f)
        if f not in st and "Not" + f not in st:
            raise err(f"Missing required field {f}")
        values = strings(raw)
        if values is None:
            raise err(S3_SYNTAX)
        if not values:
            raise err(f"Missing required field {f} cannot be empty!")
    actions = strings(pick(st, "Action")[0]) or []
    resources = strings(pick(st, "Resource")[0]) or []
    if not all(_s3_action_ok(a, scopes) for a in actions):
        raise err("Policy has invalid action")
    if not all(_s3_resource_ok(r, kind, bucket) for r in resources):
        raise err("Policy has invalid resource")
    if scopes is not None and "Action" in st and "Resource" in st and kind is PolicyKind.BUCKET:
        for a in actions:
            if not has_wildcard(a) and not _scope_fits(a, resources, scopes, bucket):
                raise err("Action does not apply to any resource(s) in statement")
    try:
        conditions = compile_block(st.get("Condition", {}), variables, False)
    except ConditionError as e:
        if e.reason == "operator":
            raise err(f"Invalid Condition type : {e.detail}") from e
        if e.reason == "ip":
            raise err("Invalid IP address in Conditions") from e
        raise err(S3_SYNTAX) from e
    return spec(st, principal, resources, conditions)
