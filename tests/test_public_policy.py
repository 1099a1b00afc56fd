"""S3's "public" test for bucket and access point policies, and for ACLs.

Examples from the S3 User Guide, "Blocking public access to your Amazon S3 storage", section
"The meaning of public" (bucket policies, the mixed public/non-public example, access points).
"""

# Case tables keep one case per line (between fmt: off/on), so long lines are expected.
# ruff: noqa: E501

from __future__ import annotations

import json
from typing import Any

import pytest

from mrap.iam import (
    PUBLIC_ACL_GROUPS,
    Caller,
    PolicyKind,
    is_public_acl,
    is_public_cidr,
    is_public_policy,
    parse_policy,
    public_statements,
    restrict_public_buckets_allows,
)

ACCT = "123456789012"


def stmt(
    principal: Any = "*", condition: Any = None, effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": "s3:PutObject", "Resource": "*"}
    if "not_principal" in extra:
        out["NotPrincipal"] = extra.pop("not_principal")
    else:
        out["Principal"] = principal
    if condition is not None:
        out["Condition"] = condition
    return out


def policy(*statements: dict[str, Any], kind: PolicyKind = PolicyKind.BUCKET) -> Any:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind)


def only(key: str, value: Any, op: str = "StringEquals") -> dict[str, Any]:
    return {op: {key: value}}


# (id, statement, public?)
# fmt: off
CASES: list[tuple[str, dict[str, Any], bool]] = [
    # The guide's three public examples, and the fix that makes the last one non-public.
    ("doc-federated-facebook", stmt({"Federated": "graph.facebook.com"}), True),
    ("doc-star-no-condition", stmt("*"), True),
    ("doc-sourcevpc-wildcard", stmt("*", only("aws:SourceVpc", "vpc-*", "StringLike")), True),
    ("doc-sourcevpc-fixed", stmt("*", only("aws:SourceVpc", "vpc-91237329")), False),
    # Fixed principals.
    ("account-id", stmt({"AWS": ACCT}), False),
    ("account-root-arn", stmt({"AWS": f"arn:aws:iam::{ACCT}:root"}), False),
    ("user-arn", stmt({"AWS": f"arn:aws:iam::{ACCT}:user/alice"}), False),
    ("role-and-session", stmt({"AWS": [f"arn:aws:iam::{ACCT}:role/r", f"arn:aws:sts::{ACCT}:assumed-role/r/s"]}), False),
    ("service-principal", stmt({"Service": "cloudtrail.amazonaws.com"}), False),
    ("canonical-user", stmt({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}), False),
    ("aws-star", stmt({"AWS": "*"}), True),
    ("star-among-accounts", stmt({"AWS": [ACCT, "*"]}), True),
    ("notprincipal-allow", stmt(not_principal={"AWS": ACCT}), True),
    ("deny-star-never-public", stmt("*", effect="Deny"), False),
    ("notprincipal-deny", stmt(not_principal={"AWS": ACCT}, effect="Deny"), False),
    # aws:SourceIp: wider than /8 (IPv4) or /32 (IPv6) is public, RFC 1918 excepted.
    ("sourceip-doc-0.0.0.0/1", stmt("*", only("aws:SourceIp", "0.0.0.0/1", "IpAddress")), True),
    ("sourceip-/24", stmt("*", only("aws:SourceIp", "203.0.113.0/24", "IpAddress")), False),
    ("sourceip-/8", stmt("*", only("aws:SourceIp", "11.0.0.0/8", "IpAddress")), False),
    ("sourceip-/7", stmt("*", only("aws:SourceIp", "12.0.0.0/7", "IpAddress")), True),
    ("sourceip-single-address", stmt("*", only("aws:SourceIp", "203.0.113.5", "IpAddress")), False),
    ("sourceip-rfc1918-10", stmt("*", only("aws:SourceIp", "10.0.0.0/8", "IpAddress")), False),
    ("sourceip-rfc1918-172", stmt("*", only("aws:SourceIp", "172.16.0.0/12", "IpAddress")), False),
    ("sourceip-rfc1918-192", stmt("*", only("aws:SourceIp", "192.168.0.0/16", "IpAddress")), False),
    ("sourceip-ipv6-/32", stmt("*", only("aws:SourceIp", "2001:db8::/32", "IpAddress")), False),
    ("sourceip-ipv6-/31", stmt("*", only("aws:SourceIp", "2001:db8::/31", "IpAddress")), True),
    ("sourceip-one-wide-value", stmt("*", only("aws:SourceIp", ["203.0.113.0/24", "0.0.0.0/0"], "IpAddress")), True),
    ("sourceip-negated", stmt("*", only("aws:SourceIp", "203.0.113.0/24", "NotIpAddress")), True),
    ("sourceip-ifexists", stmt("*", only("aws:SourceIp", "203.0.113.0/24", "IpAddressIfExists")), True),
    # The other fixed-value keys.
    ("sourcearn", stmt("*", only("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:123456789012:trail/t", "ArnEquals")), False),
    ("sourcearn-wildcard", stmt("*", only("aws:SourceArn", "arn:aws:cloudtrail:*:123456789012:trail/*", "ArnLike")), True),
    ("sourceaccount", stmt("*", only("aws:SourceAccount", ACCT)), False),
    ("sourceowner", stmt("*", only("aws:SourceOwner", ACCT)), False),
    ("sourcevpce", stmt("*", only("aws:SourceVpce", "vpce-1a2b3c4d")), False),
    ("kms-key-id", stmt("*", only("s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:123456789012:key/k")), False),
    ("userid-fixed", stmt("*", only("aws:userid", "AIDAEXAMPLEUSERID")), False),
    ("userid-role-pattern", stmt("*", only("aws:userid", "AROAEXAMPLEROLEID:*", "StringLike")), True),
    ("data-access-point-account", stmt({"AWS": "*"}, only("s3:DataAccessPointAccount", ACCT)), False),
    ("key-name-case", stmt("*", only("AWS:SourceVpc", "vpc-91237329")), False),
    ("ignorecase-operator", stmt("*", only("aws:SourceVpc", "vpc-91237329", "StringEqualsIgnoreCase")), False),
    ("forany-fixed", stmt("*", only("aws:SourceVpc", ["vpc-1", "vpc-2"], "ForAnyValue:StringEquals")), False),
    ("forall-does-not-restrict", stmt("*", only("aws:SourceVpc", "vpc-1", "ForAllValues:StringEquals")), True),
    ("negated-does-not-restrict", stmt("*", only("aws:SourceVpc", "vpc-1", "StringNotEquals")), True),
    ("ifexists-does-not-restrict", stmt("*", only("aws:SourceVpc", "vpc-1", "StringEqualsIfExists")), True),
    ("variable-is-not-fixed", stmt("*", only("aws:SourceAccount", "${aws:PrincipalAccount}")), True),
    ("unrelated-key", stmt("*", only("s3:prefix", "home/")), True),
    ("secure-transport-only", stmt("*", only("aws:SecureTransport", "true", "Bool")), True),
    ("restricting-plus-other", stmt("*", {"StringEquals": {"aws:SourceVpc": "vpc-1"}, "Bool": {"aws:SecureTransport": "true"}}), False),
    # Newer AWS pages: principal and organization keys count too (AWS-NOTES §9 q15: decided yes).
    ("principal-account", stmt({"AWS": "*"}, only("aws:PrincipalAccount", ACCT)), False),
    ("principal-org-id", stmt({"AWS": "*"}, only("aws:PrincipalOrgID", "o-a1b2c3d4e5")), False),
    ("principal-arn", stmt({"AWS": "*"}, only("aws:PrincipalArn", f"arn:aws:iam::{ACCT}:role/r", "ArnEquals")), False),
    ("principal-arn-wildcard", stmt({"AWS": "*"}, only("aws:PrincipalArn", "arn:aws:iam::*:role/r", "ArnLike")), True),
    # s3:DataAccessPointArn in a bucket policy: the access point name may be a wildcard.
    ("ap-arn-fixed", stmt({"AWS": "*"}, only("s3:DataAccessPointArn", f"arn:aws:s3:us-west-2:{ACCT}:accesspoint/ap1")), False),
    ("ap-arn-doc-name-wildcard", stmt({"AWS": "*"}, only("s3:DataAccessPointArn", f"arn:aws:s3:us-west-2:{ACCT}:accesspoint/*", "StringLike")), False),
    ("ap-arn-mrap-name-wildcard", stmt({"AWS": "*"}, only("s3:DataAccessPointArn", f"arn:aws:s3::{ACCT}:accesspoint/*", "StringLike")), False),
    ("ap-arn-account-wildcard", stmt({"AWS": "*"}, only("s3:DataAccessPointArn", "arn:aws:s3:us-west-2:*:accesspoint/*", "StringLike")), True),
    ("ap-arn-region-wildcard", stmt({"AWS": "*"}, only("s3:DataAccessPointArn", f"arn:aws:s3:*:{ACCT}:accesspoint/*", "StringLike")), True),
]
# fmt: on


@pytest.mark.parametrize(("case_id", "statement", "public"), CASES, ids=[c[0] for c in CASES])
def test_bucket_policy_public(case_id: str, statement: dict[str, Any], public: bool) -> None:
    assert is_public_policy(policy(statement)) is public


def test_access_point_policy_name_wildcard_is_public() -> None:
    # The guide: an access point policy granting to a set of access points is public.
    grant = stmt(
        {"AWS": "*"},
        only("s3:DataAccessPointArn", f"arn:aws:s3:us-west-2:{ACCT}:accesspoint/*", "StringLike"),
    )
    grant["Resource"] = f"arn:aws:s3:us-west-2:{ACCT}:accesspoint/ap1/object/*"
    assert is_public_policy(policy(grant, kind=PolicyKind.ACCESS_POINT))
    assert not is_public_policy(policy(grant, kind=PolicyKind.ACCESS_POINT), access_point=False)
    fixed = stmt(
        {"AWS": "*"}, only("s3:DataAccessPointArn", f"arn:aws:s3:us-west-2:{ACCT}:accesspoint/ap1")
    )
    fixed["Resource"] = grant["Resource"]
    assert not is_public_policy(policy(fixed, kind=PolicyKind.ACCESS_POINT))


def test_doc_mixed_policy_public_because_of_one_statement() -> None:
    # The guide's example: CloudTrail, Account-2, and a public statement.
    cloudtrail = stmt({"Service": "cloudtrail.amazonaws.com"})
    account2 = stmt({"AWS": "444455556666"})
    public = stmt("*")
    assert public_statements(policy(cloudtrail, account2, public)) == (2,)
    assert is_public_policy(policy(cloudtrail, account2, public))
    assert not is_public_policy(policy(cloudtrail, account2))


def test_seed_delegation_policy_is_not_public() -> None:
    delegation = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCT}},
    }
    assert not is_public_policy(policy(delegation))


@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("0.0.0.0/1", True),
        ("8.0.0.0/7", True),
        ("8.0.0.0/8", False),
        ("203.0.113.0/24", False),
        ("10.0.0.0/8", False),
        ("10.1.0.0/16", False),
        ("172.16.0.0/12", False),
        ("172.16.0.0/11", False),
        ("128.0.0.0/1", True),
        ("192.168.0.0/16", False),
        ("::/0", True),
        ("2001:db8::/32", False),
        ("2001:db8::/16", True),
        ("garbage", True),
    ],
)
def test_public_cidr(cidr: str, public: bool) -> None:
    assert is_public_cidr(cidr) is public


def test_public_acl() -> None:
    assert is_public_acl(["http://acs.amazonaws.com/groups/global/AllUsers"])
    assert is_public_acl(["x", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"])
    assert not is_public_acl(["http://acs.amazonaws.com/groups/s3/LogDelivery"])
    assert not is_public_acl([])
    assert len(PUBLIC_ACL_GROUPS) == 2


def test_restrict_public_buckets() -> None:
    assert restrict_public_buckets_allows(Caller.user(ACCT, "alice", "AIDA1"), ACCT)
    assert restrict_public_buckets_allows(Caller.root(ACCT), ACCT)
    assert restrict_public_buckets_allows(Caller.aws_service("cloudtrail.amazonaws.com"), ACCT)
    assert not restrict_public_buckets_allows(Caller.user("444455556666", "bob", "AIDA2"), ACCT)
    assert not restrict_public_buckets_allows(Caller.anonymous(), ACCT)


def test_identity_policies_are_never_public() -> None:
    doc = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            }
        ),
        PolicyKind.IDENTITY,
    )
    assert not is_public_policy(doc)
