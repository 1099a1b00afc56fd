"""The policy engine: policy documents, conditions, variables, evaluation, public policies.

Pure domain code: nothing here knows about HTTP, storage or the control store. Callers parse a
policy once when it is stored (`parse_policy`, which raises the put-time error AWS gives) and on
the request path fetch the compiled document with `cached_policy`, build a `RequestContext` and
call `evaluate`.
"""

from mrap.iam.conditions import Condition, parse_date, parse_operator
from mrap.iam.context import Caller, PrincipalType, RequestContext
from mrap.iam.document import PolicyDocument, Statement, cached_policy, parse_policy
from mrap.iam.errors import (
    ACCESS_POINT_POLICY_MAX_BYTES,
    BUCKET_POLICY_MAX_BYTES,
    INLINE_GROUP_POLICY_MAX_CHARS,
    INLINE_ROLE_POLICY_MAX_CHARS,
    INLINE_USER_POLICY_MAX_CHARS,
    MANAGED_POLICY_MAX_CHARS,
    TRUST_POLICY_MAX_CHARS,
    MalformedPolicy,
    MalformedPolicyDocument,
    PolicyError,
    non_whitespace_length,
)
from mrap.iam.evaluate import (
    ROOT_LOCKOUT_EXEMPT,
    DecidedBy,
    Decision,
    MatchedStatement,
    PolicyType,
    access_denied_message,
    evaluate,
)
from mrap.iam.grammar import PolicyKind
from mrap.iam.principals import MatchKind, PrincipalSet, parse_principal
from mrap.iam.public import (
    PUBLIC_ACL_GROUPS,
    is_public_acl,
    is_public_cidr,
    is_public_policy,
    public_statements,
    restrict_public_buckets_allows,
)
from mrap.iam.variables import Template, parse_template

__all__ = [
    "ACCESS_POINT_POLICY_MAX_BYTES",
    "BUCKET_POLICY_MAX_BYTES",
    "INLINE_GROUP_POLICY_MAX_CHARS",
    "INLINE_ROLE_POLICY_MAX_CHARS",
    "INLINE_USER_POLICY_MAX_CHARS",
    "MANAGED_POLICY_MAX_CHARS",
    "PUBLIC_ACL_GROUPS",
    "ROOT_LOCKOUT_EXEMPT",
    "TRUST_POLICY_MAX_CHARS",
    "Caller",
    "Condition",
    "DecidedBy",
    "Decision",
    "MalformedPolicy",
    "MalformedPolicyDocument",
    "MatchKind",
    "MatchedStatement",
    "PolicyDocument",
    "PolicyError",
    "PolicyKind",
    "PolicyType",
    "PrincipalSet",
    "PrincipalType",
    "RequestContext",
    "Statement",
    "Template",
    "access_denied_message",
    "cached_policy",
    "evaluate",
    "is_public_acl",
    "is_public_cidr",
    "is_public_policy",
    "non_whitespace_length",
    "parse_date",
    "parse_operator",
    "parse_policy",
    "parse_principal",
    "parse_template",
    "public_statements",
    "restrict_public_buckets_allows",
]
