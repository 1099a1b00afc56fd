"""Policy evaluation checked against the AWS documentation's own examples.

A table of cases: the policies (identity policies of the caller, the bucket's resource policy),
the request (caller, action, resource, context keys; the bucket always belongs to OWNER) and
the whole expected decision: allowed or not, what decided it (`DecidedBy`) and, for a denial,
the kind of policy the AccessDenied message names. Each group cites the page its policies and outcomes come from;
where a page gives a table of request contexts and results ("Match" / "No match"), the cases
follow its rows. `tests/test_policy_engine.py` holds the engine's own edge cases; this file is
the documentation's view. Malformed documents (issue item 9) close the file: the domain parser
with the exact error class and message, and bucket policies through the real server.
"""

# Case tables keep one case per line (between fmt: off/on), so long lines are expected.
# ruff: noqa: E501

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from test_policy_engine import allow, deny

from mrap.iam import (
    Caller,
    DecidedBy,
    MalformedPolicy,
    MalformedPolicyDocument,
    PolicyError,
    PolicyKind,
    PolicyType,
    RequestContext,
    evaluate,
    parse_policy,
)

OWNER = "111122223333"  # owns the bucket
PARTNER = "444455556666"  # the documentation's "other account" (Bob's)
ORG = "222222222222"  # the account of Ana and Mary in the multi-value condition page
BUCKET = "amzn-s3-demo-bucket"
B = f"arn:aws:s3:::{BUCKET}"
OBJ = B + "/key"

ROOT = Caller.root(OWNER)
ALICE = Caller.user(OWNER, "Alice", "AIDAJQABLZS4A3QDU576Q")
DAVE = Caller.user(OWNER, "Dave", "AIDADAVEEXAMPLE")
SESSION = Caller.assumed_role(OWNER, "reader", "app", "AROAREADEREXAMPLE")
FED = Caller.federated_user(OWNER, "Bob")
BOB = Caller.user(PARTNER, "Bob", "AIDABOBEXAMPLE")
CAROL = Caller.user(PARTNER, "Carol", "AIDACAROLEXAMPLE")
PARTNER_ROOT = Caller.root(PARTNER)
AUDIT = Caller.assumed_role(
    PARTNER, "cross-account-read-only-role", "cross-account-audit-app", "AROAAUDIT"
)
AUDIT_OTHER = Caller.assumed_role(PARTNER, "cross-account-read-only-role", "other-app", "AROAAUDIT")
ANA = Caller.user(ORG, "Ana", "AIDAANAEXAMPLE")
MARY = Caller.user(ORG, "Mary", "AIDAMARYEXAMPLE")
JOHN = Caller.user(ORG, "John", "AIDAJOHNEXAMPLE")
ANON = Caller.anonymous()
LOGGING = Caller.aws_service("logging.s3.amazonaws.com")
EMR = Caller.aws_service("elasticmapreduce.amazonaws.com")
MISSING = object()  # the request carries no value for the condition key


class Expect(NamedTuple):
    """The whole decision a case expects."""

    allowed: bool
    decided_by: DecidedBy
    denied_in: PolicyType | None = None


A_ID = Expect(True, DecidedBy.IDENTITY)
A_RES = Expect(True, DecidedBy.RESOURCE)
A_BOTH = Expect(True, DecidedBy.IDENTITY_AND_RESOURCE)
A_ROOT = Expect(True, DecidedBy.ACCOUNT_ROOT)
X_ID = Expect(False, DecidedBy.EXPLICIT_DENY, PolicyType.IDENTITY)
X_RES = Expect(False, DecidedBy.EXPLICIT_DENY, PolicyType.RESOURCE)
N_ID = Expect(False, DecidedBy.IMPLICIT_DENY, PolicyType.IDENTITY)
N_RES = Expect(False, DecidedBy.IMPLICIT_DENY, PolicyType.RESOURCE)


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {} if version is None else {"Version": version}
    out["Statement"] = list(statements)
    return out


EVERYONE = {"Principal": "*"}
ALLOW_ALL = policy(allow("s3:*"))  # an identity policy that allows every S3 action


@dataclass(frozen=True)
class Case:
    id: str
    expect: Expect
    identity: Sequence[dict[str, Any]] = ()
    bucket_policy: dict[str, Any] | None = None
    caller: Caller = ALICE
    action: str = "s3:GetObject"
    resource: str = OBJ
    keys: Mapping[str, Any] = field(default_factory=dict)


def when(id: str, op: str, key: str, values: Any, request: Any, match: bool, **kw: Any) -> Case:
    """One condition in an Allow of the caller's identity policy: allowed exactly if it matches."""
    keys = {} if request is MISSING else {key: request}
    identity = [policy(allow(condition={op: {key: values}}))]
    return Case(id, A_ID if match else N_ID, identity, keys=keys, **kw)


def unless(id: str, op: str, key: str, values: Any, request: Any, match: bool, **kw: Any) -> Case:
    """One condition in a Deny beside an Allow: a match means an explicit deny."""
    keys = {} if request is MISSING else {key: request}
    identity = [policy(allow(), deny(condition={op: {key: values}}))]
    return Case(id, X_ID if match else A_ID, identity, keys=keys, **kw)


def public(
    id: str, statements: list[dict[str, Any]], match: bool, keys: Mapping[str, Any], **kw: Any
) -> Case:
    """A bucket policy read by an anonymous caller: only the bucket policy can let it in."""
    return Case(
        id, A_RES if match else N_RES, (), policy(*statements), caller=ANON, keys=keys, **kw
    )


def guarded(
    id: str, deny_statement: dict[str, Any], denied: bool, keys: Mapping[str, Any], **kw: Any
) -> Case:
    """A bucket-policy Deny guarding a user whose identity policy allows everything."""
    return Case(id, X_RES if denied else A_ID, [ALLOW_ALL], policy(deny_statement), keys=keys, **kw)


# Bucket policy of the multi-value condition page (principal tags, AND of keys, OR of values).
MULTI = policy(allow("s3:ListBucket", B, principal={"AWS": f"arn:aws:iam::{ORG}:root"}, condition={
    "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"], "aws:PrincipalTag/role": ["audit", "security"]},
    "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ORG}:user/Ana", f"arn:aws:iam::{ORG}:user/Mary"]},
}))  # fmt: skip
# Its negated twin: Deny unless one of the department, one of the roles, and Ana or Mary.
MULTI_NOT = policy(
    allow("s3:ListBucket", B, principal={"AWS": f"arn:aws:iam::{ORG}:root"}),
    deny("s3:ListBucket", B, principal="*", condition={
        "StringNotEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"], "aws:PrincipalTag/role": ["audit", "security"]},
        "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ORG}:user/Ana", f"arn:aws:iam::{ORG}:user/Mary"]},
    }),
)  # fmt: skip
ORG_LIST = [policy(allow("s3:ListBucket", B))]

# IAM guide: "Amazon S3: Allows IAM users access to their S3 home directory, programmatically".
HOME = policy(
    allow(["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "arn:aws:s3:::*"),
    allow("s3:ListBucket", B, condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}),
    allow("s3:*", [B + "/home/${aws:username}", B + "/home/${aws:username}/*"]),
)  # fmt: skip

# IAM guide NotPrincipal page: all principals except Bob (named with his account) are denied.
NOT_BOB = policy(
    allow("s3:*", [B, B + "/*"], principal="*"),
    deny("s3:*", [B, B + "/*"], not_principal={"AWS": [f"arn:aws:iam::{PARTNER}:user/Bob", f"arn:aws:iam::{PARTNER}:root"]}),
)  # fmt: skip
# ... and all principals except one assumed-role session (named with its role and account).
NOT_AUDIT = policy(
    allow("s3:*", [B, B + "/*"], principal="*"),
    deny("s3:*", [B, B + "/*"], not_principal={"AWS": [
        f"arn:aws:sts::{PARTNER}:assumed-role/cross-account-read-only-role/cross-account-audit-app",
        f"arn:aws:iam::{PARTNER}:role/cross-account-read-only-role",
        f"arn:aws:iam::{PARTNER}:root",
    ]}),
)  # fmt: skip

# S3 User Guide bucket policy examples: mixing IPv4 and IPv6 address ranges.
MIXED_IP = [allow("s3:*", [B, B + "/*"], principal="*", condition={
    "IpAddress": {"aws:SourceIp": ["54.240.143.0/24", "2001:DB8:1234:5678::/64"]},
    "NotIpAddress": {"aws:SourceIp": ["54.240.143.128/30", "2001:DB8:1234:5678:ABCD::/80"]},
})]  # fmt: skip
# S3 User Guide: granting permissions to the logging service (server access logs).
LOGGING_POLICY = policy(allow("s3:PutObject", B + "/logs/*", principal={"Service": "logging.s3.amazonaws.com"}, condition={
    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-source-bucket"},
    "StringEquals": {"aws:SourceAccount": OWNER},
}))  # fmt: skip
# S3 User Guide: restricting access to a specific HTTP referer.
REFERER = [
    allow(
        ["s3:GetObject", "s3:GetObjectVersion"],
        B + "/*",
        principal="*",
        condition={
            "StringLike": {"aws:Referer": ["http://www.example.com/*", "http://example.com/*"]}
        },
    )
]
# S3 User Guide: granting read-only permission to a public anonymous user.
PUBLIC_READ = policy(
    allow(["s3:GetObject", "s3:GetObjectVersion"], B + "/*", principal="*", sid="PublicRead")
)
# S3 User Guide: requiring MFA for the taxdocuments folder.
MFA = [
    deny("s3:*", B + "/taxdocuments/*", principal="*", condition={"Null": {"aws:MultiFactorAuthAge": "true"}}),
    deny("s3:*", B + "/taxdocuments/*", principal="*", condition={"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}),
    allow("s3:GetObject", B + "/*", principal="*"),
]  # fmt: skip
KMS_KEY = f"arn:aws:kms:us-east-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS_ANY = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["key1", "key2"]}}
EVERY_TAG_KNOWN = {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
ABAC = {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}
TEAM_HOME = B + "/${aws:PrincipalTag/team, 'company-wide'}/*"

# fmt: off
CASES: list[Case] = [
    # ------------------------------------------------ String operators
    # IAM User Guide, "Condition operators" (String): aws:PrincipalTag/job-category = iamuser-admin.
    when("StringEquals-doc-job-category", "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin", "iamuser-admin", True),
    when("StringEquals-doc-other-category", "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin", "developer", False),
    when("StringEquals-case-of-value-matters", "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin", "IAMUser-Admin", False),
    when("StringEquals-tag-absent", "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin", MISSING, False),
    when("StringEquals-star-is-literal", "StringEquals", "aws:PrincipalTag/job-category", "iamuser-*", "iamuser-admin", False),
    when("StringNotEquals-other-value", "StringNotEquals", "aws:PrincipalTag/job-category", "iamuser-admin", "developer", True),
    when("StringNotEquals-same-value", "StringNotEquals", "aws:PrincipalTag/job-category", "iamuser-admin", "iamuser-admin", False),
    when("StringNotEquals-absent-key-true", "StringNotEquals", "aws:PrincipalTag/job-category", "iamuser-admin", MISSING, True),
    when("StringEqualsIgnoreCase-mixed-case", "StringEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-Admin", "iamuser-admin", True),
    when("StringEqualsIgnoreCase-other", "StringEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-Admin", "iamuser-dev", False),
    when("StringEqualsIgnoreCase-no-wildcards", "StringEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-*", "iamuser-admin", False),
    when("StringNotEqualsIgnoreCase-same-but-case", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-Admin", "IAMUSER-ADMIN", False),
    when("StringNotEqualsIgnoreCase-other", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-Admin", "auditor", True),
    when("StringNotEqualsIgnoreCase-absent-true", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/job-category", "IAMUser-Admin", MISSING, True),
    when("StringLike-prefix-star", "StringLike", "aws:PrincipalTag/job-category", "iamuser*", "iamuser-admin", True),
    when("StringLike-suffix-star", "StringLike", "aws:PrincipalTag/job-category", "*admin", "iamuser-admin", True),
    when("StringLike-question-one-char", "StringLike", "aws:PrincipalTag/job-category", "iamuser-?dmin", "iamuser-admin", True),
    when("StringLike-question-not-two", "StringLike", "aws:PrincipalTag/job-category", "iamuser-?min", "iamuser-admin", False),
    when("StringLike-whole-value", "StringLike", "aws:PrincipalTag/job-category", "iamuser", "iamuser-admin", False),
    when("StringLike-case-sensitive", "StringLike", "aws:PrincipalTag/job-category", "IAMUSER*", "iamuser-admin", False),
    when("StringLike-absent", "StringLike", "aws:PrincipalTag/job-category", "*", MISSING, False),
    when("StringNotLike-not-matching", "StringNotLike", "aws:PrincipalTag/job-category", "iamuser*", "developer", True),
    when("StringNotLike-matching", "StringNotLike", "aws:PrincipalTag/job-category", "iamuser*", "iamuser-admin", False),
    when("StringNotLike-absent-true", "StringNotLike", "aws:PrincipalTag/job-category", "iamuser*", MISSING, True),
    # S3 User Guide bucket policy examples: restricting access to a specific HTTP referer.
    public("referer-www-doc", REFERER, True, {"aws:Referer": "http://www.example.com/page.html"}),
    public("referer-bare-domain-doc", REFERER, True, {"aws:Referer": "http://example.com/"}),
    public("referer-other-site-doc", REFERER, False, {"aws:Referer": "http://evil.example.net/"}),
    public("referer-https-not-listed-doc", REFERER, False, {"aws:Referer": "https://www.example.com/x"}),
    public("referer-absent-doc", REFERER, False, {}),
    # S3 User Guide: require SSE-KMS with a given key (Deny StringNotEquals …-aws-kms-key-id).
    guarded("kms-key-right-doc", deny("s3:PutObject", B + "/*", principal="*", condition={"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY}}), False, {"s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY}, action="s3:PutObject"),
    guarded("kms-key-other-doc", deny("s3:PutObject", B + "/*", principal="*", condition={"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY}}), True, {"s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY[:-1] + "c"}, action="s3:PutObject"),
    guarded("kms-key-absent-doc", deny("s3:PutObject", B + "/*", principal="*", condition={"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY}}), True, {}, action="s3:PutObject"),
    # S3 User Guide: only requests through a given VPC endpoint (Deny StringNotEquals aws:SourceVpce).
    guarded("vpce-right-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}), False, {"aws:SourceVpce": "vpce-1a2b3c4d"}),
    guarded("vpce-other-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}), True, {"aws:SourceVpce": "vpce-9z8y7x6w"}),
    guarded("vpce-internet-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}), True, {}),
    # S3 User Guide: only SigV4 header authentication (s3:authType, s3:signatureversion).
    guarded("authtype-header-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"s3:authType": "REST-HEADER"}}), False, {"s3:authType": "REST-HEADER"}),
    guarded("authtype-query-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"s3:authType": "REST-HEADER"}}), True, {"s3:authType": "REST-QUERY-STRING"}),
    guarded("sigv2-denied-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"StringNotEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}}), True, {"s3:signatureversion": "AWS"}),
    # S3 User Guide: objects tagged environment=production only (s3:ExistingObjectTag).
    Case("existing-tag-production-doc", A_RES, (), policy(allow("s3:GetObject", B + "/*", principal={"AWS": ALICE.arn}, condition={"StringEquals": {"s3:ExistingObjectTag/environment": "production"}})), keys={"s3:ExistingObjectTag/environment": "production"}),
    Case("existing-tag-staging-doc", N_ID, (), policy(allow("s3:GetObject", B + "/*", principal={"AWS": ALICE.arn}, condition={"StringEquals": {"s3:ExistingObjectTag/environment": "production"}})), keys={"s3:ExistingObjectTag/environment": "staging"}),
    # ------------------------------------------------ Numeric operators
    # IAM User Guide (Numeric): s3:max-keys; S3 User Guide: s3:TlsVersion and s3:signatureAge.
    when("NumericEquals-same", "NumericEquals", "s3:max-keys", "10", "10", True),
    when("NumericEquals-other", "NumericEquals", "s3:max-keys", "10", "100", False),
    when("NumericEquals-values-or", "NumericEquals", "s3:max-keys", ["10", "20"], "20", True),
    when("NumericNotEquals-other", "NumericNotEquals", "s3:max-keys", "10", "11", True),
    when("NumericNotEquals-values-nor", "NumericNotEquals", "s3:max-keys", ["10", "20"], "20", False),
    when("NumericNotEquals-absent-true", "NumericNotEquals", "s3:max-keys", "10", MISSING, True),
    when("NumericLessThan-below", "NumericLessThan", "s3:max-keys", "10", "9", True),
    when("NumericLessThan-equal", "NumericLessThan", "s3:max-keys", "10", "10", False),
    when("NumericLessThanEquals-doc-ten", "NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    when("NumericLessThanEquals-doc-above", "NumericLessThanEquals", "s3:max-keys", "10", "1000", False),
    when("NumericLessThanEquals-absent", "NumericLessThanEquals", "s3:max-keys", "10", MISSING, False),
    when("NumericGreaterThan-above", "NumericGreaterThan", "s3:max-keys", "10", "10.5", True),
    when("NumericGreaterThan-equal", "NumericGreaterThan", "s3:max-keys", "10", "10", False),
    when("NumericGreaterThanEquals-equal", "NumericGreaterThanEquals", "s3:max-keys", "10", "10", True),
    when("NumericGreaterThanEquals-below", "NumericGreaterThanEquals", "s3:max-keys", "10", "2", False),
    when("Numeric-compares-numbers-not-text", "NumericLessThan", "s3:max-keys", "10", "9.99", True),
    guarded("tls-1.0-denied-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NumericLessThan": {"s3:TlsVersion": 1.2}}), True, {"s3:TlsVersion": "1.0"}),
    guarded("tls-1.2-passes-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NumericLessThan": {"s3:TlsVersion": 1.2}}), False, {"s3:TlsVersion": "1.2"}),
    guarded("tls-1.3-passes-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NumericLessThan": {"s3:TlsVersion": 1.2}}), False, {"s3:TlsVersion": "1.3"}),
    guarded("signature-too-old-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NumericGreaterThan": {"s3:signatureAge": 600000}}), True, {"s3:signatureAge": "600001"}),
    guarded("signature-fresh-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NumericGreaterThan": {"s3:signatureAge": 600000}}), False, {"s3:signatureAge": "1000"}),
    # ------------------------------------------------ Date operators
    # IAM User Guide (Date): aws:TokenIssueTime after 2020-01-01T00:00:01Z; aws:CurrentTime windows.
    when("DateGreaterThan-doc-after", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2020-01-01T00:00:02Z", True, caller=SESSION),
    when("DateGreaterThan-doc-before", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2019-12-31T12:00:00Z", False, caller=SESSION),
    when("DateGreaterThan-doc-long-term-keys", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", MISSING, False),
    when("DateGreaterThanEquals-same-instant", "DateGreaterThanEquals", "aws:CurrentTime", "2024-06-01T00:00:00Z", "2024-06-01T00:00:00Z", True),
    when("DateGreaterThanEquals-before", "DateGreaterThanEquals", "aws:CurrentTime", "2024-06-01T00:00:00Z", "2024-05-31T23:59:59Z", False),
    when("DateLessThan-before-end", "DateLessThan", "aws:CurrentTime", "2024-12-31T23:59:59Z", "2024-06-01T00:00:00Z", True),
    when("DateLessThan-after-end", "DateLessThan", "aws:CurrentTime", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", False),
    when("DateLessThanEquals-same", "DateLessThanEquals", "aws:CurrentTime", "2024-12-31T23:59:59Z", "2024-12-31T23:59:59Z", True),
    when("DateLessThanEquals-after", "DateLessThanEquals", "aws:CurrentTime", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", False),
    when("DateEquals-same-instant-other-zone", "DateEquals", "aws:CurrentTime", "2024-06-01T02:00:00+02:00", "2024-06-01T00:00:00Z", True),
    when("DateEquals-other-instant", "DateEquals", "aws:CurrentTime", "2024-06-01T00:00:00Z", "2024-06-01T00:00:01Z", False),
    when("DateNotEquals-other-instant", "DateNotEquals", "aws:CurrentTime", "2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z", True),
    when("DateNotEquals-same-instant", "DateNotEquals", "aws:CurrentTime", "2024-06-01T00:00:00Z", "2024-06-01T00:00:00Z", False),
    when("Date-epoch-policy-value", "DateLessThan", "aws:EpochTime", "1735689599", "1717200000", True),
    when("Date-epoch-vs-iso", "DateGreaterThan", "aws:EpochTime", "2024-01-01T00:00:00Z", "1717200000", True),
    when("Date-values-or", "DateEquals", "aws:CurrentTime", ["2024-01-01", "2024-06-01"], "2024-06-01T00:00:00Z", True),
    # ------------------------------------------------ Bool
    # S3 User Guide: deny requests not sent over HTTPS (Bool aws:SecureTransport false).
    guarded("https-only-http-denied-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"Bool": {"aws:SecureTransport": "false"}}), True, {"aws:SecureTransport": "false"}),
    guarded("https-only-https-passes-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"Bool": {"aws:SecureTransport": "false"}}), False, {"aws:SecureTransport": "true"}),
    when("Bool-true", "Bool", "aws:SecureTransport", "true", "true", True),
    when("Bool-json-false-vs-true", "Bool", "aws:SecureTransport", False, "true", False),
    when("Bool-absent", "Bool", "aws:SecureTransport", "true", MISSING, False),
    when("Bool-not-a-boolean-request", "Bool", "aws:SecureTransport", "true", "yes", False),
    # IAM User Guide (IfExists): BoolIfExists aws:MultiFactorAuthPresent in a Deny.
    unless("BoolIfExists-deny-no-mfa-key-doc", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", MISSING, True),
    unless("BoolIfExists-deny-mfa-false-doc", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", "false", True),
    unless("BoolIfExists-deny-mfa-true-doc", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", "true", False),
    # ------------------------------------------------ Binary
    # IAM User Guide (BinaryEquals): "QmluYXJ5VmFsdWVJbkJhc2U2NA==".
    when("BinaryEquals-doc", "BinaryEquals", "s3:x-amz-meta-blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    when("BinaryEquals-other", "BinaryEquals", "s3:x-amz-meta-blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5", False),
    when("BinaryEquals-values-or", "BinaryEquals", "s3:x-amz-meta-blob", ["YQ==", "Yg=="], "Yg==", True),
    when("BinaryEquals-absent", "BinaryEquals", "s3:x-amz-meta-blob", "YQ==", MISSING, False),
    when("BinaryEqualsIfExists-absent", "BinaryEqualsIfExists", "s3:x-amz-meta-blob", "YQ==", MISSING, True),
    when("BinaryEqualsIfExists-other", "BinaryEqualsIfExists", "s3:x-amz-meta-blob", "YQ==", "Yg==", False),
    # ------------------------------------------------ IP addresses
    # IAM User Guide (IP address): aws:SourceIp 203.0.113.0/24.
    when("IpAddress-doc-inside", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.254", True),
    when("IpAddress-doc-outside", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.112.1", False),
    when("IpAddress-values-or", "IpAddress", "aws:SourceIp", ["192.0.2.0/24", "203.0.113.0/24"], "192.0.2.7", True),
    when("IpAddress-slash-32", "IpAddress", "aws:SourceIp", "203.0.113.9/32", "203.0.113.9", True),
    when("IpAddress-ipv6-request-v4-policy", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "2001:db8::1", False),
    when("NotIpAddress-doc-outside", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", True),
    when("NotIpAddress-doc-inside", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.1", False),
    # S3 User Guide: mixing IPv4 and IPv6 ranges (IpAddress AND NotIpAddress).
    public("mixed-ip-v4-allowed-doc", MIXED_IP, True, {"aws:SourceIp": "54.240.143.1"}),
    public("mixed-ip-v4-excluded-doc", MIXED_IP, False, {"aws:SourceIp": "54.240.143.129"}),
    public("mixed-ip-v4-other-doc", MIXED_IP, False, {"aws:SourceIp": "192.0.2.1"}),
    public("mixed-ip-v6-allowed-doc", MIXED_IP, True, {"aws:SourceIp": "2001:db8:1234:5678::1"}),
    public("mixed-ip-v6-excluded-doc", MIXED_IP, False, {"aws:SourceIp": "2001:db8:1234:5678:abcd::1"}),
    public("mixed-ip-v6-other-net-doc", MIXED_IP, False, {"aws:SourceIp": "2001:db8:1234:5679::1"}),
    # S3 User Guide: deny everything from outside 192.0.2.0/24 (NotIpAddress in a Deny).
    guarded("office-ip-outside-denied-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}), True, {"aws:SourceIp": "198.51.100.10"}),
    guarded("office-ip-inside-passes-doc", deny("s3:*", [B, B + "/*"], principal="*", condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}), False, {"aws:SourceIp": "192.0.2.10"}),
    # ------------------------------------------------ ARN operators
    # IAM User Guide (ARN): aws:SourceArn of an SNS topic; S3 User Guide: server access logging.
    when("ArnEquals-doc-topic", "ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID", True),
    when("ArnEquals-other-account", "ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID", "arn:aws:sns:us-east-2:210987654321:TOPIC-ID", False),
    when("ArnLike-any-region", "ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:TOPIC-*", "arn:aws:sns:eu-west-1:123456789012:TOPIC-7", True),
    when("ArnLike-star-stays-in-region-part", "ArnLike", "aws:SourceArn", "arn:aws:sns:*:TOPIC-ID", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID", False),
    when("ArnNotEquals-other", "ArnNotEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-ID", "arn:aws:sns:us-east-2:123456789012:OTHER", True),
    when("ArnNotLike-matching", "ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-2:123456789012:OTHER", False),
    when("ArnNotLike-absent-true", "ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", MISSING, True),
    when("ArnLikeIfExists-absent", "ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", MISSING, True),
    when("ArnEqualsIfExists-other", "ArnEqualsIfExists", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:A", "arn:aws:sns:us-east-2:123456789012:B", False),
    Case("logging-service-doc", A_RES, (), LOGGING_POLICY, caller=LOGGING, action="s3:PutObject", resource=B + "/logs/2024-06-01", keys={"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-source-bucket", "aws:SourceAccount": OWNER}),
    Case("logging-service-other-source-doc", N_RES, (), LOGGING_POLICY, caller=LOGGING, action="s3:PutObject", resource=B + "/logs/2024-06-01", keys={"aws:SourceArn": "arn:aws:s3:::someone-elses-bucket", "aws:SourceAccount": OWNER}),
    Case("logging-service-confused-deputy-doc", N_RES, (), LOGGING_POLICY, caller=LOGGING, action="s3:PutObject", resource=B + "/logs/2024-06-01", keys={"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-source-bucket", "aws:SourceAccount": PARTNER}),
    Case("logging-service-outside-prefix-doc", N_RES, (), LOGGING_POLICY, caller=LOGGING, action="s3:PutObject", resource=B + "/data/x", keys={"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-source-bucket", "aws:SourceAccount": OWNER}),
    # ------------------------------------------------ Null
    # IAM User Guide (Null): aws:TokenIssueTime true = not temporary credentials.
    when("Null-true-long-term-keys-doc", "Null", "aws:TokenIssueTime", "true", MISSING, True),
    when("Null-true-temporary-doc", "Null", "aws:TokenIssueTime", "true", "2024-06-01T00:00:00Z", False, caller=SESSION),
    when("Null-false-temporary", "Null", "aws:TokenIssueTime", "false", "2024-06-01T00:00:00Z", True, caller=SESSION),
    when("Null-false-absent", "Null", "aws:TokenIssueTime", "false", MISSING, False),
    # S3 User Guide: requiring MFA (Null aws:MultiFactorAuthAge, NumericGreaterThan 3600).
    Case("mfa-absent-denied-doc", X_RES, (), policy(*MFA), caller=ANON, resource=B + "/taxdocuments/2023.pdf"),
    Case("mfa-too-old-denied-doc", X_RES, (), policy(*MFA), caller=ANON, resource=B + "/taxdocuments/2023.pdf", keys={"aws:MultiFactorAuthAge": "7200"}),
    Case("mfa-recent-allowed-doc", A_RES, (), policy(*MFA), caller=ANON, resource=B + "/taxdocuments/2023.pdf", keys={"aws:MultiFactorAuthAge": "60"}),
    Case("mfa-other-folder-doc", A_RES, (), policy(*MFA), caller=ANON, resource=B + "/public/readme.txt"),
    # ------------------------------------------------ …IfExists on each family
    # IAM User Guide global keys: IpAddressIfExists aws:SourceIp + StringEqualsIfExists aws:SourceVpc.
    Case("IfExists-doc-both-absent", A_ID, [policy(allow(condition={"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}, "StringEqualsIfExists": {"aws:SourceVpc": "vpc-111bbb22"}}))]),
    Case("IfExists-doc-ip-present-ok", A_ID, [policy(allow(condition={"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}, "StringEqualsIfExists": {"aws:SourceVpc": "vpc-111bbb22"}}))], keys={"aws:SourceIp": "192.0.2.1"}),
    Case("IfExists-doc-vpc-present-other", N_ID, [policy(allow(condition={"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}, "StringEqualsIfExists": {"aws:SourceVpc": "vpc-111bbb22"}}))], keys={"aws:SourceVpc": "vpc-999zzz00"}),
    when("StringNotEqualsIfExists-absent", "StringNotEqualsIfExists", "aws:SourceVpc", "vpc-111bbb22", MISSING, True),
    when("StringNotEqualsIfExists-equal", "StringNotEqualsIfExists", "aws:SourceVpc", "vpc-111bbb22", "vpc-111bbb22", False),
    when("StringEqualsIgnoreCaseIfExists-absent", "StringEqualsIgnoreCaseIfExists", "aws:PrincipalTag/team", "Blue", MISSING, True),
    when("StringLikeIfExists-present-miss", "StringLikeIfExists", "aws:PrincipalTag/team", "blue*", "red", False),
    when("NumericLessThanEqualsIfExists-absent", "NumericLessThanEqualsIfExists", "s3:max-keys", "10", MISSING, True),
    when("NumericLessThanEqualsIfExists-present", "NumericLessThanEqualsIfExists", "s3:max-keys", "10", "5", True),
    when("NumericGreaterThanIfExists-present-miss", "NumericGreaterThanIfExists", "s3:max-keys", "10", "5", False),
    when("DateGreaterThanIfExists-absent", "DateGreaterThanIfExists", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", MISSING, True),
    when("DateGreaterThanIfExists-present-miss", "DateGreaterThanIfExists", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2019-01-01T00:00:00Z", False, caller=SESSION),
    when("BoolIfExists-absent", "BoolIfExists", "aws:SecureTransport", "true", MISSING, True),
    when("BoolIfExists-present-miss", "BoolIfExists", "aws:SecureTransport", "true", "false", False),
    when("NotIpAddressIfExists-absent", "NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", MISSING, True),
    when("NotIpAddressIfExists-inside", "NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "10.9.8.7", False),
    when("ArnNotLikeIfExists-matching", "ArnNotLikeIfExists", "aws:SourceArn", "arn:aws:s3:::amzn-*", "arn:aws:s3:::amzn-s3-demo-source-bucket", False),
    # ------------------------------------------------ ForAllValues / ForAnyValue
    # IAM User Guide, "Multivalued context key examples": Deny ForAllValues:StringNotLike key1*.
    unless("ForAllValues-deny-key1-legal-doc", "ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key1:legal"], False),
    unless("ForAllValues-deny-key1-two-doc", "ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key1:hr", "key1:personnel"], False),
    unless("ForAllValues-deny-key2-doc", "ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key2:audit"], True),
    unless("ForAllValues-deny-no-tags-doc", "ForAllValues:StringNotLike", "aws:TagKeys", "key1*", MISSING, True),
    # … the same with two policy values (key1* or key2*).
    unless("ForAllValues-deny-two-values-key1-doc", "ForAllValues:StringNotLike", "aws:TagKeys", ["key1*", "key2*"], ["key1:legal"], False),
    unless("ForAllValues-deny-two-values-both-doc", "ForAllValues:StringNotLike", "aws:TagKeys", ["key1*", "key2*"], ["key1:hr", "key2:audit"], False),
    unless("ForAllValues-deny-two-values-key3-doc", "ForAllValues:StringNotLike", "aws:TagKeys", ["key1*", "key2*"], ["key3:legal"], True),
    unless("ForAllValues-deny-two-values-absent-doc", "ForAllValues:StringNotLike", "aws:TagKeys", ["key1*", "key2*"], MISSING, True),
    # … Allow ForAnyValue:StringEquals key1 / key2: any request value must be listed.
    Case("ForAnyValue-allow-key1-doc", A_ID, [policy(allow(condition=TAGS_ANY))], keys={"aws:TagKeys": ["key1"]}),
    Case("ForAnyValue-allow-key1-and-key3-doc", A_ID, [policy(allow(condition=TAGS_ANY))], keys={"aws:TagKeys": ["key1", "key3"]}),
    Case("ForAnyValue-allow-key3-doc", N_ID, [policy(allow(condition=TAGS_ANY))], keys={"aws:TagKeys": ["key3"]}),
    Case("ForAnyValue-allow-no-tags-doc", N_ID, [policy(allow(condition=TAGS_ANY))]),
    # IAM User Guide: ForAllValues in an Allow is true for a request without the key; guard with Null.
    Case("ForAllValues-allow-subset", A_ID, [policy(allow(condition=EVERY_TAG_KNOWN))], keys={"aws:TagKeys": ["environment"]}),
    Case("ForAllValues-allow-one-unknown", N_ID, [policy(allow(condition=EVERY_TAG_KNOWN))], keys={"aws:TagKeys": ["environment", "owner"]}),
    Case("ForAllValues-allow-absent-true-doc", A_ID, [policy(allow(condition=EVERY_TAG_KNOWN))]),
    Case("ForAllValues-allow-empty-set-doc", A_ID, [policy(allow(condition=EVERY_TAG_KNOWN))], keys={"aws:TagKeys": []}),
    Case("ForAllValues-with-Null-false-absent-doc", N_ID, [policy(allow(condition={**EVERY_TAG_KNOWN, "Null": {"aws:TagKeys": "false"}}))]),
    Case("ForAllValues-with-Null-false-present-doc", A_ID, [policy(allow(condition={**EVERY_TAG_KNOWN, "Null": {"aws:TagKeys": "false"}}))], keys={"aws:TagKeys": ["cost-center"]}),
    when("ForAnyValue-empty-set-false", "ForAnyValue:StringEquals", "aws:TagKeys", "environment", [], False),
    when("ForAllValues-StringEqualsIgnoreCase", "ForAllValues:StringEqualsIgnoreCase", "aws:TagKeys", ["Environment", "Cost-Center"], ["environment", "COST-CENTER"], True),
    when("ForAnyValue-StringLike", "ForAnyValue:StringLike", "aws:TagKeys", "cost-*", ["owner", "cost-center"], True),
    when("ForAnyValue-StringNotLike-one-outside", "ForAnyValue:StringNotLike", "aws:TagKeys", "cost-*", ["owner", "cost-center"], True),
    when("ForAnyValue-StringNotLike-all-inside", "ForAnyValue:StringNotLike", "aws:TagKeys", "cost-*", ["cost-a", "cost-b"], False),
    when("ForAllValues-StringNotEqualsIgnoreCase", "ForAllValues:StringNotEqualsIgnoreCase", "aws:TagKeys", "OWNER", ["team", "Owner"], False),
    when("ForAnyValue-ArnLike", "ForAnyValue:ArnLike", "aws:SourceArn", "arn:aws:s3:::amzn-*", ["arn:aws:s3:::other", "arn:aws:s3:::amzn-logs"], True),
    when("ForAllValues-NumericLessThanEquals", "ForAllValues:NumericLessThanEquals", "s3:x-amz-meta-sizes", "100", ["5", "100"], True),
    when("ForAnyValue-DateGreaterThan", "ForAnyValue:DateGreaterThan", "s3:x-amz-meta-dates", "2024-01-01T00:00:00Z", ["2023-06-01T00:00:00Z", "2024-06-01T00:00:00Z"], True),
    when("ForAllValues-IpAddress-all-inside", "ForAllValues:IpAddress", "s3:x-amz-meta-hops", "10.0.0.0/8", ["10.0.0.1", "10.1.1.1"], True),
    when("ForAnyValue-Bool", "ForAnyValue:Bool", "s3:x-amz-meta-flags", "true", ["false", "true"], True),
    when("ForAllValues-single-valued-request", "ForAllValues:StringLike", "aws:PrincipalTag/team", "blue*", "blue-2", True),
    # ------------------------------------------------ several values (OR), several keys (AND)
    # IAM User Guide, "Conditions with multiple context keys or values": bucket policy ExamplePolicy.
    Case("multi-mary-legal-audit-doc", A_BOTH, ORG_LIST, MULTI, caller=MARY, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "audit"}),
    Case("multi-ana-hr-security-doc", A_BOTH, ORG_LIST, MULTI, caller=ANA, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "security"}),
    Case("multi-role-not-listed-doc", N_RES, ORG_LIST, MULTI, caller=MARY, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "developer"}),
    Case("multi-role-tag-missing-doc", N_RES, ORG_LIST, MULTI, caller=MARY, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "finance"}),
    Case("multi-other-user-doc", N_RES, ORG_LIST, MULTI, caller=JOHN, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "finance", "aws:PrincipalTag/role": "audit"}),
    Case("multi-identity-must-allow-too", N_ID, (), MULTI, caller=MARY, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "audit"}),
    # … its negated twin (each negated key NOR over its values; the keys AND).
    Case("multi-not-all-differ-denied-doc", X_RES, ORG_LIST, MULTI_NOT, caller=JOHN, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "engineering", "aws:PrincipalTag/role": "developer"}),
    Case("multi-not-department-listed-doc", A_BOTH, ORG_LIST, MULTI_NOT, caller=JOHN, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "developer"}),
    Case("multi-not-listed-user-doc", A_BOTH, ORG_LIST, MULTI_NOT, caller=ANA, action="s3:ListBucket", resource=B, keys={"aws:PrincipalTag/department": "engineering", "aws:PrincipalTag/role": "developer"}),
    Case("multi-not-tags-missing-doc", X_RES, ORG_LIST, MULTI_NOT, caller=JOHN, action="s3:ListBucket", resource=B),
    # Condition key names are case-insensitive; values are not (IAM User Guide, Condition element).
    Case("key-name-any-case-in-policy", A_ID, [policy(allow(condition={"StringEquals": {"AWS:PRINCIPALTAG/Team": "blue"}}))], keys={"aws:PrincipalTag/team": "blue"}),
    Case("key-name-any-case-in-request", A_ID, [policy(allow(condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))], keys={"Aws:principaltag/TEAM": "blue"}),
    Case("key-value-case-kept", N_ID, [policy(allow(condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))], keys={"aws:PrincipalTag/team": "Blue"}),
    Case("operator-blocks-and", N_ID, [policy(allow(condition={"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))], keys={"aws:SecureTransport": "true", "aws:SourceIp": "198.51.100.1"}),
    Case("deny-needs-every-condition", A_ID, [policy(allow(), deny(condition={"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))], keys={"aws:SecureTransport": "false", "aws:SourceIp": "198.51.100.1"}),
    # ------------------------------------------------ policy variables
    # IAM User Guide: "Amazon S3: Allows IAM users access to their S3 home directory".
    Case("home-list-root-doc", A_ID, [HOME], action="s3:ListBucket", resource=B, keys={"s3:prefix": ""}),
    Case("home-list-home-doc", A_ID, [HOME], action="s3:ListBucket", resource=B, keys={"s3:prefix": "home/"}),
    Case("home-list-own-doc", A_ID, [HOME], action="s3:ListBucket", resource=B, keys={"s3:prefix": "home/Alice/photos/"}),
    Case("home-list-other-doc", N_ID, [HOME], action="s3:ListBucket", resource=B, keys={"s3:prefix": "home/Dave/"}),
    Case("home-list-no-prefix-doc", N_ID, [HOME], action="s3:ListBucket", resource=B),
    Case("home-get-own-doc", A_ID, [HOME], resource=B + "/home/Alice/notes.txt"),
    Case("home-put-own-folder-doc", A_ID, [HOME], action="s3:PutObject", resource=B + "/home/Alice"),
    Case("home-get-other-doc", N_ID, [HOME], resource=B + "/home/Dave/notes.txt"),
    Case("home-other-user-own-doc", A_ID, [HOME], caller=DAVE, resource=B + "/home/Dave/notes.txt"),
    Case("home-name-is-case-sensitive", N_ID, [HOME], resource=B + "/home/alice/notes.txt"),
    Case("home-list-all-buckets-doc", A_ID, [HOME], action="s3:ListAllMyBuckets", resource="arn:aws:s3:::*"),
    Case("home-role-session-has-no-username-doc", N_ID, [HOME], caller=SESSION, resource=B + "/home/reader/notes.txt"),
    # re:Post "IAM policy variables with federated users": ${aws:userid} is ACCOUNT:caller-name.
    Case("userid-federated-doc", A_ID, [policy(allow("s3:GetObject", B + "/${aws:userid}/*"))], caller=FED, resource=B + f"/{OWNER}:Bob/x"),
    Case("username-federated-absent-doc", N_ID, [policy(allow("s3:GetObject", B + "/${aws:username}/*"))], caller=FED, resource=B + "/Bob/x"),
    # IAM User Guide, principal key values: root userid is the account id, a session's is role-id:session.
    Case("userid-root-account-id", A_ROOT, (), policy(deny("s3:GetObject", B + "/${aws:userid}/*", principal="*", not_resource=True)), caller=ROOT, resource=B + f"/{OWNER}/x"),
    Case("userid-root-elsewhere", X_RES, (), policy(deny("s3:GetObject", B + "/${aws:userid}/*", principal="*", not_resource=True)), caller=ROOT, resource=B + "/shared/x"),
    Case("userid-session-doc", A_ID, [policy(allow("s3:GetObject", B + "/${aws:userid}/*"))], caller=SESSION, resource=B + "/AROAREADEREXAMPLE:app/x"),
    Case("principal-account-own", A_ID, [policy(allow(condition={"StringEquals": {"s3:ResourceAccount": "${aws:PrincipalAccount}"}}))], keys={"s3:ResourceAccount": OWNER}),
    Case("principal-account-foreign", N_ID, [policy(allow(condition={"StringEquals": {"s3:ResourceAccount": "${aws:PrincipalAccount}"}}))], policy(allow(principal={"AWS": PARTNER})), caller=BOB, keys={"s3:ResourceAccount": OWNER}),
    Case("principal-account-in-arn-like", A_ID, [policy(allow(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}}))]),
    # IAM User Guide ABAC: aws:ResourceTag/project must equal the caller's project tag.
    Case("abac-same-project-doc", A_ID, [policy(allow(condition=ABAC))], keys={"aws:ResourceTag/project": "Pegasus", "aws:PrincipalTag/project": "Pegasus"}),
    Case("abac-other-project-doc", N_ID, [policy(allow(condition=ABAC))], keys={"aws:ResourceTag/project": "Unicorn", "aws:PrincipalTag/project": "Pegasus"}),
    Case("abac-untagged-principal-doc", N_ID, [policy(allow(condition=ABAC))], keys={"aws:ResourceTag/project": "Pegasus"}),
    # IAM User Guide, "Specifying default values": ${aws:PrincipalTag/team, 'company-wide'}.
    Case("default-used-without-tag-doc", A_ID, [policy(allow("s3:GetObject", TEAM_HOME))], resource=B + "/company-wide/handbook.pdf"),
    Case("default-ignored-with-tag-doc", N_ID, [policy(allow("s3:GetObject", TEAM_HOME))], resource=B + "/company-wide/handbook.pdf", keys={"aws:PrincipalTag/team": "blue"}),
    Case("default-tag-value-used-doc", A_ID, [policy(allow("s3:GetObject", TEAM_HOME))], resource=B + "/blue/plan.txt", keys={"aws:PrincipalTag/team": "blue"}),
    Case("default-anonymous-userid-doc", A_RES, (), policy(allow("s3:ListBucket", B, principal="*", condition={"StringLike": {"s3:prefix": "${aws:userid, 'anonymous'}/*"}})), caller=ANON, action="s3:ListBucket", resource=B, keys={"s3:prefix": "anonymous/x"}),
    Case("default-in-condition", A_ID, [policy(allow(condition={"StringLike": {"s3:prefix": "${aws:username, 'guest'}/*"}}))], caller=SESSION, keys={"s3:prefix": "guest/a"}),
    # IAM User Guide: a variable that cannot be resolved makes its value match nothing.
    Case("unresolved-in-resource", N_ID, [policy(allow("s3:GetObject", B + "/${aws:TokenIssueTime}/*"))], resource=B + "/x/y"),
    Case("unresolved-in-StringLike", N_ID, [policy(allow(condition={"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}/*"}}))], keys={"s3:prefix": "blue/x"}),
    Case("unresolved-one-of-two-values", A_ID, [policy(allow(condition={"StringLike": {"s3:prefix": ["${aws:PrincipalTag/team}/*", "public/*"]}}))], keys={"s3:prefix": "public/x"}),
    # IAM User Guide, special characters: ${*} ${?} ${$} stand for the literal character.
    Case("special-star-resource", A_ID, [policy(allow("s3:GetObject", B + "/${*}report"))], resource=B + "/*report"),
    Case("special-star-resource-not-wildcard", N_ID, [policy(allow("s3:GetObject", B + "/${*}report"))], resource=B + "/Q1report"),
    Case("special-question-resource", A_ID, [policy(allow("s3:GetObject", B + "/faq${?}"))], resource=B + "/faq?"),
    Case("special-question-not-wildcard", N_ID, [policy(allow("s3:GetObject", B + "/faq${?}"))], resource=B + "/faqs"),
    Case("special-dollar-StringLike", A_ID, [policy(allow(condition={"StringLike": {"s3:prefix": "${$}*"}}))], keys={"s3:prefix": "$HOME/x"}),
    Case("special-dollar-literal-brace", A_ID, [policy(allow(condition={"StringEquals": {"s3:prefix": "${$}{aws:username}"}}))], keys={"s3:prefix": "${aws:username}"}),
    # IAM User Guide: without Version 2012-10-17, ${aws:username} is literal text.
    Case("no-version-variable-literal", N_RES, (), policy(allow("s3:GetObject", B + "/${aws:username}/*", principal="*"), version=None), caller=ANON, resource=B + "/Alice/x"),
    Case("no-version-variable-literal-match", A_RES, (), policy(allow("s3:GetObject", B + "/${aws:username}/*", principal="*"), version=None), caller=ANON, resource=B + "/${aws:username}/x"),
    # ------------------------------------------------ Principal element
    # IAM User Guide, "Principal": everyone, accounts, users, roles, sessions, services.
    Case("principal-star-anonymous-doc", A_RES, (), PUBLIC_READ, caller=ANON),
    Case("principal-aws-star-anonymous-doc", A_RES, (), policy(allow(principal={"AWS": "*"})), caller=ANON),
    Case("principal-star-same-account-user", A_RES, (), PUBLIC_READ),
    Case("principal-account-id-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": PARTNER})), caller=BOB),
    Case("principal-root-arn-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:iam::{PARTNER}:root"})), caller=CAROL),
    Case("principal-account-list-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": [ORG, f"arn:aws:iam::{PARTNER}:root"]})), caller=BOB),
    Case("principal-user-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:iam::{PARTNER}:user/Bob"})), caller=BOB),
    Case("principal-user-other-user", N_RES, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:iam::{PARTNER}:user/Bob"})), caller=CAROL),
    Case("principal-user-not-its-root", N_RES, (), policy(allow(principal={"AWS": f"arn:aws:iam::{PARTNER}:user/Bob"})), caller=PARTNER_ROOT),
    Case("principal-role-any-session-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:iam::{PARTNER}:role/cross-account-read-only-role"})), caller=AUDIT_OTHER),
    Case("principal-session-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:sts::{PARTNER}:assumed-role/cross-account-read-only-role/cross-account-audit-app"})), caller=AUDIT),
    Case("principal-session-other-session", N_RES, [ALLOW_ALL], policy(allow(principal={"AWS": f"arn:aws:sts::{PARTNER}:assumed-role/cross-account-read-only-role/cross-account-audit-app"})), caller=AUDIT_OTHER),
    Case("principal-same-account-session", A_RES, (), policy(allow(principal={"AWS": f"arn:aws:sts::{OWNER}:assumed-role/reader/app"})), caller=SESSION),
    Case("principal-same-account-role", A_RES, (), policy(allow(principal={"AWS": f"arn:aws:iam::{OWNER}:role/reader"})), caller=SESSION),
    Case("principal-federated-user-session", A_RES, (), policy(allow(principal={"AWS": f"arn:aws:sts::{OWNER}:federated-user/Bob"})), caller=FED),
    Case("principal-services-doc", A_RES, (), policy(allow(principal={"Service": ["elasticmapreduce.amazonaws.com", "datapipeline.amazonaws.com"]})), caller=EMR),
    Case("principal-service-not-listed", N_RES, (), policy(allow(principal={"Service": "datapipeline.amazonaws.com"})), caller=EMR),
    Case("principal-service-vs-user", N_ID, (), policy(allow(principal={"Service": "elasticmapreduce.amazonaws.com"}))),
    Case("principal-account-not-anonymous", N_RES, (), policy(allow(principal={"AWS": OWNER})), caller=ANON),
    Case("principal-mixed-types", A_RES, (), policy(allow(principal={"AWS": f"arn:aws:iam::{OWNER}:user/Alice", "Service": "logging.s3.amazonaws.com"})), caller=LOGGING),
    # ------------------------------------------------ NotPrincipal
    # IAM User Guide, "NotPrincipal": deny all but Bob, naming Bob and his account.
    Case("notprincipal-bob-spared-doc", A_BOTH, [ALLOW_ALL], NOT_BOB, caller=BOB),
    Case("notprincipal-carol-denied-doc", X_RES, [ALLOW_ALL], NOT_BOB, caller=CAROL),
    Case("notprincipal-account-root-named", A_BOTH, (), NOT_BOB, caller=PARTNER_ROOT),
    Case("notprincipal-bucket-owner-user-denied-doc", X_RES, [ALLOW_ALL], NOT_BOB, caller=ALICE),
    Case("notprincipal-anonymous-denied-doc", X_RES, (), NOT_BOB, caller=ANON),
    Case("notprincipal-service-denied", X_RES, (), NOT_BOB, caller=LOGGING),
    # … deny all but one assumed-role session, naming the session, its role and its account.
    Case("notprincipal-session-spared-doc", A_BOTH, [ALLOW_ALL], NOT_AUDIT, caller=AUDIT),
    Case("notprincipal-other-session-denied-doc", X_RES, [ALLOW_ALL], NOT_AUDIT, caller=AUDIT_OTHER),
    Case("notprincipal-user-of-account-denied-doc", X_RES, [ALLOW_ALL], NOT_AUDIT, caller=BOB),
    Case("notprincipal-allow-everyone-else", A_RES, (), policy(allow(not_principal={"AWS": f"arn:aws:iam::{OWNER}:user/Dave"})), caller=ANON),
    Case("notprincipal-allow-not-the-named", N_ID, (), policy(allow(not_principal={"AWS": ALICE.arn}))),
    # IAM User Guide recommends instead: Principal "*" with ArnNotEquals aws:PrincipalArn.
    Case("principalarn-instead-spared-doc", A_BOTH, [ALLOW_ALL], policy(allow("s3:*", principal="*"), deny("s3:*", principal="*", condition={"ArnNotEquals": {"aws:PrincipalArn": BOB.arn}})), caller=BOB),
    Case("principalarn-instead-denied-doc", X_RES, [ALLOW_ALL], policy(allow("s3:*", principal="*"), deny("s3:*", principal="*", condition={"ArnNotEquals": {"aws:PrincipalArn": BOB.arn}})), caller=CAROL),
    Case("principalarn-is-role-for-sessions-doc", A_BOTH, [ALLOW_ALL], policy(allow("s3:*", principal="*"), deny("s3:*", principal="*", condition={"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/cross-account-read-only-role"}})), caller=AUDIT_OTHER),
    # ------------------------------------------------ Action / NotAction
    Case("action-list-doc", A_ID, [policy(allow(["s3:GetObject", "s3:GetObjectVersion"]))], action="s3:GetObjectVersion"),
    Case("action-prefix-wildcard", A_ID, [policy(allow("s3:Get*"))], action="s3:GetObjectTagging"),
    Case("action-prefix-wildcard-miss", N_ID, [policy(allow("s3:Get*"))], action="s3:ListBucket", resource=B),
    Case("action-inner-wildcard", A_ID, [policy(allow("s3:*Object*"))], action="s3:PutObjectAcl"),
    Case("action-question-mark", A_ID, [policy(allow("s3:?utObject"))], action="s3:PutObject"),
    Case("action-any-case", A_ID, [policy(allow("S3:GETOBJECT"))], action="s3:GetObject"),
    Case("action-other-service-star", N_ID, [policy(allow("iam:*"))]),
    Case("notaction-allows-the-rest-doc", A_ID, [policy(allow("s3:DeleteBucket", not_action=True))], action="s3:PutObject"),
    Case("notaction-excludes-named-doc", N_ID, [policy(allow("s3:DeleteBucket", not_action=True))], action="s3:DeleteBucket", resource=B),
    Case("notaction-list", N_ID, [policy(allow(["s3:Delete*", "s3:Put*"], not_action=True))], action="s3:PutObject"),
    Case("notaction-deny-all-but-get", X_ID, [policy(allow("s3:*"), deny("s3:Get*", not_action=True))], action="s3:PutObject"),
    Case("notaction-deny-spares-get", A_ID, [policy(allow("s3:*"), deny("s3:Get*", not_action=True))]),
    # ------------------------------------------------ Resource / NotResource
    Case("resource-bucket-objects-doc", A_ID, [policy(allow("s3:*", [B, B + "/*"]))], action="s3:ListBucket", resource=B),
    Case("resource-objects-under-prefix", A_ID, [policy(allow("s3:GetObject", B + "/projects/*"))], resource=B + "/projects/a/b/c.txt"),
    Case("resource-prefix-other-folder", N_ID, [policy(allow("s3:GetObject", B + "/projects/*"))], resource=B + "/private/c.txt"),
    Case("resource-star-bucket-name", A_ID, [policy(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-*/shared/*"))], resource=B + "/shared/x"),
    Case("resource-question-per-char", A_ID, [policy(allow("s3:GetObject", B + "/2024-0?/*"))], resource=B + "/2024-06/report"),
    Case("resource-question-not-two", N_ID, [policy(allow("s3:GetObject", B + "/2024-0?/*"))], resource=B + "/2024-006/report"),
    Case("resource-case-sensitive", N_ID, [policy(allow("s3:GetObject", B + "/Projects/*"))], resource=B + "/projects/x"),
    Case("resource-other-bucket", N_ID, [policy(allow("s3:*", [B, B + "/*"]))], resource="arn:aws:s3:::amzn-s3-demo-bucket2/x"),
    Case("notresource-allow-elsewhere", A_ID, [policy(allow("s3:*", [B, B + "/*"], not_resource=True))], resource="arn:aws:s3:::other-bucket/x"),
    Case("notresource-allow-excluded", N_ID, [policy(allow("s3:*", [B, B + "/*"], not_resource=True))]),
    Case("notresource-deny-outside-folder", X_ID, [policy(allow("s3:*"), deny("s3:*", B + "/team/*", not_resource=True))], resource=B + "/other/x"),
    Case("notresource-deny-inside-folder", A_ID, [policy(allow("s3:*"), deny("s3:*", B + "/team/*", not_resource=True))], resource=B + "/team/x"),
    Case("notresource-star-applies-nowhere", N_ID, [policy(allow("s3:*", "*", not_resource=True))]),
    # ------------------------------------------------ Sid, statement shapes, several policies
    Case("statement-as-object", A_ID, [{"Version": "2012-10-17", "Statement": allow(sid="Single")}]),
    Case("bucket-statement-as-object", A_RES, (), {"Version": "2012-10-17", "Statement": allow(principal="*", sid="Public")}, caller=ANON),
    Case("sids-do-not-matter", X_ID, [policy(allow(sid="AllowAll"), deny(sid="DenyAll"))]),
    Case("allow-in-second-policy", A_ID, [policy(allow("s3:PutObject")), policy(allow("s3:GetObject"))]),
    Case("deny-in-second-policy", X_ID, [policy(allow("s3:*")), policy(deny("s3:GetObject"))]),
    # ------------------------------------------------ evaluation: one account
    # IAM User Guide, "Policy evaluation logic" and S3 User Guide, "How Amazon S3 authorizes a request".
    Case("same-nothing-allows", N_ID),
    Case("same-identity-allow", A_ID, [ALLOW_ALL]),
    Case("same-bucket-names-user", A_RES, (), policy(allow(principal={"AWS": ALICE.arn}))),
    Case("same-either-allow-identity-first", A_ID, [ALLOW_ALL], policy(allow(principal={"AWS": ALICE.arn}))),
    Case("same-bucket-grants-account-delegates", N_ID, (), policy(allow(principal={"AWS": OWNER}))),
    Case("same-bucket-grants-root-arn-delegates", N_ID, (), policy(allow(principal={"AWS": f"arn:aws:iam::{OWNER}:root"})), caller=SESSION),
    Case("same-delegation-plus-identity", A_ID, [ALLOW_ALL], policy(allow(principal={"AWS": OWNER}))),
    Case("same-identity-deny-beats-bucket-allow", X_ID, [policy(deny("s3:*"))], policy(allow(principal={"AWS": ALICE.arn}))),
    Case("same-bucket-deny-beats-identity-allow", X_RES, [ALLOW_ALL], policy(deny(principal={"AWS": ALICE.arn}))),
    Case("same-bucket-deny-for-other-user", A_ID, [ALLOW_ALL], policy(deny(principal={"AWS": DAVE.arn}))),
    Case("same-identity-and-bucket-deny", X_ID, [policy(deny())], policy(deny(principal="*"))),
    Case("same-session-identity-allow", A_ID, [ALLOW_ALL], caller=SESSION),
    # ------------------------------------------------ evaluation: across accounts
    # IAM User Guide, "Cross-account policy evaluation logic": both sides must allow.
    Case("cross-identity-only-doc", N_RES, [ALLOW_ALL], caller=BOB),
    Case("cross-bucket-only-doc", N_ID, (), policy(allow(principal={"AWS": BOB.arn})), caller=BOB),
    Case("cross-both-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal={"AWS": BOB.arn})), caller=BOB),
    Case("cross-bucket-deny-doc", X_RES, [ALLOW_ALL], policy(allow(principal={"AWS": PARTNER}), deny(principal={"AWS": BOB.arn})), caller=BOB),
    Case("cross-identity-deny-doc", X_ID, [policy(allow("s3:*"), deny("s3:GetObject"))], policy(allow(principal={"AWS": PARTNER})), caller=BOB),
    Case("cross-identity-other-action", N_ID, [policy(allow("s3:PutObject"))], policy(allow("s3:*", principal={"AWS": PARTNER})), caller=BOB),
    Case("cross-bucket-other-action", N_RES, [ALLOW_ALL], policy(allow("s3:PutObject", principal={"AWS": PARTNER})), caller=BOB),
    Case("cross-grant-to-third-account", N_RES, [ALLOW_ALL], policy(allow(principal={"AWS": ORG})), caller=BOB),
    Case("cross-root-needs-bucket-policy", N_RES, (), caller=PARTNER_ROOT),
    Case("cross-root-with-grant", A_BOTH, (), policy(allow(principal={"AWS": PARTNER})), caller=PARTNER_ROOT),
    # S3 User Guide: cross-account upload that must give the bucket owner full control.
    Case("cross-upload-acl-ok-doc", A_BOTH, [ALLOW_ALL], policy(allow("s3:PutObject", B + "/*", principal={"AWS": BOB.arn}, condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})), caller=BOB, action="s3:PutObject", keys={"s3:x-amz-acl": "bucket-owner-full-control"}),
    Case("cross-upload-acl-missing-doc", N_RES, [ALLOW_ALL], policy(allow("s3:PutObject", B + "/*", principal={"AWS": BOB.arn}, condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})), caller=BOB, action="s3:PutObject"),
    # S3 User Guide: restrict to principals of an organization (aws:PrincipalOrgID).
    Case("org-member-doc", A_BOTH, [ALLOW_ALL], policy(allow(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}})), caller=BOB, keys={"aws:PrincipalOrgID": "o-exampleorgid"}),
    Case("org-outsider-doc", N_RES, [ALLOW_ALL], policy(allow(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}})), caller=BOB, keys={"aws:PrincipalOrgID": "o-otherorgid1"}),
    Case("org-anonymous-doc", N_RES, (), policy(allow(principal="*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}})), caller=ANON),
    # ------------------------------------------------ anonymous and service callers
    # S3 User Guide: read-only permission to an anonymous user (GetObject, GetObjectVersion).
    Case("public-read-get-doc", A_RES, (), PUBLIC_READ, caller=ANON),
    Case("public-read-version-doc", A_RES, (), PUBLIC_READ, caller=ANON, action="s3:GetObjectVersion"),
    Case("public-read-no-put-doc", N_RES, (), PUBLIC_READ, caller=ANON, action="s3:PutObject"),
    Case("public-read-no-list-doc", N_RES, (), PUBLIC_READ, caller=ANON, action="s3:ListBucket", resource=B),
    Case("anonymous-identity-policies-ignored", N_RES, [ALLOW_ALL], caller=ANON),
    Case("anonymous-bucket-deny", X_RES, (), policy(allow(principal="*"), deny(principal="*", condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), caller=ANON, keys={"aws:SourceIp": "203.0.113.9"}),
    Case("service-identity-policies-ignored", N_RES, [ALLOW_ALL], caller=LOGGING),
    Case("service-principal-star", A_RES, (), policy(allow("s3:PutObject", principal="*")), caller=LOGGING, action="s3:PutObject"),
    # ------------------------------------------------ the account root user
    # S3 User Guide (bucket policies): the owner's root is bounded only by explicit denies, and can
    # always read, change or delete the bucket policy, so nobody locks it out.
    Case("root-no-policies", A_ROOT, caller=ROOT),
    Case("root-bucket-allows-too", A_ROOT, (), policy(allow(principal="*")), caller=ROOT),
    Case("root-bucket-deny", X_RES, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT),
    Case("root-bucket-deny-names-root", X_RES, (), policy(deny(principal={"AWS": OWNER})), caller=ROOT),
    Case("root-deny-for-users-only", A_ROOT, (), policy(deny(principal={"AWS": ALICE.arn})), caller=ROOT),
    Case("root-lockout-put-policy-doc", A_ROOT, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT, action="s3:PutBucketPolicy", resource=B),
    Case("root-lockout-get-policy-doc", A_ROOT, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT, action="s3:GetBucketPolicy", resource=B),
    Case("root-lockout-delete-policy-doc", A_ROOT, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT, action="s3:DeleteBucketPolicy", resource=B),
    Case("root-lockout-not-delete-bucket", X_RES, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT, action="s3:DeleteBucket", resource=B),
    Case("root-lockout-not-put-acl", X_RES, (), policy(deny("s3:*", [B, B + "/*"], principal="*")), caller=ROOT, action="s3:PutBucketAcl", resource=B),
    Case("root-lockout-not-for-users", X_RES, [ALLOW_ALL], policy(deny("s3:*", [B, B + "/*"], principal="*")), action="s3:PutBucketPolicy", resource=B),
    Case("root-lockout-not-for-other-root", X_RES, (), policy(allow("s3:*", [B, B + "/*"], principal={"AWS": PARTNER}), deny("s3:DeleteBucketPolicy", B, principal="*")), caller=PARTNER_ROOT, action="s3:DeleteBucketPolicy", resource=B),
    Case("root-insecure-transport-denied", X_RES, (), policy(deny("s3:*", [B, B + "/*"], principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})), caller=ROOT, keys={"aws:SecureTransport": "false"}),
    Case("root-secure-transport-passes", A_ROOT, (), policy(deny("s3:*", [B, B + "/*"], principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})), caller=ROOT, keys={"aws:SecureTransport": "true"}),
]
# fmt: on


def _decide(case: Case) -> Any:
    identity = [parse_policy(json.dumps(d), PolicyKind.IDENTITY) for d in case.identity]
    resource = (
        None
        if case.bucket_policy is None
        else parse_policy(json.dumps(case.bucket_policy), PolicyKind.BUCKET, bucket=BUCKET)
    )
    ctx = RequestContext(case.caller, case.action, case.resource, OWNER, dict(case.keys))
    return evaluate(ctx, identity, resource)


def test_table_size_and_ids() -> None:
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_decision(case: Case) -> None:
    decision = _decide(case)
    got = Expect(decision.allowed, decision.decided_by, decision.denied_in)
    assert got == case.expect, decision
    if case.expect.decided_by is DecidedBy.IMPLICIT_DENY:
        assert decision.statements == ()
    else:
        # An allow or an explicit deny names the statements that decided it.
        assert decision.statements or case.expect.decided_by is DecidedBy.ACCOUNT_ROOT
        effect = "Deny" if case.expect.decided_by is DecidedBy.EXPLICIT_DENY else "Allow"
        assert {s.effect for s in decision.statements} <= {effect}


def test_public_read_names_its_sid() -> None:
    decision = _decide(Case("sid", A_RES, (), PUBLIC_READ, caller=ANON))
    ((ptype, index, number, sid, effect),) = decision.statements
    assert (ptype, index, number, sid, effect) == (PolicyType.RESOURCE, 0, 0, "PublicRead", "Allow")


# ---------------------------------------------------------------- malformed documents (item 9)

V = "2012-10-17"
GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
PUBLIC_GET = dict(GET, Principal="*")


def _doc(statement: Any, **top: Any) -> dict[str, Any]:
    return {"Version": V, **top, "Statement": statement}


def _without(statement: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k != name}


IAM_SYNTAX = "Syntax errors in policy."
S3_SYNTAX = "Invalid policy syntax."

# (id, kind, document, error class, message). Messages as IAM (MalformedPolicyDocument) and S3
# (MalformedPolicy) send them; see tests/test_policy_documents.py for their sources.
# fmt: off
BAD: list[tuple[str, PolicyKind, Any, type[PolicyError], str]] = [
    # non-JSON
    ("iam-not-json", PolicyKind.IDENTITY, "Version: 2012-10-17", MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-truncated-json", PolicyKind.IDENTITY, '{"Version": "2012-10-17", "Statement": [', MalformedPolicyDocument, IAM_SYNTAX),
    ("trust-not-json", PolicyKind.TRUST, "<Policy/>", MalformedPolicyDocument, IAM_SYNTAX),
    ("s3-not-json", PolicyKind.BUCKET, "Version: 2012-10-17", MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'"),
    ("s3-truncated-json", PolicyKind.BUCKET, '{"Version": "2012-10-17", "Statement": [', MalformedPolicy, "This policy contains invalid Json"),
    ("s3-json-string", PolicyKind.BUCKET, '"policy"', MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'"),
    # wrong types
    ("iam-document-is-list", PolicyKind.IDENTITY, [_doc(GET)], MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-statement-string", PolicyKind.IDENTITY, _doc("Allow s3:GetObject"), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-effect-list", PolicyKind.IDENTITY, _doc(dict(GET, Effect=["Allow"])), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-action-number", PolicyKind.IDENTITY, _doc(dict(GET, Action=42)), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-resource-object", PolicyKind.IDENTITY, _doc(dict(GET, Resource={"arn": "*"})), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-condition-list", PolicyKind.IDENTITY, _doc(dict(GET, Condition=[{"Bool": {"aws:SecureTransport": "true"}}])), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-condition-value-object", PolicyKind.IDENTITY, _doc(dict(GET, Condition={"StringEquals": {"s3:prefix": {"a": "b"}}})), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-sid-number", PolicyKind.IDENTITY, _doc(dict(GET, Sid=7)), MalformedPolicyDocument, IAM_SYNTAX),
    ("s3-document-is-list", PolicyKind.BUCKET, [_doc([PUBLIC_GET])], MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'"),
    ("s3-statement-number", PolicyKind.BUCKET, _doc(1), MalformedPolicy, S3_SYNTAX),
    ("s3-action-number", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Action=42)]), MalformedPolicy, S3_SYNTAX),
    ("s3-resource-object", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Resource={"arn": "*"})]), MalformedPolicy, S3_SYNTAX),
    ("s3-principal-list", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Principal=["*"])]), MalformedPolicy, S3_SYNTAX),
    ("s3-condition-string", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Condition="aws:SecureTransport")]), MalformedPolicy, S3_SYNTAX),
    # unknown operators
    ("iam-unknown-operator", PolicyKind.IDENTITY, _doc(dict(GET, Condition={"StringMatches": {"s3:prefix": "a"}})), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-ifexists-on-null", PolicyKind.IDENTITY, _doc(dict(GET, Condition={"NullIfExists": {"s3:prefix": "true"}})), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-bad-set-qualifier", PolicyKind.IDENTITY, _doc(dict(GET, Condition={"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}})), MalformedPolicyDocument, IAM_SYNTAX),
    ("s3-unknown-operator", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Condition={"StringMatches": {"s3:prefix": "a"}})]), MalformedPolicy, "Invalid Condition type : StringMatches"),
    ("s3-bad-cidr", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}})]), MalformedPolicy, "Invalid IP address in Conditions"),
    # unknown or missing Version
    ("iam-unknown-version", PolicyKind.IDENTITY, {"Version": "2012-10-18", "Statement": GET}, MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-old-version", PolicyKind.IDENTITY, {"Version": "2008-10-17", "Statement": GET}, MalformedPolicyDocument, "Policy document must be version 2012-10-17 or greater."),
    ("s3-unknown-version", PolicyKind.BUCKET, {"Version": "2012-10-18", "Statement": [PUBLIC_GET]}, MalformedPolicy, "The policy must contain a valid version string"),
    ("s3-version-date-format", PolicyKind.BUCKET, {"Version": "17/10/2012", "Statement": [PUBLIC_GET]}, MalformedPolicy, "The policy must contain a valid version string"),
    # unknown top-level and statement keys
    ("iam-unknown-top-key", PolicyKind.IDENTITY, _doc(GET, Comment="read only"), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-unknown-statement-key", PolicyKind.IDENTITY, _doc(dict(GET, Comment="x")), MalformedPolicyDocument, IAM_SYNTAX),
    ("s3-unknown-top-key", PolicyKind.BUCKET, _doc([PUBLIC_GET], Comment="read only"), MalformedPolicy, "Unknown field Comment"),
    ("s3-unknown-statement-key", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Comment="x")]), MalformedPolicy, "Unknown field Comment"),
    # empty or missing Statement
    ("iam-empty-statement", PolicyKind.IDENTITY, _doc([]), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-missing-statement", PolicyKind.IDENTITY, {"Version": V}, MalformedPolicyDocument, IAM_SYNTAX),
    ("s3-empty-statement", PolicyKind.BUCKET, _doc([]), MalformedPolicy, "Could not parse the policy: Statement is empty!"),
    ("s3-missing-statement", PolicyKind.BUCKET, {"Version": V}, MalformedPolicy, "Missing required field Statement"),
    # Principal where it does not belong, or missing where it must be
    ("iam-principal-in-identity", PolicyKind.IDENTITY, _doc(dict(GET, Principal={"AWS": PARTNER})), MalformedPolicyDocument, "Policy document should not specify a principal."),
    ("iam-principal-star-in-identity", PolicyKind.IDENTITY, _doc([GET, dict(GET, Principal="*")]), MalformedPolicyDocument, "Policy document should not specify a principal."),
    ("s3-principal-missing", PolicyKind.BUCKET, _doc([GET]), MalformedPolicy, "Missing required field Principal"),
    ("s3-principal-not-an-account", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Principal={"AWS": "Bob"})]), MalformedPolicy, "Invalid principal in policy"),
    # missing Effect / Action / Resource
    ("iam-missing-effect", PolicyKind.IDENTITY, _doc(_without(GET, "Effect")), MalformedPolicyDocument, IAM_SYNTAX),
    ("iam-missing-action", PolicyKind.IDENTITY, _doc(_without(GET, "Action")), MalformedPolicyDocument, "Policy statement must contain actions."),
    ("iam-missing-resource", PolicyKind.IDENTITY, _doc(_without(GET, "Resource")), MalformedPolicyDocument, "Policy statement must contain resources."),
    ("s3-missing-effect", PolicyKind.BUCKET, _doc([_without(PUBLIC_GET, "Effect")]), MalformedPolicy, "Missing required field Effect"),
    ("s3-effect-lower-case", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Effect="allow")]), MalformedPolicy, "Invalid effect: allow"),
    ("s3-missing-action", PolicyKind.BUCKET, _doc([_without(PUBLIC_GET, "Action")]), MalformedPolicy, "Missing required field Action"),
    ("s3-missing-resource", PolicyKind.BUCKET, _doc([_without(PUBLIC_GET, "Resource")]), MalformedPolicy, "Missing required field Resource"),
    ("s3-resource-other-bucket", PolicyKind.BUCKET, _doc([dict(PUBLIC_GET, Resource="arn:aws:s3:::someone-else/*")]), MalformedPolicy, "Policy has invalid resource"),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "kind", "document", "error", "message"), BAD, ids=[c[0] for c in BAD]
)
def test_malformed_document(
    case_id: str, kind: PolicyKind, document: Any, error: type[PolicyError], message: str
) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(PolicyError) as info:
        parse_policy(text, kind, bucket=BUCKET)
    assert type(info.value) is error
    assert (info.value.code, info.value.status, info.value.message) == (
        error.code,
        400,
        message,
    )


# ---------------------------------------------------------------- bad bucket policies, end to end


@pytest.fixture
def bucket_with_policy(s3: BaseClient, bucket: str) -> tuple[str, str]:
    """A bucket with a valid policy already in place, to show a refused put changes nothing."""
    text = json.dumps(
        _doc(
            [
                dict(
                    GET,
                    Principal={"AWS": f"arn:aws:iam::{OWNER}:root"},
                    Resource=f"arn:aws:s3:::{bucket}/*",
                )
            ]
        )
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=text)
    return bucket, text


# fmt: off
HTTP_BAD: list[tuple[str, str, str, str]] = [
    ("not-json", "not a policy", "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"),
    ("unknown-version", json.dumps({"Version": "2012-10-18", "Statement": [PUBLIC_GET]}), "MalformedPolicy", "The policy must contain a valid version string"),
    ("empty-statement", json.dumps(_doc([])), "MalformedPolicy", "Could not parse the policy: Statement is empty!"),
    ("unknown-operator", json.dumps(_doc([dict(PUBLIC_GET, Resource="*", Condition={"StringMatches": {"s3:prefix": "a"}})])), "MalformedPolicy", "Invalid Condition type : StringMatches"),
    ("missing-effect", json.dumps(_doc([_without(dict(PUBLIC_GET, Resource="*"), "Effect")])), "MalformedPolicy", "Missing required field Effect"),
    ("oversized", json.dumps(_doc([dict(PUBLIC_GET, Resource="*", Sid=f"S{i:03}") for i in range(300)]), separators=(",", ":")), "PolicyTooLarge", "Policy exceeds the maximum allowed document size."),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "text", "code", "message"), HTTP_BAD, ids=[c[0] for c in HTTP_BAD]
)
def test_bad_bucket_policy_changes_nothing(
    s3: BaseClient,
    bucket_with_policy: tuple[str, str],
    case_id: str,
    text: str,
    code: str,
    message: str,
) -> None:
    bucket, before = bucket_with_policy
    if case_id == "oversized":
        assert len(text.encode()) > 20 * 1024  # even without white space (AWS counts it so)
    with pytest.raises(ClientError) as info:
        s3.put_bucket_policy(Bucket=bucket, Policy=text)
    error = info.value.response["Error"]
    assert (info.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"]) == (400, code)
    assert error["Message"] == message
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == before
