"""Policy evaluation: a table of cases (policies, request context, expected decision).

Domain tests of pure functions (no server). Most cases come from, or were checked against, the
IAM User Guide (condition operators, multi-valued conditions, policy variables, evaluation
logic, Principal element) and the S3 User Guide (bucket policy examples, DeleteBucketPolicy's
lock-out rule). Where a case encodes a choice the documentation leaves open, the comment says so.
"""

# Case tables keep one case per line (between fmt: off/on), so long lines are expected.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from mrap.iam import (
    Caller,
    DecidedBy,
    PolicyKind,
    PolicyType,
    RequestContext,
    access_denied_message,
    evaluate,
    parse_policy,
)

ACCT = "111122223333"
OTHER = "444455556666"
BUCKET = "arn:aws:s3:::doc-bucket"
OBJ = BUCKET + "/key"
ALICE = Caller.user(ACCT, "alice", "AIDAALICEEXAMPLE")
CAROL = Caller.user(ACCT, "carol", "AIDACAROLEXAMPLE", path="/eng/")
BOB = Caller.user(OTHER, "bob", "AIDABOBEXAMPLE")
ROOT = Caller.root(ACCT)
OTHER_ROOT = Caller.root(OTHER)
READER = Caller.assumed_role(ACCT, "reader", "s1", "AROAREADER")
OTHER_READER = Caller.assumed_role(OTHER, "reader", "s1", "AROAOTHERREADER")
PATHED_ROLE = Caller.assumed_role(ACCT, "ops", "night", "AROAOPS", path="/team/")
FED = Caller.federated_user(ACCT, "fred")
ANON = Caller.anonymous()
LOGGING = Caller.aws_service("logging.s3.amazonaws.com")
CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
BOB_CANON = Caller(BOB.type, BOB.account, BOB.arn, BOB.user_id, "bob", canonical_id=CANONICAL)
MISSING = object()


def st(
    effect: str, action: Any = "s3:GetObject", resource: Any = "*", **extra: Any
) -> dict[str, Any]:
    """A statement; keywords: not_action, not_resource, principal, not_principal, condition, sid."""
    out: dict[str, Any] = {"Effect": effect}
    if "sid" in extra:
        out["Sid"] = extra.pop("sid")
    for key, name in (("principal", "Principal"), ("not_principal", "NotPrincipal")):
        if key in extra:
            out[name] = extra.pop(key)
    out["NotAction" if extra.pop("not_action", False) else "Action"] = action
    if resource is not None:
        out["NotResource" if extra.pop("not_resource", False) else "Resource"] = resource
    if "condition" in extra:
        out["Condition"] = extra.pop("condition")
    assert not extra, extra
    return out


def allow(action: Any = "s3:GetObject", resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return st("Allow", action, resource, **kw)


def deny(action: Any = "s3:GetObject", resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return st("Deny", action, resource, **kw)


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


@dataclass(frozen=True)
class Case:
    id: str
    expect: bool | DecidedBy
    identity: Sequence[dict[str, Any]] = ()
    resource: dict[str, Any] | None = None
    caller: Caller = ALICE
    action: str = "s3:GetObject"
    arn: str = OBJ
    owner: str = ACCT
    keys: Mapping[str, Any] = field(default_factory=dict)
    resource_kind: PolicyKind = PolicyKind.BUCKET
    denied_in: PolicyType | None = None


def cond(
    id: str, op: str, key: str, values: Any, request: Any, expect: bool, effect: str = "Allow"
) -> Case:
    """A one-condition identity policy (Allow, or Deny beside a blanket Allow)."""
    condition = {op: {key: values}}
    statements = [st(effect, condition=condition)]
    if effect == "Deny":
        statements.append(allow())
    keys = {} if request is MISSING else {key: request}
    return Case(id, expect, identity=[doc(*statements)], keys=keys)


def user_policy(*statements: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    return [doc(*statements, **kw)]


# fmt: off
CASES: list[Case] = [
    # ---------------------------------------------------------------- String operators
    cond("StringEquals-match", "StringEquals", "s3:x-amz-acl", "private", "private", True),
    cond("StringEquals-mismatch", "StringEquals", "s3:x-amz-acl", "private", "public-read", False),
    cond("StringEquals-case-sensitive", "StringEquals", "s3:x-amz-acl", "Private", "private", False),
    cond("StringEquals-missing-key", "StringEquals", "s3:x-amz-acl", "private", MISSING, False),
    cond("StringEquals-values-or", "StringEquals", "s3:x-amz-acl", ["a", "private"], "private", True),
    cond("StringEquals-json-number", "StringEquals", "s3:max-keys", 10, "10", True),
    cond("StringEquals-no-wildcards", "StringEquals", "s3:prefix", "home/*", "home/x", False),
    cond("StringEquals-literal-star", "StringEquals", "s3:prefix", "home/*", "home/*", True),
    cond("StringEquals-empty", "StringEquals", "s3:prefix", "", "", True),
    cond("StringNotEquals-differs", "StringNotEquals", "s3:x-amz-acl", "public-read", "private", True),
    cond("StringNotEquals-same", "StringNotEquals", "s3:x-amz-acl", "private", "private", False),
    cond("StringNotEquals-missing-true", "StringNotEquals", "s3:x-amz-acl", "private", MISSING, True),
    cond("StringNotEquals-none-of-values", "StringNotEquals", "s3:x-amz-acl", ["a", "b"], "c", True),
    cond("StringNotEquals-one-of-values", "StringNotEquals", "s3:x-amz-acl", ["a", "b"], "b", False),
    cond("StringEqualsIgnoreCase-match", "StringEqualsIgnoreCase", "aws:UserAgent", "AWS-CLI", "aws-cli", True),
    cond("StringEqualsIgnoreCase-mismatch", "StringEqualsIgnoreCase", "aws:UserAgent", "boto3", "aws-cli", False),
    cond("StringEqualsIgnoreCase-missing", "StringEqualsIgnoreCase", "aws:UserAgent", "x", MISSING, False),
    cond("StringNotEqualsIgnoreCase-same", "StringNotEqualsIgnoreCase", "aws:UserAgent", "AWS-CLI", "aws-cli", False),
    cond("StringNotEqualsIgnoreCase-differs", "StringNotEqualsIgnoreCase", "aws:UserAgent", "x", "aws-cli", True),
    cond("StringNotEqualsIgnoreCase-missing", "StringNotEqualsIgnoreCase", "aws:UserAgent", "x", MISSING, True),
    cond("StringLike-star", "StringLike", "s3:prefix", "home/*", "home/alice/doc", True),
    cond("StringLike-star-empty-tail", "StringLike", "s3:prefix", "home/*", "home/", True),
    cond("StringLike-question", "StringLike", "s3:prefix", "home/?", "home/a", True),
    cond("StringLike-question-one-char", "StringLike", "s3:prefix", "home/?", "home/ab", False),
    cond("StringLike-middle-star", "StringLike", "s3:prefix", "a*z", "abcz", True),
    cond("StringLike-case-sensitive", "StringLike", "s3:prefix", "Home/*", "home/x", False),
    cond("StringLike-no-partial-without-wildcard", "StringLike", "s3:prefix", "home", "home/x", False),
    cond("StringLike-values-or", "StringLike", "s3:prefix", ["", "home/", "home/a*"], "home/", True),
    cond("StringLike-empty-pattern", "StringLike", "s3:prefix", "", "", True),
    cond("StringLike-missing", "StringLike", "s3:prefix", "*", MISSING, False),
    cond("StringLike-star-matches-empty", "StringLike", "s3:prefix", "*", "", True),
    cond("StringLike-regex-chars-literal", "StringLike", "s3:prefix", "a.b(c)*", "a.b(c)d", True),
    cond("StringLike-dot-not-any", "StringLike", "s3:prefix", "a.b", "axb", False),
    cond("StringLike-newline", "StringLike", "s3:prefix", "a*", "a\nb", True),
    cond("StringNotLike-match", "StringNotLike", "s3:prefix", "private/*", "private/x", False),
    cond("StringNotLike-no-match", "StringNotLike", "s3:prefix", "private/*", "public/x", True),
    cond("StringNotLike-missing-true", "StringNotLike", "s3:prefix", "private/*", MISSING, True),
    # ---------------------------------------------------------------- Numeric operators
    # IAM guide: NumericLessThanEquals s3:max-keys 10 lists up to 10 objects at a time.
    cond("NumericLessThanEquals-doc-10", "NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    cond("NumericLessThanEquals-doc-11", "NumericLessThanEquals", "s3:max-keys", "10", "11", False),
    cond("NumericLessThanEquals-missing", "NumericLessThanEquals", "s3:max-keys", "10", MISSING, False),
    cond("NumericEquals-match", "NumericEquals", "s3:max-keys", "10", "10", True),
    cond("NumericEquals-decimal", "NumericEquals", "s3:max-keys", "10", "10.0", True),
    cond("NumericEquals-json-number", "NumericEquals", "s3:max-keys", 10, "10", True),
    cond("NumericEquals-mismatch", "NumericEquals", "s3:max-keys", "10", "11", False),
    cond("NumericEquals-not-a-number", "NumericEquals", "s3:max-keys", "10", "ten", False),
    cond("NumericNotEquals-differs", "NumericNotEquals", "s3:max-keys", "10", "11", True),
    cond("NumericNotEquals-same", "NumericNotEquals", "s3:max-keys", "10", "10", False),
    cond("NumericNotEquals-missing", "NumericNotEquals", "s3:max-keys", "10", MISSING, True),
    cond("NumericLessThan-below", "NumericLessThan", "s3:max-keys", "10", "9", True),
    cond("NumericLessThan-equal", "NumericLessThan", "s3:max-keys", "10", "10", False),
    cond("NumericGreaterThan-above", "NumericGreaterThan", "s3:max-keys", "10", "11", True),
    cond("NumericGreaterThan-equal", "NumericGreaterThan", "s3:max-keys", "10", "10", False),
    cond("NumericGreaterThanEquals-equal", "NumericGreaterThanEquals", "s3:max-keys", "10", "10", True),
    cond("NumericGreaterThanEquals-below", "NumericGreaterThanEquals", "s3:max-keys", "10", "9", False),
    cond("NumericLessThan-negative", "NumericLessThan", "s3:signatureAge", "0", "-5", True),
    cond("NumericLessThan-float", "NumericLessThan", "s3:signatureAge", "600000", "599999.5", True),
    cond("Numeric-variable-not-expanded", "NumericEquals", "s3:max-keys", "${s3:max-keys}", "10", False),
    # ---------------------------------------------------------------- Date operators
    # IAM guide: DateGreaterThan aws:TokenIssueTime 2020-01-01T00:00:01Z.
    cond("DateGreaterThan-doc", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2020-06-01T00:00:00Z", True),
    cond("DateGreaterThan-before", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2019-12-31T23:59:59Z", False),
    cond("DateGreaterThan-missing-key-doc", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", MISSING, False),
    cond("DateLessThan-current", "DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2024-05-01T12:00:00Z", True),
    cond("DateLessThan-after", "DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2024-05-01T12:00:00Z", False),
    cond("DateLessThanEquals-same", "DateLessThanEquals", "aws:CurrentTime", "2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z", True),
    cond("DateGreaterThanEquals-same", "DateGreaterThanEquals", "aws:CurrentTime", "2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z", True),
    cond("DateEquals-epoch-vs-iso", "DateEquals", "aws:CurrentTime", "1714564800", "2024-05-01T12:00:00Z", True),
    cond("DateEquals-offset", "DateEquals", "aws:CurrentTime", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z", True),
    cond("DateEquals-date-only", "DateEquals", "aws:CurrentTime", "2024-05-01", "2024-05-01T00:00:00Z", True),
    cond("DateEquals-fraction", "DateEquals", "aws:CurrentTime", "2024-05-01T12:00:00.000Z", "2024-05-01T12:00:00Z", True),
    cond("DateNotEquals-differs", "DateNotEquals", "aws:CurrentTime", "2024-05-01", "2024-05-02T00:00:00Z", True),
    cond("DateNotEquals-same", "DateNotEquals", "aws:CurrentTime", "2024-05-01", "2024-05-01T00:00:00Z", False),
    cond("DateNotEquals-missing", "DateNotEquals", "aws:TokenIssueTime", "2024-05-01", MISSING, True),
    cond("Date-epoch-request", "DateGreaterThan", "aws:EpochTime", "2020-01-01T00:00:00Z", "1714564800", True),
    cond("Date-epoch-both", "DateLessThan", "aws:EpochTime", 1714564801, "1714564800", True),
    cond("Date-unparsable-request", "DateLessThan", "aws:CurrentTime", "2030-01-01", "yesterday", False),
    # ---------------------------------------------------------------- Bool
    cond("Bool-true", "Bool", "aws:SecureTransport", "true", "true", True),
    cond("Bool-false-vs-true", "Bool", "aws:SecureTransport", "false", "true", False),
    cond("Bool-json-boolean", "Bool", "aws:SecureTransport", True, "true", True),
    cond("Bool-case-insensitive", "Bool", "aws:SecureTransport", "TRUE", "true", True),
    cond("Bool-missing", "Bool", "aws:SecureTransport", "true", MISSING, False),
    # IAM guide BooleanExample: Deny s3:* when aws:SecureTransport is false.
    cond("Bool-deny-insecure-doc", "Bool", "aws:SecureTransport", "false", "false", False, "Deny"),
    cond("Bool-deny-secure-passes-doc", "Bool", "aws:SecureTransport", "false", "true", True, "Deny"),
    cond("BoolIfExists-missing", "BoolIfExists", "aws:MultiFactorAuthPresent", "true", MISSING, True),
    # IAM guide MFA example: Deny … BoolIfExists aws:MultiFactorAuthPresent false; a long-term key
    # request (key absent) is therefore denied.
    cond("BoolIfExists-deny-no-mfa-doc", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", MISSING, False, "Deny"),
    cond("BoolIfExists-deny-with-mfa", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", "true", True, "Deny"),
    # ---------------------------------------------------------------- Binary
    cond("BinaryEquals-doc-value", "BinaryEquals", "s3:x-binary", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    cond("BinaryEquals-other-bytes", "BinaryEquals", "s3:x-binary", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "b3RoZXI=", False),
    cond("BinaryEquals-missing", "BinaryEquals", "s3:x-binary", "b3RoZXI=", MISSING, False),
    # ---------------------------------------------------------------- IP addresses
    # IAM guide: IpAddress aws:SourceIp 203.0.113.0/24, and the mixed IPv4/IPv6 list.
    cond("IpAddress-in-range-doc", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.77", True),
    cond("IpAddress-outside-doc", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.114.1", False),
    cond("IpAddress-ipv6-doc", "IpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::9", True),
    cond("IpAddress-ipv6-outside", "IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
    cond("IpAddress-bare-address-is-32", "IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.5", True),
    cond("IpAddress-bare-address-neighbour", "IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.6", False),
    cond("IpAddress-v4-vs-v6-net", "IpAddress", "aws:SourceIp", "::/0", "203.0.113.5", False),
    cond("IpAddress-bad-request-ip", "IpAddress", "aws:SourceIp", "0.0.0.0/0", "not-an-ip", False),
    cond("IpAddress-missing", "IpAddress", "aws:SourceIp", "0.0.0.0/0", MISSING, False),
    cond("NotIpAddress-outside", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "203.0.113.5", True),
    cond("NotIpAddress-inside", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.2.3", False),
    cond("NotIpAddress-missing", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", MISSING, True),
    cond("NotIpAddress-deny-outside-office", "NotIpAddress", "aws:SourceIp", ["192.0.2.0/24"], "198.51.100.1", False, "Deny"),
    cond("NotIpAddress-deny-inside-office", "NotIpAddress", "aws:SourceIp", ["192.0.2.0/24"], "192.0.2.10", True, "Deny"),
    # ---------------------------------------------------------------- ARN operators
    cond("ArnEquals-match", "ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:topic", "arn:aws:sns:us-east-2:123456789012:topic", True),
    cond("ArnEquals-wildcard-region", "ArnEquals", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic", "arn:aws:sns:eu-west-1:123456789012:topic", True),
    cond("ArnLike-question", "ArnLike", "aws:SourceArn", "arn:aws:sns:us-east-?:123456789012:*", "arn:aws:sns:us-east-2:123456789012:t", True),
    cond("ArnLike-case-sensitive", "ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:Topic", "arn:aws:sns:us-east-2:123456789012:topic", False),
    # IAM guide: this pattern matches the value with StringLike, not with ArnLike.
    cond("ArnLike-per-component-doc", "ArnLike", "aws:SourceArn", "arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", False),
    cond("StringLike-same-value-doc", "StringLike", "aws:SourceArn", "arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", True),
    cond("ArnLike-resource-part-spans-colons", "ArnLike", "aws:SourceArn", "arn:aws:ssm:*:*:parameter/*", "arn:aws:ssm:us-east-1:123456789012:parameter/a:b", True),
    cond("ArnLike-not-an-arn", "ArnLike", "aws:SourceArn", "arn:aws:s3:::*", "bucket", False),
    cond("ArnLike-too-few-parts-in-policy", "ArnLike", "aws:SourceArn", "arn:aws:s3", "arn:aws:s3:::b", False),
    cond("ArnLike-missing", "ArnLike", "aws:SourceArn", "arn:*:*:*:*:*", MISSING, False),
    cond("ArnNotEquals-differs", "ArnNotEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:a", "arn:aws:sns:us-east-2:123456789012:b", True),
    cond("ArnNotEquals-same", "ArnNotEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:a", "arn:aws:sns:us-east-2:123456789012:a", False),
    cond("ArnNotLike-missing", "ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:*", MISSING, True),
    cond("ArnNotLike-match", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin-*", "arn:aws:iam::111122223333:role/admin-x", False),
    # ---------------------------------------------------------------- Null
    # IAM guide: Null aws:TokenIssueTime true = the caller is not using temporary credentials.
    cond("Null-true-absent-doc", "Null", "aws:TokenIssueTime", "true", MISSING, True),
    cond("Null-true-present", "Null", "aws:TokenIssueTime", "true", "2024-01-01T00:00:00Z", False),
    cond("Null-false-present", "Null", "aws:TokenIssueTime", "false", "2024-01-01T00:00:00Z", True),
    cond("Null-false-absent", "Null", "aws:TokenIssueTime", "false", MISSING, False),
    cond("Null-json-boolean", "Null", "aws:TokenIssueTime", True, MISSING, True),
    cond("Null-empty-list-is-absent", "Null", "s3:RequestObjectTagKeys", "true", [], True),
    cond("Null-empty-string-is-present", "Null", "s3:prefix", "false", "", True),
    # ---------------------------------------------------------------- IfExists
    cond("StringEqualsIfExists-missing", "StringEqualsIfExists", "s3:x-amz-acl", "private", MISSING, True),
    cond("StringEqualsIfExists-mismatch", "StringEqualsIfExists", "s3:x-amz-acl", "private", "public-read", False),
    cond("StringEqualsIfExists-match", "StringEqualsIfExists", "s3:x-amz-acl", "private", "private", True),
    cond("StringLikeIfExists-doc-missing", "StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], MISSING, True),
    cond("StringLikeIfExists-doc-t2", "StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], "t2.micro", True),
    cond("StringLikeIfExists-doc-c5", "StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], "c5.large", False),
    cond("StringLike-without-IfExists-doc", "StringLike", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], MISSING, False),
    cond("NumericLessThanIfExists-missing", "NumericLessThanIfExists", "s3:max-keys", "5", MISSING, True),
    cond("NumericLessThanIfExists-present", "NumericLessThanIfExists", "s3:max-keys", "5", "9", False),
    cond("IpAddressIfExists-missing", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", MISSING, True),
    cond("ArnLikeIfExists-missing", "ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::x", MISSING, True),
    cond("DateLessThanIfExists-missing", "DateLessThanIfExists", "aws:TokenIssueTime", "2020-01-01", MISSING, True),
    # IAM guide: a Deny with StringNotEqualsIfExists still denies when the key is missing.
    cond("StringNotEqualsIfExists-deny-missing-doc", "StringNotEqualsIfExists", "aws:PrincipalTag/dept", "eng", MISSING, False, "Deny"),
    cond("StringNotEqualsIfExists-deny-equal", "StringNotEqualsIfExists", "aws:PrincipalTag/dept", "eng", "eng", True, "Deny"),
    # ---------------------------------------------------------------- set operators
    # IAM guide (multi-value conditions): ForAllValues:StringLike on requested attributes.
    cond("ForAllValues-all-listed-doc", "ForAllValues:StringLike", "dynamodb:requestedAttributes", ["PostDateTime", "Message", "Tags"], ["PostDateTime", "Message"], True),
    cond("ForAllValues-one-unlisted-doc", "ForAllValues:StringLike", "dynamodb:requestedAttributes", ["PostDateTime", "Message", "Tags"], ["PostDateTime", "UserName"], False),
    cond("ForAllValues-empty-set-doc", "ForAllValues:StringLike", "dynamodb:requestedAttributes", ["PostDateTime"], [], True),
    cond("ForAllValues-missing-key", "ForAllValues:StringEquals", "aws:TagKeys", ["CostCenter"], MISSING, True),
    cond("ForAllValues-single-value", "ForAllValues:StringEquals", "aws:TagKeys", ["CostCenter"], "CostCenter", True),
    # IAM guide: Deny PutItem with ForAnyValue:StringLike [ID, PostDateTime].
    cond("ForAnyValue-deny-hit-doc", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", ["ID", "PostDateTime"], ["UserName", "Message", "PostDateTime"], False, "Deny"),
    cond("ForAnyValue-deny-miss-doc", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", ["ID", "PostDateTime"], ["UserName"], True, "Deny"),
    cond("ForAnyValue-empty-set-doc", "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], [], False),
    cond("ForAnyValue-missing-key", "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], MISSING, False),
    cond("ForAnyValue-one-match", "ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"], ["x", "b"], True),
    cond("ForAnyValue-IfExists-missing", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["a"], MISSING, True),
    cond("ForAnyValue-StringNotEquals-some-differ", "ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a", "b"], True),
    cond("ForAnyValue-StringNotEquals-all-listed", "ForAnyValue:StringNotEquals", "aws:TagKeys", ["a", "b"], ["a", "b"], False),
    cond("ForAllValues-StringNotEquals-none-listed", "ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], ["x", "y"], True),
    cond("ForAllValues-StringNotEquals-one-listed", "ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], ["x", "a"], False),
    cond("ForAnyValue-NumericLessThan", "ForAnyValue:NumericLessThan", "s3:x-sizes", "10", ["50", "5"], True),
    cond("ForAllValues-IpAddress", "ForAllValues:IpAddress", "s3:x-hops", "10.0.0.0/8", ["10.0.0.1", "192.0.2.1"], False),
    # No qualifier on a multi-valued key: any value may match; negated: none may.
    cond("multivalue-StringEquals-any", "StringEquals", "aws:TagKeys", "b", ["a", "b"], True),
    cond("multivalue-StringEquals-none", "StringEquals", "aws:TagKeys", "c", ["a", "b"], False),
    cond("multivalue-StringNotEquals-one-equal", "StringNotEquals", "aws:TagKeys", "b", ["a", "b"], False),
    cond("multivalue-StringNotEquals-none-equal", "StringNotEquals", "aws:TagKeys", "c", ["a", "b"], True),
    # ---------------------------------------------------------------- AND / OR, key case
    Case("two-keys-both-hold", True, user_policy(allow(condition={"StringEquals": {"s3:x-amz-acl": "private", "s3:prefix": "a"}})), keys={"s3:x-amz-acl": "private", "s3:prefix": "a"}),
    Case("two-keys-one-fails", False, user_policy(allow(condition={"StringEquals": {"s3:x-amz-acl": "private", "s3:prefix": "a"}})), keys={"s3:x-amz-acl": "private", "s3:prefix": "b"}),
    Case("two-operators-both-hold", True, user_policy(allow(condition={"StringEquals": {"s3:x-amz-acl": "private"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), keys={"s3:x-amz-acl": "private", "aws:SourceIp": "10.1.1.1"}),
    Case("two-operators-one-fails", False, user_policy(allow(condition={"StringEquals": {"s3:x-amz-acl": "private"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), keys={"s3:x-amz-acl": "private", "aws:SourceIp": "192.0.2.1"}),
    Case("date-window-inside", True, user_policy(allow(condition={"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}})), keys={"aws:CurrentTime": "2017-09-01T00:00:00Z"}),
    Case("date-window-outside", False, user_policy(allow(condition={"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}})), keys={"aws:CurrentTime": "2018-01-02T00:00:00Z"}),
    Case("policy-key-case-insensitive", True, user_policy(allow(condition={"IpAddress": {"AWS:SOURCEIP": "10.0.0.0/8"}})), keys={"aws:SourceIp": "10.0.0.1"}),
    Case("context-key-case-insensitive", True, user_policy(allow(condition={"Bool": {"aws:SecureTransport": "true"}})), keys={"AWS:securetransport": "true"}),
    Case("empty-condition-block", True, user_policy(allow(condition={}))),
    Case("empty-operator-block", True, user_policy(allow(condition={"StringEquals": {}}))),
    # ---------------------------------------------------------------- policy variables
    # IAM guide "home directory": Resource arn:aws:s3:::bucket/home/${aws:username}/*.
    Case("var-username-own-home-doc", True, user_policy(allow("s3:*", ["arn:aws:s3:::doc-bucket/home/${aws:username}", "arn:aws:s3:::doc-bucket/home/${aws:username}/*"])), arn=BUCKET + "/home/alice/notes.txt"),
    Case("var-username-other-home-doc", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:username}/*")), arn=BUCKET + "/home/bob/notes.txt"),
    Case("var-username-prefix-doc", True, user_policy(allow("s3:ListBucket", BUCKET, condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}})), action="s3:ListBucket", arn=BUCKET, keys={"s3:prefix": "home/alice/"}),
    Case("var-username-prefix-root-level-doc", True, user_policy(allow("s3:ListBucket", BUCKET, condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}})), action="s3:ListBucket", arn=BUCKET, keys={"s3:prefix": ""}),
    Case("var-username-prefix-other-doc", False, user_policy(allow("s3:ListBucket", BUCKET, condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}})), action="s3:ListBucket", arn=BUCKET, keys={"s3:prefix": "home/bob/"}),
    Case("var-username-absent-for-role", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:username}/*")), caller=READER, arn=BUCKET + "/home/reader/x"),
    Case("var-default-when-absent", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:username, 'shared'}/*")), caller=READER, arn=BUCKET + "/home/shared/x"),
    Case("var-default-unused-when-present", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:username, 'shared'}/*")), arn=BUCKET + "/home/shared/x"),
    Case("var-default-quote-escape", True, user_policy(allow(condition={"StringEquals": {"s3:prefix": "${aws:username, 'it''s'}"}})), caller=READER, keys={"s3:prefix": "it's"}),
    Case("var-userid-user", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:userid}/*")), arn=BUCKET + "/home/AIDAALICEEXAMPLE/x"),
    Case("var-userid-role-session", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/home/${aws:userid}/*")), caller=READER, arn=BUCKET + "/home/AROAREADER:s1/x"),
    Case("var-principal-account", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:PrincipalAccount}/*")), arn=BUCKET + f"/{ACCT}/x"),
    Case("var-key-name-case-insensitive", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${AWS:UserName}/*")), arn=BUCKET + "/alice/x"),
    Case("var-any-context-key", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:PrincipalTag/team}/*")), arn=BUCKET + "/blue/x", keys={"aws:PrincipalTag/team": "blue"}),
    Case("var-value-is-literal-not-pattern", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:PrincipalTag/team}/*")), arn=BUCKET + "/bluex/x", keys={"aws:PrincipalTag/team": "blu*"}),
    Case("var-value-with-star-matches-itself", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:PrincipalTag/team}/*")), arn=BUCKET + "/blu*/x", keys={"aws:PrincipalTag/team": "blu*"}),
    Case("var-multivalued-key-unresolved", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:TagKeys}/*")), arn=BUCKET + "/a/x", keys={"aws:TagKeys": ["a", "b"]}),
    Case("var-in-condition-StringEquals", True, user_policy(allow(condition={"StringEquals": {"s3:ExistingObjectTag/owner": "${aws:username}"}})), keys={"s3:ExistingObjectTag/owner": "alice"}),
    Case("var-in-condition-StringEquals-other", False, user_policy(allow(condition={"StringEquals": {"s3:ExistingObjectTag/owner": "${aws:username}"}})), keys={"s3:ExistingObjectTag/owner": "bob"}),
    Case("var-in-ArnEquals", True, user_policy(allow(condition={"ArnEquals": {"aws:SourceArn": "arn:aws:iam::${aws:PrincipalAccount}:role/x"}})), keys={"aws:SourceArn": f"arn:aws:iam::{ACCT}:role/x"}),
    Case("var-in-Bool", True, user_policy(allow(condition={"Bool": {"aws:SecureTransport": "${s3:x-expected}"}})), keys={"aws:SecureTransport": "true", "s3:x-expected": "true"}),
    # Unresolved variable in a negated operator: the value matches nothing, so "none matched".
    Case("var-unresolved-negated", True, user_policy(allow(condition={"StringNotEquals": {"s3:prefix": "${aws:username}"}})), caller=READER, keys={"s3:prefix": "x"}),
    Case("var-special-star-in-StringEquals", True, user_policy(allow(condition={"StringEquals": {"s3:prefix": "a${*}b"}})), keys={"s3:prefix": "a*b"}),
    Case("var-special-star-not-wildcard", False, user_policy(allow(condition={"StringLike": {"s3:prefix": "a${*}"}})), keys={"s3:prefix": "axyz"}),
    Case("var-special-star-literal-then-wildcard", True, user_policy(allow(condition={"StringLike": {"s3:prefix": "a${*}*"}})), keys={"s3:prefix": "a*xyz"}),
    Case("var-special-question", True, user_policy(allow(condition={"StringLike": {"s3:prefix": "x${?}"}})), keys={"s3:prefix": "x?"}),
    Case("var-special-question-not-wildcard", False, user_policy(allow(condition={"StringLike": {"s3:prefix": "x${?}"}})), keys={"s3:prefix": "xa"}),
    Case("var-special-dollar", True, user_policy(allow(condition={"StringEquals": {"s3:prefix": "cost${$}"}})), keys={"s3:prefix": "cost$"}),
    Case("var-special-in-resource", True, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${*}")), arn=BUCKET + "/*"),
    Case("var-special-in-resource-not-wildcard", False, user_policy(allow("s3:*", "arn:aws:s3:::doc-bucket/${*}")), arn=BUCKET + "/key"),
    # 2008-10-17: variables are literal text.
    Case("var-2008-literal-no-match", False, resource=doc(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:username}/*", principal="*"), version="2008-10-17"), arn=BUCKET + "/alice/x"),
    Case("var-2008-literal-match", True, resource=doc(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:username}/*", principal="*"), version="2008-10-17"), arn=BUCKET + "/${aws:username}/x"),
    Case("var-malformed-reference-literal", True, user_policy(allow(condition={"StringEquals": {"s3:prefix": "${a,b}"}})), keys={"s3:prefix": "${a,b}"}),
    # ---------------------------------------------------------------- Action / Resource
    Case("action-case-insensitive", True, user_policy(allow("S3:getobject", OBJ))),
    Case("action-wildcard-get", True, user_policy(allow("s3:Get*"))),
    Case("action-wildcard-get-not-put", False, user_policy(allow("s3:Get*")), action="s3:PutObject"),
    Case("action-wildcard-suffix", True, user_policy(allow("s3:*Object")), action="s3:DeleteObject"),
    Case("action-wildcard-question", True, user_policy(allow("s3:?etObject"))),
    Case("action-star", True, user_policy(allow("*"))),
    Case("action-s3-star", True, user_policy(allow("s3:*")), action="s3:PutBucketPolicy", arn=BUCKET),
    Case("action-other-service", False, user_policy(allow("iam:*"))),
    Case("action-list", True, user_policy(allow(["s3:ListBucket", "s3:GetObject"]))),
    Case("NotAction-allows-others", True, user_policy(allow("s3:DeleteObject", not_action=True))),
    Case("NotAction-excludes-named", False, user_policy(allow("s3:DeleteObject", not_action=True)), action="s3:DeleteObject"),
    Case("NotAction-wildcard", False, user_policy(allow("s3:Delete*", not_action=True)), action="s3:DeleteObjectVersion"),
    Case("resource-exact", True, user_policy(allow(resource=OBJ))),
    Case("resource-case-sensitive", False, user_policy(allow(resource="arn:aws:s3:::doc-bucket/KEY"))),
    Case("resource-bucket-arn-not-objects", False, user_policy(allow(resource=BUCKET))),
    Case("resource-objects-not-bucket", False, user_policy(allow("s3:ListBucket", BUCKET + "/*")), action="s3:ListBucket", arn=BUCKET),
    Case("resource-star-spans-slash", True, user_policy(allow(resource="arn:aws:s3:::doc-*")), arn=BUCKET + "/a/b/c"),
    Case("resource-question", True, user_policy(allow(resource="arn:aws:s3:::doc-bucket/ke?"))),
    Case("resource-list", True, user_policy(allow(resource=["arn:aws:s3:::x/*", OBJ]))),
    Case("resource-key-with-regex-chars", True, user_policy(allow(resource="arn:aws:s3:::doc-bucket/a+b(1).txt")), arn=BUCKET + "/a+b(1).txt"),
    # IAM guide NotResource example: deny everything but the payroll folder.
    Case("NotResource-deny-outside-payroll", False, user_policy(allow("s3:*"), deny("s3:*", ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"], not_resource=True)), arn="arn:aws:s3:::HRBucket/Other/x"),
    Case("NotResource-payroll-allowed", True, user_policy(allow("s3:*"), deny("s3:*", ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"], not_resource=True)), arn="arn:aws:s3:::HRBucket/Payroll/x"),
    # ---------------------------------------------------------------- evaluation: one account
    Case("no-policy-implicit-deny", DecidedBy.IMPLICIT_DENY, denied_in=PolicyType.IDENTITY),
    Case("identity-allow", DecidedBy.IDENTITY, user_policy(allow())),
    Case("identity-deny-beats-allow", DecidedBy.EXPLICIT_DENY, user_policy(allow(), deny()), denied_in=PolicyType.IDENTITY),
    Case("deny-across-identity-policies", DecidedBy.EXPLICIT_DENY, [doc(allow()), doc(deny())]),
    Case("bucket-deny-beats-identity-allow", DecidedBy.EXPLICIT_DENY, user_policy(allow()), doc(deny(principal="*")), denied_in=PolicyType.RESOURCE),
    Case("identity-deny-beats-bucket-allow", DecidedBy.EXPLICIT_DENY, user_policy(deny()), doc(allow(principal={"AWS": ALICE.arn}))),
    Case("bucket-allow-names-user", DecidedBy.RESOURCE, resource=doc(allow(principal={"AWS": ALICE.arn}))),
    Case("bucket-allow-names-other-user", DecidedBy.IMPLICIT_DENY, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:user/mallory"}))),
    Case("bucket-allow-star", DecidedBy.RESOURCE, resource=doc(allow(principal="*"))),
    Case("bucket-allow-aws-star", DecidedBy.RESOURCE, resource=doc(allow(principal={"AWS": "*"}))),
    # A grant to the account delegates to it: its users still need identity permission.
    Case("bucket-allow-own-account-delegates", DecidedBy.IMPLICIT_DENY, resource=doc(allow(principal={"AWS": ACCT}))),
    Case("bucket-allow-own-account-plus-identity", DecidedBy.IDENTITY, user_policy(allow()), doc(allow(principal={"AWS": ACCT}))),
    Case("user-path-in-principal", DecidedBy.RESOURCE, caller=CAROL, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:user/eng/carol"}))),
    Case("user-path-missing-in-principal", DecidedBy.IMPLICIT_DENY, caller=CAROL, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:user/carol"}))),
    Case("bucket-deny-condition-false", DecidedBy.IDENTITY, user_policy(allow()), doc(deny(principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})), keys={"aws:SecureTransport": "true"}),
    Case("bucket-deny-condition-true", DecidedBy.EXPLICIT_DENY, user_policy(allow()), doc(deny(principal="*", condition={"Bool": {"aws:SecureTransport": "false"}})), keys={"aws:SecureTransport": "false"}),
    Case("bucket-statement-other-action", DecidedBy.IMPLICIT_DENY, resource=doc(allow("s3:PutObject", principal="*"))),
    Case("bucket-statement-other-resource", DecidedBy.IMPLICIT_DENY, resource=doc(allow(resource="arn:aws:s3:::other/*", principal="*"))),
    # Seed document: a user who may only ListBucket and GetObject.
    Case("seed-reader-get", True, user_policy(allow(["s3:ListBucket"], BUCKET), allow(["s3:GetObject"], BUCKET + "/*"))),
    Case("seed-reader-list", True, user_policy(allow(["s3:ListBucket"], BUCKET), allow(["s3:GetObject"], BUCKET + "/*")), action="s3:ListBucket", arn=BUCKET),
    Case("seed-reader-put", False, user_policy(allow(["s3:ListBucket"], BUCKET), allow(["s3:GetObject"], BUCKET + "/*")), action="s3:PutObject"),
    Case("seed-reader-delete", False, user_policy(allow(["s3:ListBucket"], BUCKET), allow(["s3:GetObject"], BUCKET + "/*")), action="s3:DeleteObject"),
    Case("seed-reader-other-bucket", False, user_policy(allow(["s3:ListBucket"], BUCKET), allow(["s3:GetObject"], BUCKET + "/*")), arn="arn:aws:s3:::other/key"),
    # ---------------------------------------------------------------- roles, sessions, others
    Case("role-policy-allows-session", DecidedBy.IDENTITY, user_policy(allow()), caller=READER),
    Case("bucket-names-role", DecidedBy.RESOURCE, caller=READER, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:role/reader"}))),
    Case("bucket-names-session", DecidedBy.RESOURCE, caller=READER, resource=doc(allow(principal={"AWS": f"arn:aws:sts::{ACCT}:assumed-role/reader/s1"}))),
    Case("bucket-names-other-session", DecidedBy.IMPLICIT_DENY, caller=READER, resource=doc(allow(principal={"AWS": f"arn:aws:sts::{ACCT}:assumed-role/reader/s2"}))),
    Case("bucket-names-other-role", DecidedBy.IMPLICIT_DENY, caller=READER, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:role/writer"}))),
    Case("role-arn-with-path", DecidedBy.RESOURCE, caller=PATHED_ROLE, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:role/team/ops"}))),
    Case("role-arn-without-its-path", DecidedBy.IMPLICIT_DENY, caller=PATHED_ROLE, resource=doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:role/ops"}))),
    Case("principal-arn-key-is-role-arn", True, user_policy(allow(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/read*"}})), caller=READER),
    Case("principal-type-assumed-role", True, user_policy(allow(condition={"StringEquals": {"aws:PrincipalType": "AssumedRole"}})), caller=READER),
    Case("principal-type-user", True, user_policy(allow(condition={"StringEquals": {"aws:PrincipalType": "User"}}))),
    Case("federated-user-named", DecidedBy.RESOURCE, caller=FED, resource=doc(allow(principal={"AWS": f"arn:aws:sts::{ACCT}:federated-user/fred"}))),
    Case("service-principal-allowed", DecidedBy.RESOURCE, caller=LOGGING, action="s3:PutObject", resource=doc(allow("s3:PutObject", principal={"Service": "logging.s3.amazonaws.com"}))),
    Case("service-principal-other", DecidedBy.IMPLICIT_DENY, caller=LOGGING, action="s3:PutObject", resource=doc(allow("s3:PutObject", principal={"Service": "cloudtrail.amazonaws.com"})), denied_in=PolicyType.RESOURCE),
    Case("service-principal-no-identity", DecidedBy.IMPLICIT_DENY, user_policy(allow()), caller=LOGGING),
    Case("NotPrincipal-deny-others", DecidedBy.EXPLICIT_DENY, user_policy(allow()), doc(deny(not_principal={"AWS": f"arn:aws:iam::{ACCT}:user/admin"}))),
    Case("NotPrincipal-deny-spares-named", DecidedBy.IDENTITY, user_policy(allow()), doc(deny(not_principal={"AWS": ALICE.arn}))),
    Case("NotPrincipal-allow-everyone-else", DecidedBy.RESOURCE, resource=doc(allow(not_principal={"AWS": f"arn:aws:iam::{ACCT}:user/mallory"}))),
    Case("NotPrincipal-allow-not-named", DecidedBy.IMPLICIT_DENY, resource=doc(allow(not_principal={"AWS": ALICE.arn}))),
    Case("NotPrincipal-deny-applies-to-anonymous", DecidedBy.EXPLICIT_DENY, caller=ANON, resource=doc(allow(principal="*"), deny(not_principal={"AWS": ALICE.arn}))),
    # IAM guide: Principal "*" with ArnNotEquals aws:PrincipalArn instead of NotPrincipal.
    Case("deny-all-but-principal-arn-doc", DecidedBy.EXPLICIT_DENY, user_policy(allow()), doc(deny("s3:*", principal="*", condition={"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/user-name"}}))),
    Case("deny-all-but-principal-arn-spared-doc", DecidedBy.IDENTITY, user_policy(allow()), doc(deny("s3:*", principal="*", condition={"ArnNotEquals": {"aws:PrincipalArn": ALICE.arn}}))),
    # ---------------------------------------------------------------- root users
    Case("root-owner-no-policy", DecidedBy.ACCOUNT_ROOT, caller=ROOT),
    Case("root-owner-bucket-deny", DecidedBy.EXPLICIT_DENY, caller=ROOT, resource=doc(deny("s3:*", principal="*"))),
    Case("root-owner-put-policy-despite-deny", DecidedBy.ACCOUNT_ROOT, caller=ROOT, action="s3:PutBucketPolicy", arn=BUCKET, resource=doc(deny("s3:*", principal="*"))),
    Case("root-owner-get-policy-despite-deny", DecidedBy.ACCOUNT_ROOT, caller=ROOT, action="s3:GetBucketPolicy", arn=BUCKET, resource=doc(deny("s3:*", principal="*"))),
    Case("root-owner-delete-policy-despite-deny", DecidedBy.ACCOUNT_ROOT, caller=ROOT, action="s3:DeleteBucketPolicy", arn=BUCKET, resource=doc(deny("s3:*", principal="*"))),
    Case("user-put-policy-deny-applies", DecidedBy.EXPLICIT_DENY, user_policy(allow("s3:*")), action="s3:PutBucketPolicy", arn=BUCKET, resource=doc(deny("s3:*", principal="*"))),
    Case("other-root-bucket-grants-account", DecidedBy.IDENTITY_AND_RESOURCE, caller=OTHER_ROOT, resource=doc(allow(principal={"AWS": OTHER}))),
    Case("other-root-no-bucket-policy", DecidedBy.IMPLICIT_DENY, caller=OTHER_ROOT, denied_in=PolicyType.RESOURCE),
    Case("other-root-bucket-deny", DecidedBy.EXPLICIT_DENY, caller=OTHER_ROOT, resource=doc(allow(principal={"AWS": OTHER}), deny(principal={"AWS": OTHER}))),
    Case("other-root-lockout-rule-not-for-them", DecidedBy.EXPLICIT_DENY, caller=OTHER_ROOT, action="s3:PutBucketPolicy", arn=BUCKET, resource=doc(allow("s3:*", principal="*"), deny("s3:*", principal="*"))),
    # ---------------------------------------------------------------- cross account
    Case("cross-identity-only", DecidedBy.IMPLICIT_DENY, user_policy(allow()), caller=BOB, denied_in=PolicyType.RESOURCE),
    Case("cross-bucket-only", DecidedBy.IMPLICIT_DENY, caller=BOB, resource=doc(allow(principal={"AWS": BOB.arn})), denied_in=PolicyType.IDENTITY),
    Case("cross-both-user-arn", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal={"AWS": BOB.arn})), caller=BOB),
    Case("cross-both-account-id", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal={"AWS": OTHER})), caller=BOB),
    Case("cross-both-root-arn-form", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})), caller=BOB),
    Case("cross-bucket-names-someone-else", DecidedBy.IMPLICIT_DENY, user_policy(allow()), doc(allow(principal={"AWS": f"arn:aws:iam::{OTHER}:user/eve"})), caller=BOB),
    Case("cross-bucket-names-wrong-account", DecidedBy.IMPLICIT_DENY, user_policy(allow()), doc(allow(principal={"AWS": "999988887777"})), caller=BOB),
    Case("cross-public-bucket-needs-identity", DecidedBy.IMPLICIT_DENY, resource=doc(allow(principal="*")), caller=BOB),
    Case("cross-public-bucket-with-identity", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal="*")), caller=BOB),
    Case("cross-identity-deny", DecidedBy.EXPLICIT_DENY, user_policy(deny()), doc(allow(principal="*")), caller=BOB),
    Case("cross-role-session", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal={"AWS": f"arn:aws:iam::{OTHER}:role/reader"})), caller=OTHER_READER),
    Case("cross-role-session-of-other-account-role", DecidedBy.IMPLICIT_DENY, user_policy(allow()), doc(allow(principal={"AWS": f"arn:aws:iam::{ACCT}:role/reader"})), caller=OTHER_READER),
    Case("cross-canonical-user", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow()), doc(allow(principal={"CanonicalUser": CANONICAL})), caller=BOB_CANON),
    Case("cross-owner-account-key", True, user_policy(allow(condition={"StringEquals": {"s3:ResourceAccount": ACCT}})), doc(allow(principal={"AWS": OTHER})), caller=BOB, keys={"s3:ResourceAccount": ACCT}),
    # Seed document: the bucket policy delegating to an access point owner account.
    Case("seed-delegation-account-condition", True, user_policy(allow()), doc(allow("*", [BUCKET, BUCKET + "/*"], principal={"AWS": "*"}, condition={"StringEquals": {"s3:DataAccessPointAccount": OTHER}})), caller=BOB, keys={"s3:DataAccessPointAccount": OTHER}),
    Case("seed-delegation-no-access-point", False, user_policy(allow()), doc(allow("*", [BUCKET, BUCKET + "/*"], principal={"AWS": "*"}, condition={"StringEquals": {"s3:DataAccessPointAccount": OTHER}})), caller=BOB),
    # ---------------------------------------------------------------- anonymous
    Case("anonymous-no-policy", DecidedBy.IMPLICIT_DENY, caller=ANON, denied_in=PolicyType.RESOURCE),
    Case("anonymous-public-read", DecidedBy.RESOURCE, caller=ANON, resource=doc(allow(principal="*"))),
    Case("anonymous-aws-star", DecidedBy.RESOURCE, caller=ANON, resource=doc(allow(principal={"AWS": "*"}))),
    Case("anonymous-account-grant", DecidedBy.IMPLICIT_DENY, caller=ANON, resource=doc(allow(principal={"AWS": ACCT}))),
    Case("anonymous-identity-ignored", DecidedBy.IMPLICIT_DENY, user_policy(allow()), caller=ANON),
    Case("anonymous-principal-type-key", True, caller=ANON, resource=doc(allow(principal="*", condition={"StringEquals": {"aws:PrincipalType": "Anonymous"}}))),
    Case("anonymous-no-userid", True, caller=ANON, resource=doc(allow(principal="*", condition={"Null": {"aws:userid": "true"}}))),
    Case("anonymous-userid-default-doc", True, caller=ANON, arn=BUCKET + "/anonymous/x", resource=doc(allow("s3:*", "arn:aws:s3:::doc-bucket/${aws:userid, 'anonymous'}/*", principal="*"))),
    Case("anonymous-insecure-denied", DecidedBy.EXPLICIT_DENY, caller=ANON, keys={"aws:SecureTransport": "false"}, resource=doc(allow(principal="*"), deny("s3:*", principal="*", condition={"Bool": {"aws:SecureTransport": "false"}}))),
    # ---------------------------------------------------------------- trust policies
    Case("trust-same-account-user", DecidedBy.RESOURCE, action="sts:AssumeRole", arn=f"arn:aws:iam::{ACCT}:role/reader", resource=doc(allow("sts:AssumeRole", None, principal={"AWS": ALICE.arn})), resource_kind=PolicyKind.TRUST),
    Case("trust-account-needs-identity", DecidedBy.IMPLICIT_DENY, action="sts:AssumeRole", arn=f"arn:aws:iam::{ACCT}:role/reader", resource=doc(allow("sts:AssumeRole", None, principal={"AWS": ACCT})), resource_kind=PolicyKind.TRUST),
    Case("trust-cross-account", DecidedBy.IDENTITY_AND_RESOURCE, user_policy(allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/reader")), action="sts:AssumeRole", caller=BOB, arn=f"arn:aws:iam::{ACCT}:role/reader", resource=doc(allow("sts:AssumeRole", None, principal={"AWS": OTHER})), resource_kind=PolicyKind.TRUST),
    Case("trust-cross-account-no-identity", DecidedBy.IMPLICIT_DENY, action="sts:AssumeRole", caller=BOB, arn=f"arn:aws:iam::{ACCT}:role/reader", resource=doc(allow("sts:AssumeRole", None, principal={"AWS": OTHER})), resource_kind=PolicyKind.TRUST),
    Case("trust-service", DecidedBy.RESOURCE, action="sts:AssumeRole", caller=Caller.aws_service("s3.amazonaws.com"), arn=f"arn:aws:iam::{ACCT}:role/replication", resource=doc(allow("sts:AssumeRole", None, principal={"Service": "s3.amazonaws.com"})), resource_kind=PolicyKind.TRUST),
    Case("trust-other-action", DecidedBy.IMPLICIT_DENY, action="sts:TagSession", arn=f"arn:aws:iam::{ACCT}:role/reader", resource=doc(allow("sts:AssumeRole", None, principal={"AWS": ALICE.arn})), resource_kind=PolicyKind.TRUST),
]
# fmt: on


def _decide(case: Case) -> tuple[RequestContext, Any]:
    identity = [parse_policy(json_text(d), PolicyKind.IDENTITY) for d in case.identity]
    resource = (
        None
        if case.resource is None
        else parse_policy(json_text(case.resource), case.resource_kind)
    )
    ctx = RequestContext(case.caller, case.action, case.arn, case.owner, dict(case.keys))
    return ctx, evaluate(ctx, identity, resource)


def json_text(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_evaluation(case: Case) -> None:
    _, decision = _decide(case)
    if isinstance(case.expect, bool):
        assert decision.allowed is case.expect, decision
    else:
        assert decision.decided_by is case.expect, decision
        expect_allowed = case.expect not in (DecidedBy.EXPLICIT_DENY, DecidedBy.IMPLICIT_DENY)
        assert decision.allowed is expect_allowed
    if case.denied_in is not None:
        assert decision.denied_in is case.denied_in, decision


# ---------------------------------------------------------------- access points (three checks)

AP = f"arn:aws:s3:us-west-2:{OTHER}:accesspoint/ap1"
AP_OBJ = AP + "/object/key"


def _ap_decision(
    identity: list[dict[str, Any]], ap_policy: dict[str, Any] | None, bucket: dict[str, Any] | None
) -> Any:
    ctx = RequestContext(BOB, "s3:GetObject", OBJ, ACCT, {"s3:DataAccessPointAccount": OTHER})
    return evaluate(
        ctx,
        [parse_policy(json_text(d), PolicyKind.IDENTITY) for d in identity],
        None if bucket is None else parse_policy(json_text(bucket), PolicyKind.BUCKET),
        access_point_policy=None
        if ap_policy is None
        else parse_policy(json_text(ap_policy), PolicyKind.ACCESS_POINT),
        access_point_arn=AP_OBJ,
        access_point_account=OTHER,
    )


DELEGATE = doc(
    allow("*", [BUCKET, BUCKET + "/*"], principal={"AWS": "*"},
          condition={"StringEquals": {"s3:DataAccessPointAccount": OTHER}})
)  # fmt: skip
AP_POLICY = doc(allow("s3:GetObject", AP + "/object/*", principal={"AWS": BOB.arn}))


def test_access_point_all_three_allow() -> None:
    decision = _ap_decision(user_policy(allow(resource=AP + "/object/*")), AP_POLICY, DELEGATE)
    assert decision.allowed and decision.decided_by is DecidedBy.IDENTITY_AND_RESOURCE
    assert {s.policy_type for s in decision.statements} == set(PolicyType)


def test_access_point_identity_must_name_access_point() -> None:
    decision = _ap_decision(user_policy(allow(resource=OBJ)), AP_POLICY, DELEGATE)
    assert not decision.allowed and decision.denied_in is PolicyType.IDENTITY


def test_access_point_policy_missing() -> None:
    decision = _ap_decision(user_policy(allow(resource=AP + "/object/*")), None, DELEGATE)
    assert not decision.allowed and decision.denied_in is PolicyType.ACCESS_POINT


def test_access_point_bucket_does_not_delegate() -> None:
    decision = _ap_decision(user_policy(allow(resource=AP + "/object/*")), AP_POLICY, None)
    assert not decision.allowed and decision.denied_in is PolicyType.RESOURCE


def test_access_point_explicit_deny_wins() -> None:
    ap_deny = doc(
        allow("s3:GetObject", AP + "/object/*", principal="*"),
        deny("s3:GetObject", AP + "/object/*", principal={"AWS": BOB.arn}),
    )
    decision = _ap_decision(user_policy(allow(resource=AP + "/object/*")), ap_deny, DELEGATE)
    assert decision.decided_by is DecidedBy.EXPLICIT_DENY
    assert decision.denied_in is PolicyType.ACCESS_POINT


OWN_AP = f"arn:aws:s3::{ACCT}:accesspoint/own.mrap"
OWN_AP_OBJ = OWN_AP + "/object/key"


def _own_ap_decision(
    caller: Caller,
    identity: list[dict[str, Any]],
    ap_policy: dict[str, Any] | None = None,
    bucket: dict[str, Any] | None = None,
    point_account: str = ACCT,
) -> Any:
    """A request through an access point of `point_account` to a bucket of ACCT."""
    keys = {"s3:DataAccessPointArn": OWN_AP, "s3:DataAccessPointAccount": point_account}
    return evaluate(
        RequestContext(caller, "s3:GetObject", OBJ, ACCT, keys),
        [parse_policy(json_text(d), PolicyKind.IDENTITY) for d in identity],
        None if bucket is None else parse_policy(json_text(bucket), PolicyKind.BUCKET),
        access_point_policy=None
        if ap_policy is None
        else parse_policy(json_text(ap_policy), PolicyKind.ACCESS_POINT),
        access_point_arn=OWN_AP_OBJ,
        access_point_account=point_account,
    )


def test_same_account_access_point_needs_only_the_identity_policy() -> None:
    # AWS's current MRAP permissions page: "For same account requests, only the underlying
    # IAM policy, which grants the appropriate access, is required."
    assert _own_ap_decision(ROOT, []).decided_by is DecidedBy.ACCOUNT_ROOT
    decision = _own_ap_decision(ALICE, user_policy(allow(resource=OWN_AP + "/object/*")))
    assert decision.allowed and decision.decided_by is DecidedBy.IDENTITY
    # The identity policy is asked about the access point, not the bucket.
    decision = _own_ap_decision(ALICE, user_policy(allow(resource=OBJ)))
    assert not decision.allowed and decision.denied_in is PolicyType.IDENTITY
    # Both resource policies naming the caller allow as well, as on a direct request.
    named = {"AWS": ALICE.arn}
    decision = _own_ap_decision(
        ALICE,
        [],
        doc(allow(resource=OWN_AP + "/object/*", principal=named)),
        doc(allow(resource=OBJ, principal=named)),
    )
    assert decision.allowed and decision.decided_by is DecidedBy.RESOURCE
    decision = _own_ap_decision(
        ALICE, [], doc(allow(resource=OWN_AP + "/object/*", principal=named))
    )
    assert not decision.allowed and decision.denied_in is PolicyType.IDENTITY


@pytest.mark.parametrize("where", ["identity", "access-point", "bucket"])
def test_same_account_access_point_deny_anywhere_wins(where: str) -> None:
    no = deny(principal="*") if where != "identity" else deny()
    everything = allow(resource="*")
    decision = _own_ap_decision(
        ALICE,
        user_policy(everything, no) if where == "identity" else user_policy(everything),
        doc(no) if where == "access-point" else None,
        doc(no) if where == "bucket" else None,
    )
    assert decision.decided_by is DecidedBy.EXPLICIT_DENY
    if where != "identity":  # and binds the root, which has no identity policies
        root = _own_ap_decision(
            ROOT,
            [],
            doc(no) if where == "access-point" else None,
            doc(no) if where == "bucket" else None,
        )
        assert root.decided_by is DecidedBy.EXPLICIT_DENY


def test_access_point_of_another_account_over_own_bucket_needs_all_three() -> None:
    # The caller owns the bucket but not the access point: a cross-account request.
    decision = _own_ap_decision(ROOT, [], point_account=OTHER)
    assert not decision.allowed and decision.denied_in is PolicyType.ACCESS_POINT


# ---------------------------------------------------------------- deciding statements, messages


def test_deciding_statements_carry_sid_and_policy_index() -> None:
    case = Case(
        "sids",
        False,
        [doc(allow(sid="ReadAll")), doc(deny(sid="NoSecrets", resource=BUCKET + "/k*"))],
    )
    _, decision = _decide(case)
    assert decision.decided_by is DecidedBy.EXPLICIT_DENY
    (hit,) = decision.statements
    assert (hit.policy_index, hit.statement_index, hit.sid, hit.effect) == (
        1,
        0,
        "NoSecrets",
        "Deny",
    )


def test_allow_lists_every_allowing_statement() -> None:
    case = Case("two", True, [doc(allow(sid="A"), allow("s3:Get*", sid="B"), allow("s3:Put*"))])
    _, decision = _decide(case)
    assert [s.sid for s in decision.statements] == ["A", "B"]


# fmt: off
MESSAGE_CASES = [
    (Case("m1", False), 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::doc-bucket/key" because no identity-based policy allows the s3:GetObject action'),
    (Case("m2", False, user_policy(allow(), deny())), 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::doc-bucket/key" with an explicit deny in an identity-based policy'),
    (Case("m3", False, user_policy(allow()), doc(deny(principal="*"))), 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::doc-bucket/key" with an explicit deny in a resource-based policy'),
    (Case("m4", False, caller=READER), 'User: arn:aws:sts::111122223333:assumed-role/reader/s1 is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::doc-bucket/key" because no identity-based policy allows the s3:GetObject action'),
    (Case("m5", False, user_policy(allow()), caller=BOB), "Access Denied"),  # cross account
    (Case("m6", False, caller=ANON), "Access Denied"),
]
# fmt: on


@pytest.mark.parametrize(("case", "message"), MESSAGE_CASES, ids=[c.id for c, _ in MESSAGE_CASES])
def test_access_denied_message(case: Case, message: str) -> None:
    ctx, decision = _decide(case)
    assert not decision.allowed
    assert access_denied_message(ctx, decision) == message


def test_cross_account_message_when_asked() -> None:
    ctx, decision = _decide(Case("m7", False, user_policy(allow()), caller=BOB))
    assert access_denied_message(ctx, decision, enhanced=True) == (
        "User: arn:aws:iam::444455556666:user/bob is not authorized to perform: s3:GetObject "
        'on resource: "arn:aws:s3:::doc-bucket/key" because no resource-based policy allows '
        "the s3:GetObject action"
    )


# ---------------------------------------------------------------- index and cost


def test_statement_index_per_action() -> None:
    policy = parse_policy(
        json_text(doc(allow("s3:GetObject"), allow("s3:Put*"), allow("s3:Get*", not_action=True))),
        PolicyKind.IDENTITY,
    )
    assert [s.index for s in policy.statements_for("s3:getobject")] == [0]
    assert [s.index for s in policy.statements_for("s3:putobject")] == [1, 2]
    assert policy.statements_for("s3:getobject") is policy.statements_for("s3:getobject")


def _bench_policies() -> tuple[Any, Any]:
    statements = [
        allow(f"s3:Get{name}", f"arn:aws:s3:::bucket-{i}/*", principal={"AWS": f"arn:aws:iam::{OTHER}:user/u{i}"},
              condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        for i, name in enumerate(["Object", "ObjectAcl", "ObjectTagging", "BucketPolicy"] * 5)
    ]  # fmt: skip
    statements[7] = allow(
        "s3:GetObject",
        BUCKET + "/*",
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "true"}},
    )
    bucket = parse_policy(json_text(doc(*statements)), PolicyKind.BUCKET)
    user = parse_policy(
        json_text(doc(allow(["s3:GetObject", "s3:ListBucket"], [BUCKET, BUCKET + "/*"]))),
        PolicyKind.IDENTITY,
    )
    return bucket, user


def test_twenty_statement_policy_allows_the_user() -> None:
    # What this costs per request is printed by bench/policy.py.
    bucket, user = _bench_policies()
    keys = {
        "aws:SecureTransport": "true",
        "aws:SourceIp": "10.1.2.3",
        "s3:ExistingObjectTag/a": "b",
    }
    decision = evaluate(RequestContext(ALICE, "s3:GetObject", OBJ, ACCT, keys), [user], bucket)
    assert decision.allowed
