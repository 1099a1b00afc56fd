"""Parsed policy documents: immutable, compiled once, cheap to evaluate.

`parse_policy` validates a document the way the service storing it would (see grammar.py) and
compiles every pattern: actions into one lower-case pattern set per statement, resources into a
pattern set plus templates for those with policy variables, principals and conditions into
their own matchers. A document also remembers, per action, which of its statements can apply,
so evaluating a 20-statement policy usually touches one or two statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from mrap.iam.conditions import Condition
from mrap.iam.context import Caller
from mrap.iam.errors import MalformedPolicy, MalformedPolicyDocument
from mrap.iam.grammar import (
    ActionScopes,
    PolicyKind,
    PrincipalExists,
    StatementSpec,
    validate_iam,
)
from mrap.iam.grammar_s3 import validate_s3
from mrap.iam.principals import MatchKind, PrincipalSet
from mrap.iam.variables import Lookup, Template, parse_template
from mrap.iam.wildcard import Matcher, PatternSet

_ACTION_INDEX_LIMIT = 4096  # actions come from a fixed table; the bound only guards memory


class ResourceSet:
    """The Resource (or NotResource) patterns of a statement."""

    __slots__ = ("_dynamic", "_fixed", "_static", "patterns")

    def __init__(self, patterns: tuple[str, ...], variables: bool) -> None:
        self.patterns = patterns
        plain: list[str] = []
        fixed: list[Matcher] = []
        dynamic: list[Template] = []
        for p in patterns:
            t = parse_template(p, variables)
            if not t.has_references:
                plain.append(p)
            elif t.is_static:
                # Only ${*} ${?} ${$}: the same for every request.
                if (m := t.matcher(_no_lookup)) is not None:
                    fixed.append(m)
            else:
                dynamic.append(t)
        self._static = PatternSet(plain)
        self._fixed = tuple(fixed)
        self._dynamic = tuple(dynamic)

    def matches(self, resource: str, lookup: Lookup) -> bool:
        """True when `resource` matches a pattern (resources compare case-sensitively)."""
        if self._static.matches(resource):
            return True
        for m in self._fixed:
            if m(resource):
                return True
        for t in self._dynamic:
            rendered = t.matcher(lookup)
            if rendered is not None and rendered(resource):
                return True
        return False


def _no_lookup(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """One compiled statement of a policy."""

    index: int
    sid: str | None
    allow: bool
    principal: PrincipalSet | None  # None in identity policies
    not_principal: bool
    actions: PatternSet
    action_patterns: tuple[str, ...]
    not_action: bool
    resources: ResourceSet | None  # None when the statement has no Resource (trust policies)
    not_resource: bool
    conditions: tuple[Condition, ...]

    @property
    def effect(self) -> str:
        """ "Allow" or "Deny"."""
        return "Allow" if self.allow else "Deny"

    def matches_action(self, action: str) -> bool:
        """`action` must already be lower case."""
        return self.actions.matches(action) != self.not_action

    def matches_resource(self, resource: str, lookup: Lookup) -> bool:
        """True when the statement covers `resource`."""
        if self.resources is None:
            return True
        return self.resources.matches(resource, lookup) != self.not_resource

    def conditions_hold(self, lookup: Lookup) -> bool:
        """True when every condition holds."""
        return all(c.holds(lookup) for c in self.conditions)


def _compile(index: int, spec: StatementSpec, variables: bool) -> Statement:
    actions = tuple(a.lower() for a in spec.actions)
    return Statement(
        index=index,
        sid=spec.sid,
        allow=spec.allow,
        principal=spec.principal,
        not_principal=spec.not_principal,
        actions=PatternSet(actions),
        action_patterns=actions,
        not_action=spec.not_action,
        resources=None if spec.resources is None else ResourceSet(spec.resources, variables),
        not_resource=spec.not_resource,
        conditions=spec.conditions,
    )


@dataclass(frozen=True, slots=True, eq=False)
class PolicyDocument:
    """A validated, compiled policy. Immutable apart from its private per-action index."""

    kind: PolicyKind
    version: str
    id: str | None
    statements: tuple[Statement, ...]
    text: str
    names_principals: bool  # some statement has Principal or NotPrincipal
    _index: dict[str, tuple[Statement, ...]] = field(default_factory=dict, repr=False)
    _applicable: dict[tuple[object, ...], tuple[tuple[Statement, MatchKind], ...]] = field(
        default_factory=dict, repr=False
    )

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers `action` (lower case), in order."""
        found = self._index.get(action)
        if found is None:
            found = tuple(s for s in self.statements if s.matches_action(action))
            if len(self._index) < _ACTION_INDEX_LIMIT:
                self._index[action] = found
        return found

    def applicable(self, action: str, caller: Caller) -> tuple[tuple[Statement, MatchKind], ...]:
        """The statements for `action` whose Principal/NotPrincipal designates `caller`.

        Memoised per (action, caller): a bucket policy often names many principals, and which
        statements concern a given caller never changes, whatever the resource or conditions.
        """
        # Without any Principal element (identity policies) the caller makes no difference.
        key = (action, caller.match_key) if self.names_principals else (action,)
        found = self._applicable.get(key)
        if found is None:
            out: list[tuple[Statement, MatchKind]] = []
            for st in self.statements_for(action):
                if st.principal is None:
                    kind = MatchKind.DIRECT
                elif st.not_principal:
                    # NotPrincipal applies to everyone it does not name: "*" with exceptions.
                    kind = MatchKind.NONE if st.principal.names(caller) else MatchKind.DIRECT
                else:
                    kind = st.principal.match(caller)
                if kind is not MatchKind.NONE:
                    out.append((st, kind))
            found = tuple(out)
            if len(self._applicable) >= _ACTION_INDEX_LIMIT:
                self._applicable.clear()  # many distinct callers: start over, keep it bounded
            self._applicable[key] = found
        return found


def _decode(text: str | bytes, kind: PolicyKind) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as e:
        if kind.is_s3:
            raise MalformedPolicy("This policy contains invalid Json") from e
        raise MalformedPolicyDocument("Syntax errors in policy.") from e


def parse_policy(
    text: str | bytes,
    kind: PolicyKind,
    *,
    bucket: str | None = None,
    principal_exists: PrincipalExists | None = None,
    action_scopes: ActionScopes | None = None,
) -> PolicyDocument:
    """Validate and compile a policy document.

    `bucket`: for bucket policies, the bucket the policy is put on (resources must name it).
    `principal_exists(type, value)`: return False to refuse a principal that does not exist.
    `action_scopes`: lower-case S3 action -> "bucket"/"object"; when given, S3 policies may
    only name known actions, and an action must fit one of its statement's resources.
    Raises MalformedPolicyDocument (IAM kinds) or MalformedPolicy (S3 kinds).
    Size limits are not checked here (see errors.py for the numbers).
    """
    source = _decode(text, kind)
    if kind.is_s3:
        if not source.startswith("{"):
            raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
        try:
            doc = json.loads(source)
        except ValueError as e:
            raise MalformedPolicy("This policy contains invalid Json") from e
        version, specs = validate_s3(doc, kind, bucket, principal_exists, action_scopes)
    else:
        try:
            doc = json.loads(source)
        except ValueError as e:
            raise MalformedPolicyDocument("Syntax errors in policy.") from e
        version, specs = validate_iam(doc, kind, principal_exists)
    variables = version == "2012-10-17"
    statements = tuple(_compile(i, spec, variables) for i, spec in enumerate(specs))
    policy_id = doc.get("Id")
    names_principals = any(st.principal is not None for st in statements)
    return PolicyDocument(kind, version, policy_id or None, statements, source, names_principals)


@lru_cache(maxsize=4096)
def cached_policy(text: str, kind: PolicyKind) -> PolicyDocument:
    """`parse_policy` memoised on the stored text: policies are parsed once per process.

    Use it on the request path for documents that were validated when they were stored.
    """
    return parse_policy(text, kind)
