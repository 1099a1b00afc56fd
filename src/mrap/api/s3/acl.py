"""ACL operations: Get/PutBucketAcl, Get/PutObjectAcl, and the ACLs uploads and CreateBucket carry.

Object Ownership decides whether ACLs count. Under BucketOwnerEnforced (the default) they are
disabled: requests to set one fail with AccessControlListNotSupported unless they ask for
nothing but the bucket owner's full control, and reading one shows that. Otherwise ACLs are
stored and honoured in authorization (`acl_eval`), and Block Public Access's BlockPublicAcls
refuses public ones.
"""

from __future__ import annotations

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.versioning import check_version_id, existing_version, not_found, version_headers
from mrap.authz.access import blocked
from mrap.authz.acl_eval import ENFORCED, acls_enabled
from mrap.authz.acl_model import (
    Acl,
    AclRequest,
    Party,
    Resolver,
    from_document,
    from_headers,
    loads,
    only_full_control_of,
    policy_children,
    private,
)
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services
from mrap.storage.base import ObjectInfo
from mrap.store.control_records import BucketRecord

ANONYMOUS = Party("65a011a29cdf8ec533ec3d1ccaae921c", "")
"""The canonical user S3 names as the owner of what anonymous callers write."""
PREFERRED = "BucketOwnerPreferred"
_BUCKET_OWNER_CANNED = frozenset({"private", "bucket-owner-read", "bucket-owner-full-control"})
"""Canned ACLs that, on a new bucket, grant nothing beyond its owner (S3 ignores the last two)."""


def party(services: Services, account_id: str) -> Party:
    """An account as ACLs name it (anonymous for "")."""
    if not account_id:
        return ANONYMOUS
    account = services.control.ensure_account(account_id)
    return Party(account.canonical_id, account.id)


def resolver(services: Services) -> Resolver:
    """Canonical user id → account id, over the accounts of the control store."""

    def resolve(canonical_id: str) -> str | None:
        for account in services.control.list_accounts():
            if account.canonical_id == canonical_id:
                return account.id
        return None

    return resolve


def bucket_acl(services: Services, record: BucketRecord) -> Acl:
    """The bucket's ACL as S3 shows it (the owner's full control while ACLs are disabled)."""
    if record.acl is None or not acls_enabled(record):
        return private(party(services, record.account_id))
    return loads(record.acl)


def object_acl(services: Services, record: BucketRecord, info: ObjectInfo) -> Acl:
    """An object version's ACL as S3 shows it (the bucket owner's full control by default)."""
    if info.acl is None or not acls_enabled(record):
        return private(party(services, record.account_id))
    return loads(info.acl)


def _owner_full_control(request: AclRequest, bucket_owner: Party, requester: str) -> bool:
    """Whether a request's ACL is what buckets with ACLs disabled accept: the bucket owner's
    full control "or an equivalent form", which `private` is when the bucket owner's account
    sends it (from another account it would leave the writer in control)."""
    if request.canned is not None:
        return request.canned == "bucket-owner-full-control" or (
            request.canned == "private" and requester == bucket_owner.account
        )
    acl = Acl(bucket_owner.canonical_id, bucket_owner.account, request.grants)
    return only_full_control_of(acl, bucket_owner)


def _check_public(req: OpRequest, record: BucketRecord, acl: Acl) -> None:
    # BlockPublicAcls, of the bucket or its account; access points have it always on.
    if acl.public and (blocked(req, record, 0) or req.access_point is not None):
        raise errors.AccessDenied()


def acl_for_new_object(services: Services, req: OpRequest, record: BucketRecord) -> str | None:
    """The ACL (stored form, None for the default) of an object PutObject, CopyObject or
    CreateMultipartUpload writes, from the request's headers; the S3 error if refused."""
    request = from_headers(req.headers, resolver(services), grant_write=False)
    bucket_owner = party(services, record.account_id)
    if not acls_enabled(record):
        requester = req.principal.account_id
        if request.present and not _owner_full_control(request, bucket_owner, requester):
            raise errors.AccessControlListNotSupported()
        return None
    owner = party(services, req.principal.account_id)
    if record.object_ownership == PREFERRED and request.canned == "bucket-owner-full-control":
        owner = bucket_owner
    acl = request.acl(owner, bucket_owner)
    _check_public(req, record, acl)
    return None if acl == private(bucket_owner) else acl.dumps()


def acl_for_new_bucket(services: Services, req: OpRequest, ownership: str) -> str | None:
    """The ACL (stored form, None for the default) CreateBucket's headers ask for."""
    request = from_headers(req.headers, resolver(services))
    if not request.present:
        return None
    owner = party(services, req.principal.account_id)
    acl = request.acl(owner, owner)
    if ownership == ENFORCED:
        if request.canned in _BUCKET_OWNER_CANNED or (
            request.canned is None and only_full_control_of(acl, owner)
        ):
            return None
        raise errors.InvalidBucketAclWithObjectOwnership()
    if acl.public:
        raise errors.InvalidBucketAclWithBlockPublicAccessError()  # new buckets block it
    return None if acl == private(owner) else acl.dumps()


async def _requested_acl(
    services: Services, req: OpRequest, owner: Party, bucket_owner: Party, *, grant_write: bool
) -> tuple[Acl, bool]:
    """The ACL a Put*Acl request sets (headers or document), and whether a bucket with ACLs
    disabled accepts it."""
    resolve = resolver(services)
    request = from_headers(req.headers, resolve, grant_write=grant_write)
    try:
        doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    except errors.MalformedXML:
        raise errors.MalformedACLError() from None
    if doc is None:
        if not request.present:
            raise errors.MissingSecurityHeader(MissingHeaderName="x-amz-acl")
        accepted = _owner_full_control(request, bucket_owner, req.principal.account_id)
        return request.acl(owner, bucket_owner), accepted
    if request.present:
        raise errors.UnexpectedContent()
    owner_id, grants = from_document(doc, resolve)
    if owner_id != owner.canonical_id:
        raise errors.InvalidArgument(
            "Invalid id", ArgumentName="CanonicalUser/ID", ArgumentValue=owner_id
        )
    acl = Acl(owner.canonical_id, owner.account, grants)
    return acl, only_full_control_of(acl, bucket_owner)


# Bucket ACLs


async def get_bucket_acl(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?acl."""
    record, _ = req.authorized_bucket()
    return OpResponse(
        body=XmlDoc("AccessControlPolicy", policy_children(bucket_acl(services, record)))
    )


async def put_bucket_acl(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?acl: a canned ACL, grant headers, or an AccessControlPolicy document."""
    record, _ = req.authorized_bucket()
    owner = party(services, record.account_id)
    acl, owner_only = await _requested_acl(services, req, owner, owner, grant_write=True)
    if not acls_enabled(record):
        if not owner_only:
            raise errors.AccessControlListNotSupported()
        return OpResponse()
    _check_public(req, record, acl)
    services.control.set_bucket_acl(record.name, None if acl == private(owner) else acl.dumps())
    return OpResponse()


# Object ACLs


async def get_object_acl(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?acl."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    info = existing_version(store, req, version_id)
    doc = XmlDoc("AccessControlPolicy", policy_children(object_acl(services, record, info)))
    return OpResponse(headers=version_headers(info), body=doc)


async def put_object_acl(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?acl: replace a version's ACL."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    info = existing_version(store, req, version_id)
    current = object_acl(services, record, info)
    owner = Party(current.owner, current.owner_account)
    bucket_owner = party(services, record.account_id)
    acl, owner_only = await _requested_acl(services, req, owner, bucket_owner, grant_write=False)
    if not acls_enabled(record):
        if not owner_only:
            raise errors.AccessControlListNotSupported()
        return OpResponse(headers=version_headers(info))
    _check_public(req, record, acl)
    stored = None if acl == private(bucket_owner) else acl.dumps()
    updated = await store.set_object_acl(req.bucket, req.key, version_id, stored)
    if updated is None or updated.delete_marker:
        raise not_found(req.method, req.key, version_id, updated)
    return OpResponse(headers=version_headers(updated))
