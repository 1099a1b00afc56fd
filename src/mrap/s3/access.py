"""Finding a request's bucket and deciding, through the policy engine, whether the caller may act.

The caller is an account's root user (the only identities so far) or anonymous. Roots have
every identity permission in their own account; the bucket policy can grant other accounts
and anonymous callers, and its explicit denies bind everyone, the owner's root included
(except for the bucket policy operations themselves, so the owner cannot lock itself out).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from mrap import errors
from mrap.auth.principal import Principal
from mrap.iam import (
    Caller,
    DecidedBy,
    PolicyDocument,
    PolicyKind,
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
from mrap.store.control import BucketRecord

_LISTING_KEYS = (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"),
                 ("max-keys", "s3:max-keys"))  # fmt: skip
_ANONYMOUS = Caller.anonymous()
_VERSION_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}
"""Actions that S3 authorizes as their *Version form when the request names a versionId."""
_RESOURCE_DECISIONS = frozenset({DecidedBy.RESOURCE, DecidedBy.IDENTITY_AND_RESOURCE})


def require_authenticated(principal: Principal) -> None:
    """Anonymous callers get AccessDenied."""
    if principal.anonymous:
        raise errors.AccessDenied()


@lru_cache(maxsize=1024)
def caller_for(account_id: str) -> Caller:
    """The policy engine's view of an account's root user (or anonymous, for "")."""
    return Caller.root(account_id) if account_id else _ANONYMOUS


@lru_cache(maxsize=4096)
def bucket_policy(text: str) -> tuple[PolicyDocument, bool]:
    """A stored bucket policy, compiled, and whether S3 considers it public."""
    policy = cached_policy(text, PolicyKind.BUCKET)
    return policy, is_public_policy(policy)


def flag(record: BucketRecord, index: int) -> bool:
    """One Block Public Access setting of a bucket (0 BlockPublicAcls … 3 RestrictPublicBuckets)."""
    flags = record.public_access_block
    return flags is not None and flags[index] == "1"


def request_context(
    req: OpRequest, caller: Caller, action: str, resource: str, owner: str
) -> RequestContext:
    """The authorization question for a request, with the context keys S3 supplies."""
    now = datetime.now(UTC)
    headers = req.headers
    keys: dict[str, str] = {
        "aws:SourceIp": req.source_ip,
        "aws:SecureTransport": "true" if req.secure else "false",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "s3:ResourceAccount": owner,
    }
    if not req.source_ip:
        del keys["aws:SourceIp"]
    agent = headers.get("user-agent")
    if agent is not None:
        keys["aws:UserAgent"] = agent
    referer = headers.get("referer")
    if referer is not None:
        keys["aws:Referer"] = referer
    if action in ("s3:ListBucket", "s3:ListBucketVersions"):
        for param, key in _LISTING_KEYS:
            value = req.query.get(param)
            if value is not None:
                keys[key] = value
    return RequestContext(caller, action, resource, owner, keys)


def authorize(
    req: OpRequest,
    record: BucketRecord,
    *,
    action: str | None = None,
    key: str | None = None,
) -> None:
    """Raise AccessDenied unless the caller may perform the action on the bucket or object.

    `action` defaults to the request's operation (its *Version form when the request names a
    versionId); `key` to the request's key (empty: the request is about the bucket itself).
    """
    caller = caller_for(req.principal.account_id)
    act = action or req.action
    if action is None and "versionId" in req.query:
        act = _VERSION_ACTIONS.get(act, act)
    name = key if key is not None else req.key
    resource = f"arn:aws:s3:::{record.name}/{name}" if name else f"arn:aws:s3:::{record.name}"
    owner = record.account_id
    if record.policy is None:
        # The common case, decided without building a context: the owner's root may do
        # anything, and nobody else is granted anything.
        if caller.account == owner:
            return
        ctx = request_context(req, caller, act, resource, owner)
        raise errors.AccessDenied(access_denied_message(ctx, evaluate(ctx)))
    policy, public = bucket_policy(record.policy)
    ctx = request_context(req, caller, act, resource, owner)
    decision = evaluate(ctx, (), policy)
    if (
        decision.allowed
        and public
        and decision.decided_by in _RESOURCE_DECISIONS
        and flag(record, 3)
        and not restrict_public_buckets_allows(caller, owner)
    ):
        raise errors.AccessDenied()  # RestrictPublicBuckets cuts access through a public policy
    if not decision.allowed:
        raise errors.AccessDenied(access_denied_message(ctx, decision))


def find_bucket(services: Services, bucket: str) -> BucketRecord:
    """A bucket's record; NoSuchBucket when it does not exist."""
    record = services.control.get_bucket(bucket)
    if record is None:
        raise errors.NoSuchBucket(BucketName=bucket)
    return record


def owned_bucket(
    services: Services,
    req: OpRequest,
    bucket: str | None = None,
    *,
    action: str | None = None,
    key: str | None = None,
) -> tuple[BucketRecord, RegionStore]:
    """The bucket (default: the request's) once the caller may act on it, and its store.

    NoSuchBucket or AccessDenied otherwise; `action` and `key` as for `authorize`.
    """
    record = find_bucket(services, req.bucket if bucket is None else bucket)
    authorize(req, record, action=action, key=key)
    return record, services.regions[record.region]
