"""Who may do what through a Multi-Region Access Point, and the bad input it refuses (issue 7).

The permission matrix crosses the access point policy, the routed bucket's policy, the caller's
identity policy and the caller's account, and derives each expected outcome from the rules AWS
documents (the seed "Permissions" page in ../shared/seeds/001_*.txt and AWS-NOTES §5, as AWS's
current page amends it: within one account only the identity policy is required) rather than
from the server's answers. Block Public Access is checked at its four levels; direct
requests to the bucket ignore the access point policy; Requester Pays applies through the
access point. The access points, buckets, accounts and IAM users are made once per module and
only the policies change between cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import send
from test_identity_policies import make_client, user_client
from test_mrap_control import (
    ACCOUNT,
    ROOT,
    Keys,
    control,
    create,
    make_bucket,
    new_account,
    s3_client,
    wait,
)
from test_mrap_dataplane import ROUTED, proxied  # noqa: F401 - `proxied` is a fixture
from test_proxy import aws
from test_sigv4a import crt_presign, crt_sign

Outcome = str  # "ok", or the error code S3 answered
OK = "ok"
ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:ListBucket")
OTHER_POINT = f"arn:aws:s3::{ACCOUNT}:accesspoint/zzzzzzzzzzzzz.mrap"  # never created


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def point_resources(arn: str) -> list[str]:
    """An access point's resources: itself (bucket-level actions) and its objects."""
    return [arn, f"{arn}/object/*"]


def bucket_resources(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


def outcome(call: Callable[..., Any], **kwargs: Any) -> Outcome:
    """ "ok", or the error code (AccessDenied only with status 403)."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = str(exc.response["Error"]["Code"])
        if code == "AccessDenied":
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        return code
    return OK


def three_operations(client: BaseClient, bucket: str) -> dict[str, Outcome]:
    """GetObject, PutObject and ListObjectsV2 through `bucket` (an alias or an ARN)."""
    return {
        "s3:GetObject": outcome(client.get_object, Bucket=bucket, Key="k"),
        "s3:PutObject": outcome(client.put_object, Bucket=bucket, Key="w", Body=b"w"),
        "s3:ListBucket": outcome(client.list_objects_v2, Bucket=bucket),
    }


class AccessPoint:
    """A Multi-Region Access Point of one account, remembering the policy it has now."""

    def __init__(self, gateway: Gateway, keys: Keys, buckets: list[str], **extra: Any) -> None:
        self.keys = keys
        self.buckets = buckets
        self.ctl = control(gateway, keys=keys)
        self.name, _ = create(self.ctl, buckets, account=keys.account, **extra)
        got = self.ctl.get_multi_region_access_point(AccountId=keys.account, Name=self.name)
        self.alias: str = got["AccessPoint"]["Alias"]
        self.arn = f"arn:aws:s3::{keys.account}:accesspoint/{self.alias}"
        self.policy: str | None = None

    def put_policy(self, policy: str) -> None:
        if policy == self.policy:
            return
        token = self.ctl.put_multi_region_access_point_policy(
            AccountId=self.keys.account, Details={"Name": self.name, "Policy": policy}
        )["RequestTokenARN"]
        assert wait(self.ctl, token, self.keys.account)["RequestStatus"] == "SUCCEEDED"
        self.policy = policy


# --- The matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """An IAM user's inline policy, as the matrix varies it."""

    allows: tuple[str, ...]  # actions allowed …
    on_access_point: bool  # … on the access point's resources (else only on the bucket's)
    denies: tuple[str, ...] = ()  # actions explicitly denied on every resource

    def statements(self, point_arn: str, bucket: str) -> list[dict[str, Any]]:
        on = point_resources(point_arn) if self.on_access_point else bucket_resources(bucket)
        out = [{"Effect": "Allow", "Action": list(self.allows), "Resource": on}]
        if self.denies:
            out.append({"Effect": "Deny", "Action": list(self.denies), "Resource": "*"})
        return out


IDENTITIES = {
    "all": Identity(ACTIONS, on_access_point=True),
    "read": Identity(("s3:GetObject", "s3:ListBucket"), on_access_point=True),
    "bucket-arn-only": Identity(ACTIONS, on_access_point=False),
    "deny": Identity(ACTIONS, on_access_point=True, denies=ACTIONS),
}
POINT_POLICIES = ("allow", "deny", "none")
BUCKET_POLICIES = (
    "delegate-arn",
    "delegate-account",
    "same-permissions",
    "delegate-elsewhere",
    "none",
)


def expected(
    action: str, identity: Identity, point_policy: str, bucket_policy: str, caller: str
) -> Outcome:
    """The outcome AWS documents for one request through the access point.

    The access point and the bucket belong to the bootstrap account; `caller` says whether
    the IAM user belongs to it too ("same-account") or to another account ("cross-account").
    """
    # An explicit Deny in any policy wins over every Allow (IAM policy evaluation logic; seed
    # 001: "The more restrictive access policy always takes precedence").
    if action in identity.denies or point_policy == "deny":
        return "AccessDenied"
    # (1) The identity policy: requests through an access point are authorized against the
    # access point's ARN (AWS-NOTES §5.3), so a grant on the bucket's ARN alone does not help.
    identity_allows = action in identity.allows and identity.on_access_point
    # AWS's current permissions page (newer than seed 001): "For same account requests, only
    # the underlying IAM policy, which grants the appropriate access, is required."
    if caller == "same-account":
        return OK if identity_allows else "AccessDenied"
    # The same page: "For a cross-account request to succeed, the following policies must
    # permit the operation: the Multi-Region Access Point policy, the underlying IAM policy,
    # the underlying bucket policy" (seed 001 says so of every request).
    # (2) The access point policy: "allow" grants the caller's account the three actions (seed
    # 001 Example 2); without a policy nothing is granted.
    point_allows = point_policy == "allow"
    # (3) The bucket policy: delegating to this access point by s3:DataAccessPointArn (seed 001
    # Example 1) or s3:DataAccessPointAccount (AWS-NOTES §5.2) allows, and so does granting the
    # caller the same permissions directly (seed 001: "Add the same permissions contained in
    # the Multi-Region Access Point policy to the underlying bucket policy"); a delegation to
    # another access point, or no policy, does not ("both the Multi-Region Access Point and the
    # underlying bucket must allow the same access").
    bucket_allows = bucket_policy in ("delegate-arn", "delegate-account", "same-permissions")
    return OK if identity_allows and point_allows and bucket_allows else "AccessDenied"


def point_policy_document(kind: str, point_arn: str, caller_account: str) -> str:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{caller_account}:root"},
        "Action": list(ACTIONS),
        "Resource": point_resources(point_arn),
    }
    if kind == "allow":
        return doc(grant)
    deny = {"Effect": "Deny", "Principal": "*", "Action": list(ACTIONS),
            "Resource": point_resources(point_arn)}  # fmt: skip
    return doc(grant, deny)  # the grant is there, and the Deny overrides it


def bucket_policy_document(
    kind: str, bucket: str, point_arn: str, point_account: str, caller_account: str
) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": bucket_resources(bucket),
        "Condition": {"StringEquals": {"s3:DataAccessPointArn": point_arn}},
    }
    if kind == "delegate-account":
        statement["Principal"] = {"AWS": caller_account}
        statement["Condition"] = {"StringEquals": {"s3:DataAccessPointAccount": point_account}}
    elif kind == "same-permissions":
        statement["Principal"] = {"AWS": caller_account}
        statement["Action"] = list(ACTIONS)
        del statement["Condition"]
    elif kind == "delegate-elsewhere":
        statement["Condition"] = {"StringEquals": {"s3:DataAccessPointArn": OTHER_POINT}}
    return doc(statement)


class Matrix:
    """Two access points of the bootstrap account over one pair of buckets (one never gets a
    policy, as access point policies cannot be deleted), and IAM users of that account and of
    another one, one per identity policy."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.s3 = s3_client(gateway)
        self.east = make_bucket(self.s3, "us-east-1")
        self.west = make_bucket(self.s3, "eu-west-1")
        self.with_policy = AccessPoint(gateway, ROOT, [self.east, self.west])
        self.without_policy = AccessPoint(gateway, ROOT, [self.east, self.west])
        self.s3.put_object(Bucket=self.east, Key="k", Body=b"through the access point")
        self.other = new_account(gateway)
        self.users: dict[tuple[str, str], BaseClient] = {}
        for keys in (ROOT, self.other):
            iam = make_client(gateway, "iam", keys.access_key_id, keys.secret)
            for name, identity in IDENTITIES.items():
                statements = identity.statements(self.with_policy.arn, self.east)
                statements += identity.statements(self.without_policy.arn, self.east)
                self.users[keys.account, name] = user_client(gateway, iam, *statements)
        self.bucket_policy: str | None = None

    def point(self, point_policy: str) -> AccessPoint:
        return self.without_policy if point_policy == "none" else self.with_policy

    def arrange(self, point_policy: str, bucket_policy: str, caller_account: str) -> AccessPoint:
        """Set the policies of a matrix row; the access point the row goes through."""
        point = self.point(point_policy)
        if point_policy != "none":
            point.put_policy(point_policy_document(point_policy, point.arn, caller_account))
        if bucket_policy == "none":
            if self.bucket_policy is not None:
                self.s3.delete_bucket_policy(Bucket=self.east)
            self.bucket_policy = None
        else:
            text = bucket_policy_document(
                bucket_policy, self.east, point.arn, ACCOUNT, caller_account
            )
            if text != self.bucket_policy:
                self.s3.put_bucket_policy(Bucket=self.east, Policy=text)
            self.bucket_policy = text
        return point


@pytest.fixture(scope="module")
def matrix(gateway: Gateway) -> Matrix:
    return Matrix(gateway)


@pytest.mark.parametrize("bucket_policy", BUCKET_POLICIES)
@pytest.mark.parametrize("point_policy", POINT_POLICIES)
@pytest.mark.parametrize("caller", ["same-account", "cross-account"])
def test_permission_matrix_through_the_alias(
    matrix: Matrix, caller: str, point_policy: str, bucket_policy: str
) -> None:
    account = ACCOUNT if caller == "same-account" else matrix.other.account
    point = matrix.arrange(point_policy, bucket_policy, account)
    got = {name: three_operations(matrix.users[account, name], point.alias) for name in IDENTITIES}
    want = {
        name: {a: expected(a, identity, point_policy, bucket_policy, caller) for a in ACTIONS}
        for name, identity in IDENTITIES.items()
    }
    assert got == want


# A few rows again through the ARN: the endpoint proxy, SigV4A, unmodified boto3.
ARN_ROWS = [
    ("same-account", "all", "allow", "delegate-arn"),
    ("same-account", "read", "allow", "delegate-account"),
    ("same-account", "all", "deny", "delegate-arn"),
    ("same-account", "all", "none", "none"),
    ("cross-account", "all", "allow", "delegate-account"),
    ("cross-account", "all", "allow", "none"),
    ("cross-account", "bucket-arn-only", "allow", "delegate-arn"),
]


@pytest.mark.usefixtures("proxied")
@pytest.mark.parametrize(("caller", "user", "point_policy", "bucket_policy"), ARN_ROWS)
def test_permission_matrix_rows_through_the_arn_with_sigv4a(
    matrix: Matrix, caller: str, user: str, point_policy: str, bucket_policy: str
) -> None:
    account = ACCOUNT if caller == "same-account" else matrix.other.account
    point = matrix.arrange(point_policy, bucket_policy, account)
    creds = matrix.users[account, user]._request_signer._credentials
    client = boto3.Session(
        aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key
    ).client("s3")
    want = {a: expected(a, IDENTITIES[user], point_policy, bucket_policy, caller) for a in ACTIONS}
    assert three_operations(client, point.arn) == want


def test_direct_requests_ignore_the_access_point_policy(matrix: Matrix) -> None:
    point = matrix.arrange("deny", "none", ACCOUNT)
    deny_all = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": point_resources(point.arn)})  # fmt: skip
    point.put_policy(deny_all)
    # Seed 001: "Restrictions that you include in a Multi-Region Access Point policy apply
    # only to requests made through that Multi-Region Access Point."
    assert matrix.s3.get_object(Bucket=matrix.east, Key="k")["Body"].read() == (
        b"through the access point"
    )
    assert outcome(matrix.s3.get_object, Bucket=point.alias, Key="k") == "AccessDenied"
    user = matrix.users[ACCOUNT, "bucket-arn-only"]  # allowed on the bucket's ARN only
    assert outcome(user.get_object, Bucket=matrix.east, Key="k") == OK


def message(call: Callable[..., Any], **kwargs: Any) -> str:
    """The message of the AccessDenied `call` gets."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert error(caught) == ("AccessDenied", 403)
    return str(caught.value.response["Error"]["Message"])


def test_the_owner_root_needs_no_resource_policy_but_a_deny_binds_it(matrix: Matrix) -> None:
    point = matrix.arrange("none", "none", ACCOUNT)  # no access point or bucket policy at all
    # AWS's current permissions page: "For same account requests, only the underlying IAM
    # policy, which grants the appropriate access, is required" (the root has every one).
    assert three_operations(matrix.s3, point.alias) == dict.fromkeys(ACTIONS, OK)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{matrix.east}/*"}  # fmt: skip
    matrix.s3.put_bucket_policy(Bucket=matrix.east, Policy=doc(deny))
    try:
        said = message(matrix.s3.get_object, Bucket=point.alias, Key="k")
        assert said == (
            f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:GetObject on "
            f'resource: "arn:aws:s3:::{matrix.east}/k" with an explicit deny in a '
            "resource-based policy"
        )
        assert outcome(matrix.s3.put_object, Bucket=point.alias, Key="w", Body=b"w") == OK
    finally:
        matrix.s3.delete_bucket_policy(Bucket=matrix.east)
    user = matrix.users[ACCOUNT, "bucket-arn-only"]  # allowed on the bucket's ARN only
    said = message(user.get_object, Bucket=point.alias, Key="k")
    assert said.endswith(
        f'on resource: "{point.arn}/object/k" because no identity-based policy allows the '
        "s3:GetObject action"
    )


@pytest.fixture(scope="module")
def external(gateway: Gateway) -> tuple[AccessPoint, Keys, str]:
    """An access point of the bootstrap account over another account's bucket (which
    consents to it, but does not delegate to it): (access point, bucket owner, bucket)."""
    owner = new_account(gateway)
    s3 = s3_client(gateway, owner)
    bucket = make_bucket(s3, "us-east-1")
    consent = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:ListBucket",
               "Resource": f"arn:aws:s3:::{bucket}"}  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(consent))
    s3.put_object(Bucket=bucket, Key="k", Body=b"theirs")
    regions = [{"Bucket": bucket, "BucketAccountId": owner.account}]
    return AccessPoint(gateway, ROOT, [bucket], Regions=regions), owner, bucket


def test_across_accounts_the_message_names_the_policy_that_did_not_allow(
    gateway: Gateway, external: tuple[AccessPoint, Keys, str]
) -> None:
    point, owner, bucket = external
    root, bucket_owner = s3_client(gateway), s3_client(gateway, owner)
    # The caller's account owns the access point but not the bucket: all three must allow.
    said = message(root.get_object, Bucket=point.alias, Key="k")
    assert said == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: s3:GetObject on "
        f'resource: "{point.arn}/object/k" because no Multi-Region Access Point policy allows '
        "the s3:GetObject action"
    )
    point.put_policy(doc({"Effect": "Allow", "Principal": {"AWS": [ACCOUNT, owner.account]},
                          "Action": "s3:GetObject",
                          "Resource": f"{point.arn}/object/*"}))  # fmt: skip
    # The bucket does not delegate: the bucket owner's own root hears which policy is missing,
    # another account only "Access Denied" (AWS explains denials within the owner's account).
    said = message(bucket_owner.get_object, Bucket=point.alias, Key="k")
    assert said == (
        f"User: arn:aws:iam::{owner.account}:root is not authorized to perform: s3:GetObject "
        f'on resource: "arn:aws:s3:::{bucket}/k" because no resource-based policy allows the '
        "s3:GetObject action"
    )
    assert message(root.get_object, Bucket=point.alias, Key="k") == "Access Denied"
    delegate = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
                "Resource": bucket_resources(bucket),
                "Condition": {"StringEquals": {"s3:DataAccessPointArn": point.arn}}}  # fmt: skip
    consent = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:ListBucket",
               "Resource": f"arn:aws:s3:::{bucket}"}  # fmt: skip
    bucket_owner.put_bucket_policy(Bucket=bucket, Policy=doc(consent, delegate))
    assert root.get_object(Bucket=point.alias, Key="k")["Body"].read() == b"theirs"
    assert bucket_owner.get_object(Bucket=point.alias, Key="k")["Body"].read() == b"theirs"


def test_a_copy_source_is_authorized_as_a_direct_request(gateway: Gateway) -> None:
    owner = new_account(gateway)
    s3 = s3_client(gateway, owner)
    bucket, source = make_bucket(s3, "us-east-1"), make_bucket(s3, "eu-west-1")
    s3.put_object(Bucket=source, Key="src", Body=b"copied")
    point = AccessPoint(gateway, owner, [bucket])
    # The owner's root copies from its policy-less bucket into its policy-less access point.
    s3.copy_object(Bucket=point.alias, Key="by-owner", CopySource={"Bucket": source, "Key": "src"})
    assert s3.get_object(Bucket=bucket, Key="by-owner")["Body"].read() == b"copied"
    # Another account, let in by the access point and delegated to by both buckets: the
    # delegation does not reach the source, which is read as from its bucket directly.
    point.put_policy(doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                          "Action": ["s3:GetObject", "s3:PutObject"],
                          "Resource": f"{point.arn}/object/*"}))  # fmt: skip
    statements = [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
         "Resource": bucket_resources(name),
         "Condition": {"StringEquals": {"s3:DataAccessPointArn": point.arn}}}
        for name in (bucket, source)
    ]  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(statements[0]))
    s3.put_bucket_policy(Bucket=source, Policy=doc(statements[1]))
    stranger = s3_client(gateway)
    copy = {"Bucket": point.alias, "Key": "by-stranger", "CopySource": f"{source}/src"}
    assert outcome(stranger.copy_object, **copy) == "AccessDenied"
    assert keys_of(s3, bucket) == ["by-owner"]
    reader = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:GetObject",
              "Resource": f"arn:aws:s3:::{source}/*"}  # fmt: skip
    s3.put_bucket_policy(Bucket=source, Policy=doc(statements[1], reader))
    assert outcome(stranger.copy_object, **copy) == OK
    assert s3.get_object(Bucket=bucket, Key="by-stranger")["Body"].read() == b"copied"


# --- Block Public Access ---------------------------------------------------------------------


def flags(restrict: bool, block_policy: bool = False) -> dict[str, bool]:
    return {"BlockPublicAcls": False, "IgnorePublicAcls": False,
            "BlockPublicPolicy": block_policy, "RestrictPublicBuckets": restrict}  # fmt: skip


class Public:
    """Access points and buckets of a fresh account (so that its account-level settings touch
    no other test): one access point created with RestrictPublicBuckets on, one with every
    setting off. (Both have BlockPublicPolicy off: under the defaults, all four settings on, a
    public access point policy could not be put at all.)"""

    def __init__(self, gateway: Gateway) -> None:
        self.keys = new_account(gateway)
        self.s3 = s3_client(gateway, self.keys)
        self.s3control = control(gateway, keys=self.keys)
        self.east = make_bucket(self.s3, "us-east-1")
        self.west = make_bucket(self.s3, "eu-west-1")
        buckets = [self.east, self.west]
        self.restricting = AccessPoint(
            gateway, self.keys, buckets, PublicAccessBlock=flags(restrict=True)
        )
        self.open = AccessPoint(gateway, self.keys, buckets, PublicAccessBlock=flags(False))
        self.s3.put_public_access_block(
            Bucket=self.east, PublicAccessBlockConfiguration=flags(False)
        )
        self.s3.put_object(Bucket=self.east, Key="k", Body=b"public?")
        self.same = self.s3  # the owner account's root
        self.cross = s3_client(gateway)  # the bootstrap account's root

    def delegation(self, public_read: bool) -> None:
        """The routed bucket delegates to both access points (not public), and with
        `public_read` also lets anyone read (public)."""
        statements: list[dict[str, Any]] = [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": bucket_resources(self.east),
            "Condition": {"StringEquals": {"s3:DataAccessPointArn": [
                self.restricting.arn, self.open.arn]}},
        }]  # fmt: skip
        if public_read:
            statements.append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"arn:aws:s3:::{self.east}/*"})  # fmt: skip
        self.s3.put_bucket_policy(Bucket=self.east, Policy=doc(*statements))

    def account_restricts(self, on: bool) -> None:
        if on:
            self.s3control.put_public_access_block(
                AccountId=self.keys.account, PublicAccessBlockConfiguration=flags(True)
            )
        else:
            self.s3control.delete_public_access_block(AccountId=self.keys.account)

    def bucket_restricts(self, on: bool) -> None:
        self.s3.put_public_access_block(Bucket=self.east, PublicAccessBlockConfiguration=flags(on))

    def reads(self, point: AccessPoint) -> tuple[Outcome, Outcome]:
        """(same account, cross account) GetObject through the access point."""
        return (
            outcome(self.same.get_object, Bucket=point.alias, Key="k"),
            outcome(self.cross.get_object, Bucket=point.alias, Key="k"),
        )


def public_point_policy(point: AccessPoint) -> str:
    """Anyone may read: `"Principal": "*"` without a condition is public (AWS-NOTES §5.4)."""
    return doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"{point.arn}/object/*"})  # fmt: skip


def named_point_policy(point: AccessPoint) -> str:
    """Only the owner and the bootstrap account may read: fixed principals are not public
    (AWS-NOTES §5.4)."""
    named = {"AWS": [point.keys.account, ACCOUNT]}
    return doc({"Effect": "Allow", "Principal": named, "Action": "s3:GetObject",
                "Resource": f"{point.arn}/object/*"})  # fmt: skip


def expected_reads(restricted: bool) -> tuple[Outcome, Outcome]:
    """(same account, cross account) for a read allowed by every policy.

    RestrictPublicBuckets: when the policy granting access is public, "only AWS service
    principals and authorized users of the owning account" get in; cross-account access through
    it is cut (AWS-NOTES §5.5). The settings of the access point, the routed bucket and both
    owning accounts are all evaluated, and any one restricting rejects the request (seed 001,
    "Managing public access to a Multi-Region Access Point").
    """
    return OK, "AccessDenied" if restricted else OK


@pytest.fixture(scope="module")
def public(gateway: Gateway) -> Public:
    return Public(gateway)


def test_block_public_access_on_the_access_point(public: Public) -> None:
    public.delegation(public_read=False)
    public.account_restricts(False)
    for point, restricted in ((public.restricting, True), (public.open, False)):
        point.put_policy(public_point_policy(point))
        assert public.reads(point) == expected_reads(restricted), point.name


def test_block_public_access_of_the_account_applies_though_the_point_allows(
    public: Public,
) -> None:
    public.delegation(public_read=False)
    public.open.put_policy(public_point_policy(public.open))
    # Seed 001: account-level settings "still apply even if the independent Block Public
    # Access settings for your Multi-Region Access Point are disabled".
    public.account_restricts(True)
    try:
        assert public.reads(public.open) == expected_reads(restricted=True)
    finally:
        public.account_restricts(False)
    assert public.reads(public.open) == expected_reads(restricted=False)


def test_block_public_access_of_the_routed_bucket(public: Public) -> None:
    point = public.open
    point.put_policy(named_point_policy(point))  # not public: the bucket policy is what is
    public.delegation(public_read=True)
    public.account_restricts(False)
    try:
        public.bucket_restricts(True)
        assert public.reads(point) == expected_reads(restricted=True)
        public.bucket_restricts(False)
        assert public.reads(point) == expected_reads(restricted=False)
        # The bucket's owner account restricting is enough as well.
        public.account_restricts(True)
        assert public.reads(point) == expected_reads(restricted=True)
    finally:
        public.account_restricts(False)
        public.delegation(public_read=False)


def test_a_non_public_point_policy_is_not_restricted(public: Public) -> None:
    point = public.restricting
    public.delegation(public_read=False)
    point.put_policy(named_point_policy(point))
    # Named principals are not public: RestrictPublicBuckets does not apply to them.
    assert outcome(public.cross.get_object, Bucket=point.alias, Key="k") == OK


def test_block_public_access_of_an_external_bucket_and_its_account(
    gateway: Gateway, public: Public
) -> None:
    # The access point's account does not own the bucket: the bucket's owner account is one
    # of the four levels (seed 001: "the account that owns the underlying buckets (including
    # external accounts)").
    external = new_account(gateway)
    s3 = s3_client(gateway, external)
    bucket = make_bucket(s3, "us-east-1")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=flags(False))
    regions = [{"Bucket": bucket, "BucketAccountId": external.account}]
    # Creating an access point over another account's bucket needs that bucket's consent.
    consent = {"Effect": "Allow", "Principal": {"AWS": public.keys.account},
               "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(consent))
    point = AccessPoint(
        gateway, public.keys, [bucket], Regions=regions, PublicAccessBlock=flags(False)
    )
    readers = {"AWS": [external.account, ACCOUNT]}
    point.put_policy(doc({"Effect": "Allow", "Principal": readers, "Action": "s3:GetObject",
                          "Resource": f"{point.arn}/object/*"}))  # fmt: skip
    delegate = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
                "Resource": bucket_resources(bucket),
                "Condition": {"StringEquals": {"s3:DataAccessPointArn": point.arn}}}  # fmt: skip
    anyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
              "Resource": f"arn:aws:s3:::{bucket}/*"}  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(consent, delegate, anyone))  # public
    s3.put_object(Bucket=bucket, Key="k", Body=b"external")
    owner, stranger = s3, s3_client(gateway)

    def reads() -> tuple[Outcome, Outcome]:
        return (
            outcome(owner.get_object, Bucket=point.alias, Key="k"),
            outcome(stranger.get_object, Bucket=point.alias, Key="k"),
        )

    assert reads() == expected_reads(restricted=False)
    control(gateway, keys=external).put_public_access_block(
        AccountId=external.account, PublicAccessBlockConfiguration=flags(True)
    )
    assert reads() == expected_reads(restricted=True)


# --- Bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(gateway: Gateway) -> AccessPoint:
    """An access point of the bootstrap account whose policies let the account do anything."""
    s3 = s3_client(gateway)
    buckets = [make_bucket(s3, "us-east-1"), make_bucket(s3, "eu-west-1")]
    point = AccessPoint(gateway, ROOT, buckets)
    point.put_policy(doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:*",
                          "Resource": point_resources(point.arn)}))  # fmt: skip
    for bucket in buckets:
        s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy_document(
            "delegate-arn", bucket, point.arn, ACCOUNT, ACCOUNT))  # fmt: skip
    s3.put_object(Bucket=buckets[0], Key="k", Body=b"source")
    return point


def keys_of(s3: BaseClient, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_unknown_and_deleted_aliases_are_no_such_bucket(gateway: Gateway) -> None:
    s3 = s3_client(gateway)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="zzzzzzzzzzzzz.mrap", Key="k")
    assert error(caught) == ("NoSuchBucket", 404)
    bucket = make_bucket(s3, "us-east-1")
    point = AccessPoint(gateway, ROOT, [bucket])
    point.put_policy(doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:*",
                          "Resource": point_resources(point.arn)}))  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy_document(
        "delegate-arn", bucket, point.arn, ACCOUNT, ACCOUNT))  # fmt: skip
    s3.put_object(Bucket=point.alias, Key="before", Body=b"1")
    token = point.ctl.delete_multi_region_access_point(
        AccountId=ACCOUNT, Details={"Name": point.name}
    )["RequestTokenARN"]
    assert wait(point.ctl, token)["RequestStatus"] == "SUCCEEDED"
    for call, kwargs in (
        (s3.get_object, {"Key": "before"}),
        (s3.put_object, {"Key": "after", "Body": b"2"}),
        (s3.list_objects_v2, {}),
    ):
        with pytest.raises(ClientError) as caught:
            call(Bucket=point.alias, **kwargs)
        assert error(caught) == ("NoSuchBucket", 404)
    assert keys_of(s3, bucket) == ["before"]


def global_host(gateway: Gateway, alias: str) -> str:
    """The access point's host under the gateway's own domain (plain HTTP, no proxy)."""
    return f"{alias}.accesspoint.s3-global.localhost:{gateway.port}"


def test_sigv4a_signature_must_fit_the_request(gateway: Gateway, served: AccessPoint) -> None:
    s3 = s3_client(gateway)
    host = global_host(gateway, served.alias)

    def put(headers: dict[str, str]) -> tuple[int, str]:
        reply = send(gateway, "PUT", "/signed", headers, b"x")
        return reply.status, reply.code if reply.status >= 300 else ""

    # Requests go to us-east-1 (the gateway's home region): a signature for eu-west-1 only
    # may not be used there (AWS-NOTES §6: the set must hold the serving region or `*`).
    assert put(crt_sign("PUT", host, "/signed", body=b"x", region_set="eu-west-1")) == (
        400, "AuthorizationHeaderMalformed")  # fmt: skip
    assert put(crt_sign("PUT", host, "/signed", body=b"x", region_set="us-east-1,,eu-west-1")) == (
        400, "AuthorizationHeaderMalformed")  # fmt: skip
    # Signed for another access point's host, sent to this one.
    other = global_host(gateway, "zzzzzzzzzzzzz.mrap")
    moved = {**crt_sign("PUT", other, "/signed", body=b"x"), "Host": host}
    assert put(moved) == (403, "SignatureDoesNotMatch")
    assert "signed" not in keys_of(s3, served.buckets[0])
    # Presigned: the set travels in the query (malformed: 400; altered: no longer signed).
    url = crt_presign("GET", host, "/k", 60)
    assert "X-Amz-Region-Set=%2A" in url
    malformed = url.replace("X-Amz-Region-Set=%2A", "X-Amz-Region-Set=us-east-1%2C%2C")
    reply = send(gateway, "GET", malformed, {"Host": host})
    assert (reply.status, reply.code) == (400, "AuthorizationQueryParametersError")
    altered = url.replace("X-Amz-Region-Set=%2A", "X-Amz-Region-Set=eu-west-1")
    reply = send(gateway, "GET", altered, {"Host": host})
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")
    reply = send(gateway, "GET", url, {"Host": host})
    assert (reply.status, reply.body) == (200, b"source")
    # The same request, rightly signed, is served in us-east-1.
    good = crt_sign("PUT", host, "/signed", body=b"x", region_set="us-east-1")
    reply = send(gateway, "PUT", "/signed", good, b"x")
    assert reply.status == 200 and reply.headers[ROUTED] == "us-east-1"


def test_access_point_is_a_copy_destination_only(gateway: Gateway, served: AccessPoint) -> None:
    s3 = s3_client(gateway)
    east = served.buckets[0]
    # As the destination (seed 000: "CopyObject as destination only").
    s3.copy_object(Bucket=served.alias, Key="copied", CopySource={"Bucket": east, "Key": "k"})
    assert s3.get_object(Bucket=east, Key="copied")["Body"].read() == b"source"
    before = keys_of(s3, east)
    for source in (f"{served.alias}/k", f"{served.arn}/object/k"):
        with pytest.raises(ClientError) as caught:
            s3.copy_object(Bucket=east, Key="from-point", CopySource=source)
        assert error(caught) == ("InvalidArgument", 400), source
        with pytest.raises(ClientError) as caught:
            s3.copy_object(Bucket=served.alias, Key="from-point", CopySource=source)
        assert error(caught) == ("InvalidArgument", 400), source
    assert keys_of(s3, east) == before


@pytest.mark.usefixtures("proxied")
def test_upload_part_copy_is_not_offered(gateway: Gateway, served: AccessPoint) -> None:
    client = boto3.Session().client("s3")  # SigV4A to the global endpoint, as the root
    upload = client.create_multipart_upload(Bucket=served.arn, Key="mp")["UploadId"]
    try:
        with pytest.raises(ClientError) as caught:
            client.upload_part_copy(
                Bucket=served.arn,
                Key="mp",
                UploadId=upload,
                PartNumber=1,
                CopySource={"Bucket": served.buckets[0], "Key": "k"},
            )
        # Not among the operations AWS offers through the access point (AWS-NOTES §3.1).
        assert error(caught) == ("MethodNotAllowed", 405)
        assert client.list_parts(Bucket=served.arn, Key="mp", UploadId=upload).get("Parts") is None
    finally:
        client.abort_multipart_upload(Bucket=served.arn, Key="mp", UploadId=upload)


# --- Requester Pays through the access point -------------------------------------------------


@pytest.fixture(scope="module")
def paid(gateway: Gateway) -> AccessPoint:
    """A Requester Pays bucket of a fresh account behind its access point, readable by the
    bootstrap account through it."""
    keys = new_account(gateway)
    s3 = s3_client(gateway, keys)
    bucket = make_bucket(s3, "us-east-1")
    point = AccessPoint(gateway, keys, [bucket])
    point.put_policy(doc({"Effect": "Allow", "Principal": {"AWS": [ACCOUNT, keys.account]},
                          "Action": ["s3:GetObject", "s3:ListBucket"],
                          "Resource": point_resources(point.arn)}))  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy_document(
        "delegate-arn", bucket, point.arn, keys.account, ACCOUNT))  # fmt: skip
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"paid for")
    return point


def test_requester_pays_through_the_alias(gateway: Gateway, paid: AccessPoint) -> None:
    caller = s3_client(gateway)  # another account than the bucket's
    with pytest.raises(ClientError) as caught:
        caller.get_object(Bucket=paid.alias, Key="k")
    assert error(caught) == ("AccessDenied", 403)
    got = caller.get_object(Bucket=paid.alias, Key="k", RequestPayer="requester")
    assert got["Body"].read() == b"paid for" and got["RequestCharged"] == "requester"
    # The owner pays its own requests and needs no agreement.
    owner = s3_client(gateway, paid.keys)
    assert "RequestCharged" not in owner.list_objects_v2(Bucket=paid.alias)


def test_requester_pays_with_the_aws_cli_through_the_arn(
    gateway: Gateway, tmp_path: Path, paid: AccessPoint
) -> None:
    out = tmp_path / "out"
    refused = aws(gateway, tmp_path, "s3api", "get-object", "--bucket", paid.arn, "--key", "k",
                  str(out), check=False)  # fmt: skip
    assert "AccessDenied" in refused and not out.exists()
    printed = aws(gateway, tmp_path, "s3api", "get-object", "--bucket", paid.arn,
                  "--request-payer", "requester", "--key", "k", str(out))  # fmt: skip
    assert out.read_bytes() == b"paid for"
    assert json.loads(printed)["RequestCharged"] == "requester"
