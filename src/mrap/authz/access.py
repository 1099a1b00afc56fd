"""Finding a request's bucket and deciding, through the policy engine, whether the caller may act.

The caller (an account's root user, an IAM user, a role session, or anonymous) arrives with
its identity policies, looked up by the edge. Roots have every identity permission in their
own account; IAM identities have what their policies allow; the bucket policy can grant other
accounts and anonymous callers, and its explicit denies bind everyone, the owner's root
included (except for the bucket policy operations themselves, so nobody locks the owner out).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl

from mrap import errors
from mrap.auth.rules import parse_amz_date
from mrap.authz.acl_eval import (
    OBJECT_PERMISSIONS,
    acls_enabled,
    foreign_object_refuses,
    grants_access,
)
from mrap.iam import (
    Caller,
    DecidedBy,
    PolicyDocument,
    PolicyKind,
    PolicyType,
    RequestContext,
    access_denied_message,
    cached_policy,
    evaluate,
    is_public_policy,
    restrict_public_buckets_allows,
)
from mrap.operation import OpRequest
from mrap.services import Services
from mrap.storage.base import RegionStore
from mrap.store.control_records import BucketRecord

_LISTING_KEYS = (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"),
                 ("max-keys", "s3:max-keys"))  # fmt: skip
_HEADER_KEYS = (
    ("user-agent", "aws:UserAgent"),
    ("referer", "aws:Referer"),
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
)
"""Request headers S3 exposes as condition keys, when present."""
_VERSION_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
}
"""Actions that S3 authorizes as their *Version form when the request names a versionId."""
_RESTRICT_PUBLIC_BUCKETS = 3  # position of the flag in a Block Public Access string
_RESOURCE_DECISIONS = frozenset({DecidedBy.RESOURCE, DecidedBy.IDENTITY_AND_RESOURCE})
_ACCESS_POINT_SIDE = frozenset({PolicyType.IDENTITY, PolicyType.ACCESS_POINT})


def authorize_identity(req: OpRequest, action: str, resource: str, resource_account: str) -> None:
    """Raise AccessDenied unless the caller's identity policies allow `action` on `resource`.

    For requests that no resource policy governs: ListBuckets, CreateBucket and the S3
    Control operations. An account's root user may do anything in its own account.
    """
    caller = req.caller
    if caller.is_root and caller.account == resource_account:
        return
    ctx = request_context(req, caller, action, resource, resource_account)
    decision = evaluate(ctx, req.policies)
    if not decision.allowed:
        raise errors.AccessDenied(access_denied_message(ctx, decision))


@lru_cache(maxsize=4096)
def bucket_policy(text: str) -> tuple[PolicyDocument, bool]:
    """A stored bucket policy, compiled, and whether S3 considers it public."""
    policy = cached_policy(text, PolicyKind.BUCKET)
    return policy, is_public_policy(policy)


@lru_cache(maxsize=4096)
def _asks_existing_tags(text: str) -> bool:
    return "s3:existingobjecttag/" in text.lower()


def flag(record: BucketRecord, index: int) -> bool:
    """One Block Public Access setting of a bucket (0 BlockPublicAcls … 3 RestrictPublicBuckets)."""
    flags = record.public_access_block
    return flags is not None and flags[index] == "1"


def blocked(req: OpRequest, record: BucketRecord, index: int) -> bool:
    """One Block Public Access setting in force for a bucket: its own, or its owner account's."""
    if flag(record, index):
        return True
    account_flags = req.account_public_access_block(record.account_id)
    return account_flags is not None and account_flags[index] == "1"


def _signature_keys(req: OpRequest, now: datetime) -> dict[str, str]:
    """s3:authType, s3:signatureversion and s3:signatureAge, as S3 reports them."""
    authorization = req.headers.get("authorization")
    if authorization is not None:
        algorithm = authorization.partition(" ")[0]
        keys = {"s3:authType": "REST-HEADER"}
        signed = req.headers.get("x-amz-date")
    elif "X-Amz-Algorithm" in req.query:
        algorithm = req.query["X-Amz-Algorithm"]
        keys = {"s3:authType": "REST-QUERY-STRING"}
        signed = req.query.get("X-Amz-Date")
    else:
        return {}
    keys["s3:signatureversion"] = algorithm
    if signed is not None:
        with contextlib.suppress(ValueError):
            age = now - parse_amz_date(signed)
            keys["s3:signatureAge"] = str(max(0, int(age.total_seconds() * 1000)))
    return keys


def _tag_keys(prefix: str, tags: Mapping[str, str]) -> dict[str, str | tuple[str, ...]]:
    return {f"{prefix}/{k}": v for k, v in tags.items()}


def request_context(
    req: OpRequest,
    caller: Caller,
    action: str,
    resource: str,
    owner: str,
    extra: Mapping[str, str | tuple[str, ...]] | None = None,
) -> RequestContext:
    """The authorization question for a request, with the context keys S3 supplies."""
    now = datetime.now(UTC)
    headers = req.headers
    keys: dict[str, str | tuple[str, ...]] = {
        "aws:SecureTransport": "true" if req.secure else "false",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "s3:ResourceAccount": owner,
    }
    if req.source_ip:
        keys["aws:SourceIp"] = req.source_ip
    if req.tls_version:
        keys["s3:TlsVersion"] = req.tls_version
    for header, key in _HEADER_KEYS:
        value = headers.get(header)
        if value is not None:
            keys[key] = value
    keys.update(_signature_keys(req, now))
    if action in ("s3:ListBucket", "s3:ListBucketVersions"):
        for param, key in _LISTING_KEYS:
            value = req.query.get(param)
            if value is not None:
                keys[key] = value
    tagging = headers.get("x-amz-tagging")
    if tagging is not None and action == "s3:PutObject":
        # The handler validates the header; a malformed one fails there, after this check.
        keys.update(request_tag_keys(dict(parse_qsl(tagging, keep_blank_values=True))))
    if extra:
        keys.update(extra)
    return RequestContext(caller, action, resource, owner, keys)


def request_tag_keys(tags: Mapping[str, str]) -> dict[str, str | tuple[str, ...]]:
    """The context keys of a tag set a request asks to set (PutObjectTagging's body)."""
    keys = _tag_keys("s3:RequestObjectTag", tags)
    keys["s3:RequestObjectTagKeys"] = tuple(tags)
    return keys


def _existing_tag_keys(
    store: RegionStore | None, bucket: str, key: str, req: OpRequest
) -> dict[str, str | tuple[str, ...]]:
    """s3:ExistingObjectTag/<key> of the object a request names (fetched only on demand)."""
    if store is None or not key:
        return {}
    info = store.head_object(bucket, key, req.query.get("versionId"))
    if info is None or info.delete_marker:
        return {}
    return _tag_keys("s3:ExistingObjectTag", info.tags)


def _charge_requester(req: OpRequest, record: BucketRecord) -> None:
    """Requester Pays: anyone but the owner's account must agree to pay, and is then charged.

    The agreement (`x-amz-request-payer: requester`, a query parameter in presigned URLs) is
    no permission: the policy check still follows. Anonymous callers cannot pay.
    """
    if record.request_payer != "Requester" or req.caller.account == record.account_id:
        return
    payer = req.headers.get("x-amz-request-payer") or req.query.get("x-amz-request-payer")
    if req.principal.anonymous or (payer or "").lower() != "requester":
        raise errors.AccessDenied()
    req.charged_to = req.caller.account


def authorize(
    req: OpRequest,
    record: BucketRecord,
    *,
    action: str | None = None,
    key: str | None = None,
    store: RegionStore | None = None,
    extra: Mapping[str, str | tuple[str, ...]] | None = None,
) -> None:
    """Raise AccessDenied unless the caller may perform the action on the bucket or object.

    `action` defaults to the request's operation (its *Version form when the request names a
    versionId); `key` to the request's key (empty: the request is about the bucket itself).
    `store` lets conditions on s3:ExistingObjectTag see the object's tags; `extra` adds
    context keys the handler knows (the tags PutObjectTagging asks for).
    """
    _charge_requester(req, record)
    caller = req.caller
    act = action or req.action
    if action is None and "versionId" in req.query:
        act = _VERSION_ACTIONS.get(act, act)
    name = key if key is not None else req.key
    resource = f"arn:aws:s3:::{record.name}/{name}" if name else f"arn:aws:s3:::{record.name}"
    owner = record.account_id
    policies = req.policies
    point = req.access_point
    # With ACLs enabled another account may own an object in the bucket: reads go the long way.
    owns_apart = bool(name) and act in OBJECT_PERMISSIONS and acls_enabled(record)
    if record.policy is None:
        # The common case: the owner's root may do anything, and without a bucket policy
        # only identity policies can allow anyone else.
        if point is None and caller.is_root and caller.account == owner and not owns_apart:
            return
        policy, public = None, False
    else:
        policy, public = bucket_policy(record.policy)
    texts = [p.text for p in policies] + ([policy.text] if policy is not None else [])
    if any(_asks_existing_tags(t) for t in texts):
        extra = {**_existing_tag_keys(store, record.name, name, req), **(extra or {})}
    if point is None:
        ctx = request_context(req, caller, act, resource, owner, extra)
        decision = evaluate(ctx, policies, policy)
        restricted = public and _restricts(req, record.public_access_block, owner)
    else:
        keys = {"s3:DataAccessPointArn": point.arn, "s3:DataAccessPointAccount": point.account_id}
        ctx = request_context(req, caller, act, resource, owner, {**keys, **(extra or {})})
        point_policy, point_public = access_point_policy(point.policy)
        point_resource = f"{point.arn}/object/{name}" if name else point.arn
        decision = evaluate(
            ctx,
            policies,
            policy,
            access_point_policy=point_policy,
            access_point_arn=point_resource,
            access_point_account=point.account_id,
        )
        if decision.denied_in in _ACCESS_POINT_SIDE:
            # The identity and access point policies were asked about the access point: the
            # message names that resource, as the bucket policy's names the bucket.
            ctx = ctx.with_resource(point_resource, point.account_id)
        # Block Public Access is checked at four levels: the access point, the bucket, and
        # the accounts owning each; any one of them restricting a public policy cuts access.
        restricted = (public and _restricts(req, record.public_access_block, owner)) or (
            point_public and _restricts(req, point.public_access_block, point.account_id)
        )
    if decision.allowed and restricted and decision.decided_by in _RESOURCE_DECISIONS:
        raise errors.AccessDenied()  # RestrictPublicBuckets cuts access through a public policy
    # An ACL grant stands in for a missing resource-side allow (never against a deny).
    if not decision.allowed and not grants_access(req, record, act, name, store, decision):
        raise errors.AccessDenied(access_denied_message(ctx, decision))
    if owns_apart and foreign_object_refuses(req, record, act, name, store):
        raise errors.AccessDenied()


def _restricts(req: OpRequest, flags: str | None, owner: str) -> bool:
    """Whether RestrictPublicBuckets (of the resource or its owner's account) keeps the caller
    out of a resource whose policy is public."""
    if restrict_public_buckets_allows(req.caller, owner):
        return False
    account_flags = req.account_public_access_block(owner)
    return any(f is not None and f[_RESTRICT_PUBLIC_BUCKETS] == "1" for f in (flags, account_flags))


@lru_cache(maxsize=1024)
def access_point_policy(text: str | None) -> tuple[PolicyDocument | None, bool]:
    """An access point's established policy, compiled, and whether it is public."""
    if text is None:
        return None, False
    policy = cached_policy(text, PolicyKind.ACCESS_POINT)
    return policy, is_public_policy(policy, access_point=True)


def find_bucket(services: Services, bucket: str) -> BucketRecord:
    """A bucket's record; NoSuchBucket when it does not exist."""
    record = services.control.get_bucket(bucket)
    if record is None:
        raise errors.NoSuchBucket(BucketName=bucket)
    return record


def other_bucket(
    services: Services, req: OpRequest, bucket: str, *, action: str, key: str
) -> tuple[BucketRecord, RegionStore]:
    """A second decision on a bucket the request does not address (a copy's source): the
    bucket and its store once the caller may perform `action` on `key` there.

    NoSuchBucket or AccessDenied otherwise.
    """
    record = find_bucket(services, bucket)
    store = services.regions[record.region]
    authorize(req, record, action=action, key=key, store=store)
    return record, store
