"""The S3 operation table: request shape → operation → handler and IAM action.

One row per AWS operation. A request matches a row by method, by what it addresses (the
service, a bucket or an object), by the query parameters that mark a sub-resource, and by
a marking header. Rows without a handler are operations we do not implement: they answer
`NotImplemented`, and the README's compatibility table is made from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mrap import errors
from mrap.api.s3 import (
    acl,
    attributes,
    bucket_policy,
    buckets,
    delete_objects,
    listing,
    multipart,
    multipart_copy,
    multipart_list,
    object_lock,
    object_retention,
    objects,
    ownership,
    replication,
    request_payment,
    restore,
    tagging,
    versioning,
)
from mrap.api.s3.listing import v1_params, v2_params
from mrap.api.s3.multipart_list import uploads_params
from mrap.api.s3.objects import read_params
from mrap.api.s3.versioning import check_version_id, versions_params
from mrap.operation import Access, Endpoint, Handler, Level, OpRequest, Resource, Rule
from mrap.services import Services

Check = Callable[[OpRequest], object]
"""An operation's parameter checks that S3 answers before access (their errors come first)."""
Locate = Callable[[OpRequest], Resource]
"""The resource an identity-only operation (ListBuckets, CreateBucket) is authorized on."""


@dataclass(frozen=True)
class Operation:
    """One S3 operation, how requests for it look, and what the caller must be allowed."""

    name: str
    method: str
    level: Level
    markers: frozenset[str]
    handler: Handler | None
    action: str
    access: Access
    header: str | None = None
    check: Check | None = None
    locate: Locate | None = None

    @property
    def specificity(self) -> int:
        """Rows with more distinguishing parts are tried first."""
        return len(self.markers) + (1 if self.header else 0)

    def parse(self, services: Services, req: OpRequest) -> Endpoint:
        """Check the request's parameters, then bind the handler to it."""
        handler = self.handler
        if handler is None:
            raise not_implemented(self)
        if self.check is not None:
            self.check(req)
        resource = None if self.locate is None else self.locate(req)
        return Endpoint(resource, lambda: handler(services, req))


def _op(
    name: str,
    method: str,
    level: Level,
    markers: str = "",
    handler: Handler | None = None,
    action: str = "",
    header: str | None = None,
    *,
    check: Check | None = None,
    second: str = "",
    deferred: bool = False,
    owner_only: bool = False,
) -> Operation:
    """A row: the caller must be allowed `action` (default `s3:{name}`) on the request's
    bucket or object, unless `deferred` (the handler decides once it has read the body);
    `second` names the second decisions the handler asks for."""
    act = action or f"s3:{name}"
    access = Access(Rule.BUCKET, () if deferred else (act,), note=second, owner_only=owner_only)
    return Operation(
        name, method, level, frozenset(markers.split()), handler, act, access, header, check
    )


def _identity(name: str, method: str, level: Level, handler: Handler, action: str,
              locate: Locate) -> Operation:  # fmt: skip
    """A row no bucket governs: the caller's identity policies decide, on `locate`'s resource."""
    access = Access(Rule.IDENTITY, (action,))
    return Operation(name, method, level, frozenset(), handler, action, access, locate=locate)


_LOCK = "s3:PutObjectLegalHold, s3:PutObjectRetention when the request sets Object Lock"
_BYPASS = "s3:BypassGovernanceRetention when the request bypasses GOVERNANCE retention"
_COPY = "the copy source, as a GetObject(Version) request to its own bucket"


# Bucket sub-resources we do not implement yet: (query marker, Get/Put/Delete name stem).
_UNIMPLEMENTED_BUCKET = (
    ("cors", "BucketCors", "GPD"),
    ("lifecycle", "BucketLifecycleConfiguration", "GPD"),
    ("encryption", "BucketEncryption", "GPD"),
    ("website", "BucketWebsite", "GPD"),
    ("logging", "BucketLogging", "GP"),
    ("notification", "BucketNotificationConfiguration", "GP"),
    ("accelerate", "BucketAccelerateConfiguration", "GP"),
    ("analytics", "BucketAnalyticsConfiguration", "GPD"),
    ("metrics", "BucketMetricsConfiguration", "GPD"),
    ("inventory", "BucketInventoryConfiguration", "GPD"),
    ("intelligent-tiering", "BucketIntelligentTieringConfiguration", "GPD"),
)
_UNIMPLEMENTED_OBJECT = (("torrent", "ObjectTorrent", "G"),)
_VERBS = {"G": ("Get", "GET"), "P": ("Put", "PUT"), "D": ("Delete", "DELETE")}


def _unimplemented(level: Level, rows: Iterable[tuple[str, str, str]]) -> list[Operation]:
    return [
        _op(f"{_VERBS[v][0]}{stem}", _VERBS[v][1], level, marker)
        for marker, stem, verbs in rows
        for v in verbs
    ]


OPERATIONS: tuple[Operation, ...] = (
    _identity(
        "ListBuckets",
        "GET",
        "service",
        buckets.list_buckets,
        "s3:ListAllMyBuckets",
        lambda req: Resource("arn:aws:s3:::*", req.principal.account_id),
    ),
    _identity(
        "CreateBucket",
        "PUT",
        "bucket",
        buckets.create_bucket,
        "s3:CreateBucket",
        lambda req: Resource(f"arn:aws:s3:::{req.bucket}", req.principal.account_id),
    ),
    _op("DeleteBucket", "DELETE", "bucket", "", buckets.delete_bucket),
    Operation(
        "HeadBucket",
        "HEAD",
        "bucket",
        frozenset(),
        buckets.head_bucket,
        "s3:ListBucket",
        access=Access(Rule.BUCKET, ("s3:ListBucket",), region_on_denial=True),
    ),
    _op("GetBucketLocation", "GET", "bucket", "location", buckets.get_bucket_location),
    _op("ListObjects", "GET", "bucket", "", listing.list_objects, "s3:ListBucket", check=v1_params),
    _op(
        "ListObjectsV2",
        "GET",
        "bucket",
        "list-type",
        listing.list_objects_v2,
        "s3:ListBucket",
        check=v2_params,
    ),
    _op(
        "ListObjectVersions",
        "GET",
        "bucket",
        "versions",
        versioning.list_object_versions,
        "s3:ListBucketVersions",
        check=versions_params,
    ),
    _op("GetBucketVersioning", "GET", "bucket", "versioning", versioning.get_bucket_versioning),
    _op("PutBucketVersioning", "PUT", "bucket", "versioning", versioning.put_bucket_versioning),
    _op("GetBucketTagging", "GET", "bucket", "tagging", tagging.get_bucket_tagging),
    _op("PutBucketTagging", "PUT", "bucket", "tagging", tagging.put_bucket_tagging),
    # IAM has no s3:DeleteBucketTagging: removing tags is putting an empty set.
    _op(
        "DeleteBucketTagging",
        "DELETE",
        "bucket",
        "tagging",
        tagging.delete_bucket_tagging,
        "s3:PutBucketTagging",
    ),
    _op(
        "ListMultipartUploads",
        "GET",
        "bucket",
        "uploads",
        multipart_list.list_multipart_uploads,
        "s3:ListBucketMultipartUploads",
        check=uploads_params,
    ),
    _op(
        "DeleteObjects",
        "POST",
        "bucket",
        "delete",
        delete_objects.delete_objects,
        "s3:DeleteObject",
        deferred=True,
        second="the request when the bucket has no policy; then each key's s3:DeleteObject "
        f"or s3:DeleteObjectVersion; {_BYPASS}",
    ),
    _op(
        "GetBucketPolicy",
        "GET",
        "bucket",
        "policy",
        bucket_policy.get_bucket_policy,
        owner_only=True,
    ),
    _op(
        "PutBucketPolicy",
        "PUT",
        "bucket",
        "policy",
        bucket_policy.put_bucket_policy,
        owner_only=True,
    ),
    _op(
        "DeleteBucketPolicy",
        "DELETE",
        "bucket",
        "policy",
        bucket_policy.delete_bucket_policy,
        owner_only=True,
    ),
    _op(
        "GetBucketPolicyStatus",
        "GET",
        "bucket",
        "policyStatus",
        bucket_policy.get_bucket_policy_status,
        owner_only=True,
    ),
    _op(
        "GetPublicAccessBlock",
        "GET",
        "bucket",
        "publicAccessBlock",
        bucket_policy.get_public_access_block,
        owner_only=True,
        action="s3:GetBucketPublicAccessBlock",
    ),
    _op(
        "PutPublicAccessBlock",
        "PUT",
        "bucket",
        "publicAccessBlock",
        bucket_policy.put_public_access_block,
        owner_only=True,
        action="s3:PutBucketPublicAccessBlock",
    ),
    # IAM has no s3:DeleteBucketPublicAccessBlock: removing the settings is putting them.
    _op(
        "DeletePublicAccessBlock",
        "DELETE",
        "bucket",
        "publicAccessBlock",
        bucket_policy.delete_public_access_block,
        owner_only=True,
        action="s3:PutBucketPublicAccessBlock",
    ),
    _op(
        "GetBucketRequestPayment",
        "GET",
        "bucket",
        "requestPayment",
        request_payment.get_bucket_request_payment,
        owner_only=True,
    ),
    _op(
        "PutBucketRequestPayment",
        "PUT",
        "bucket",
        "requestPayment",
        request_payment.put_bucket_request_payment,
        owner_only=True,
    ),
    _op("GetBucketAcl", "GET", "bucket", "acl", acl.get_bucket_acl),
    _op("PutBucketAcl", "PUT", "bucket", "acl", acl.put_bucket_acl),
    _op(
        "GetBucketOwnershipControls",
        "GET",
        "bucket",
        "ownershipControls",
        ownership.get_bucket_ownership_controls,
    ),
    _op(
        "PutBucketOwnershipControls",
        "PUT",
        "bucket",
        "ownershipControls",
        ownership.put_bucket_ownership_controls,
    ),
    # IAM has no s3:DeleteBucketOwnershipControls: removing the setting is putting it.
    _op(
        "DeleteBucketOwnershipControls",
        "DELETE",
        "bucket",
        "ownershipControls",
        ownership.delete_bucket_ownership_controls,
        "s3:PutBucketOwnershipControls",
    ),
    _op(
        "GetBucketReplication",
        "GET",
        "bucket",
        "replication",
        replication.get_bucket_replication,
        "s3:GetReplicationConfiguration",
    ),
    _op(
        "PutBucketReplication",
        "PUT",
        "bucket",
        "replication",
        replication.put_bucket_replication,
        "s3:PutReplicationConfiguration",
    ),
    # IAM has no s3:DeleteReplicationConfiguration: removing it is putting it.
    _op(
        "DeleteBucketReplication",
        "DELETE",
        "bucket",
        "replication",
        replication.delete_bucket_replication,
        "s3:PutReplicationConfiguration",
    ),
    _op(
        "GetObjectLockConfiguration",
        "GET",
        "bucket",
        "object-lock",
        object_lock.get_object_lock_configuration,
        "s3:GetBucketObjectLockConfiguration",
    ),
    _op(
        "PutObjectLockConfiguration",
        "PUT",
        "bucket",
        "object-lock",
        object_lock.put_object_lock_configuration,
        "s3:PutBucketObjectLockConfiguration",
    ),
    *_unimplemented("bucket", _UNIMPLEMENTED_BUCKET),
    _op("GetObject", "GET", "object", "", objects.get_object, check=read_params),
    _op(
        "GetObjectAttributes",
        "GET",
        "object",
        "attributes",
        attributes.get_object_attributes,
        "s3:GetObjectAttributes",
        check=check_version_id,
    ),
    _op("HeadObject", "HEAD", "object", "", objects.head_object, "s3:GetObject", check=read_params),
    _op("PutObject", "PUT", "object", "", objects.put_object, second=_LOCK),
    _op(
        "CopyObject",
        "PUT",
        "object",
        "",
        objects.copy_object,
        "s3:PutObject",
        "x-amz-copy-source",
        second=f"{_COPY}; {_LOCK}",
    ),
    _op(
        "DeleteObject",
        "DELETE",
        "object",
        "",
        objects.delete_object,
        check=check_version_id,
        second=_BYPASS,
    ),
    _op(
        "CreateMultipartUpload",
        "POST",
        "object",
        "uploads",
        multipart.create_multipart_upload,
        "s3:PutObject",
        second=_LOCK,
    ),
    _op(
        "UploadPart", "PUT", "object", "partNumber uploadId", multipart.upload_part, "s3:PutObject"
    ),
    _op(
        "UploadPartCopy",
        "PUT",
        "object",
        "partNumber uploadId",
        multipart_copy.upload_part_copy,
        "s3:PutObject",
        "x-amz-copy-source",
        second=_COPY,
    ),
    _op(
        "CompleteMultipartUpload",
        "POST",
        "object",
        "uploadId",
        multipart.complete_multipart_upload,
        "s3:PutObject",
    ),
    _op(
        "AbortMultipartUpload",
        "DELETE",
        "object",
        "uploadId",
        multipart.abort_multipart_upload,
        "s3:AbortMultipartUpload",
    ),
    _op(
        "ListParts",
        "GET",
        "object",
        "uploadId",
        multipart.list_parts,
        "s3:ListMultipartUploadParts",
    ),
    _op(
        "GetObjectTagging",
        "GET",
        "object",
        "tagging",
        tagging.get_object_tagging,
        check=check_version_id,
    ),
    _op(
        "PutObjectTagging",
        "PUT",
        "object",
        "tagging",
        tagging.put_object_tagging,
        check=check_version_id,
        deferred=True,
        second="s3:PutObjectTagging once the body is read, with its tags as s3:RequestObjectTag",
    ),
    _op(
        "DeleteObjectTagging",
        "DELETE",
        "object",
        "tagging",
        tagging.delete_object_tagging,
        check=check_version_id,
    ),
    _op(
        "RestoreObject", "POST", "object", "restore", restore.restore_object, check=check_version_id
    ),
    _op(
        "GetObjectLegalHold",
        "GET",
        "object",
        "legal-hold",
        object_retention.get_object_legal_hold,
        check=check_version_id,
    ),
    _op(
        "PutObjectLegalHold",
        "PUT",
        "object",
        "legal-hold",
        object_retention.put_object_legal_hold,
        check=check_version_id,
    ),
    _op(
        "GetObjectRetention",
        "GET",
        "object",
        "retention",
        object_retention.get_object_retention,
        check=check_version_id,
    ),
    _op(
        "PutObjectRetention",
        "PUT",
        "object",
        "retention",
        object_retention.put_object_retention,
        check=check_version_id,
        second=_BYPASS,
    ),
    _op("SelectObjectContent", "POST", "object", "select select-type", None, "s3:GetObject"),
    _op("GetObjectAcl", "GET", "object", "acl", acl.get_object_acl, check=check_version_id),
    _op("PutObjectAcl", "PUT", "object", "acl", acl.put_object_acl, check=check_version_id),
    *_unimplemented("object", _UNIMPLEMENTED_OBJECT),
)

_BY_SHAPE: dict[tuple[str, Level], list[Operation]] = {}
for _row in sorted(OPERATIONS, key=lambda o: -o.specificity):
    _BY_SHAPE.setdefault((_row.method, _row.level), []).append(_row)


def resolve(method: str, level: Level, query: Iterable[str], headers: Iterable[str]) -> Operation:
    """The operation a request is for; MethodNotAllowed when nothing matches."""
    present = set(query)
    header_names = {h.lower() for h in headers}
    for row in _BY_SHAPE.get((method, level), ()):
        if row.markers <= present and (row.header is None or row.header in header_names):
            return row
    raise errors.MethodNotAllowed(Method=method, ResourceType=level.upper())


def not_implemented(operation: Operation) -> errors.S3Error:
    """The error an unimplemented operation answers."""
    return errors.S3NotImplemented(
        f"{operation.name} is not implemented by this server",
    )
