"""The S3 operation table: request shape → operation → handler and IAM action.

One row per AWS operation. A request matches a row by method, by what it addresses (the
service, a bucket or an object), by the query parameters that mark a sub-resource, and by
a marking header. Rows without a handler are operations we do not implement: they answer
`NotImplemented`, and the README's compatibility table is made from them.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from mrap.operation import Handler, Level


@dataclass(frozen=True)
class Operation:
    """One S3 operation and how requests for it look."""

    name: str
    method: str
    level: Level
    markers: frozenset[str]
    handler: Handler | None
    action: str
    header: str | None = None

    @property
    def specificity(self) -> int:
        """Rows with more distinguishing parts are tried first."""
        return len(self.markers) + (1 if self.header else 0)


def _op(
    name: str,
    method: str,
    level: Level,
    markers: str = "",
    handler: Handler | None = None,
    action: str = "",
    header: str | None = None,
) -> Operation:
    return Operation(
        name,
        method,
        level,
        frozenset(markers.split()),
        handler,
        action or f"s3:{name}",
        header,
    )


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
    _op("ListBuckets", "GET", "service", "", buckets.list_buckets, "s3:ListAllMyBuckets"),
    _op("CreateBucket", "PUT", "bucket", "", buckets.create_bucket),
    _op("DeleteBucket", "DELETE", "bucket", "", buckets.delete_bucket),
    _op("HeadBucket", "HEAD", "bucket", "", buckets.head_bucket, "s3:ListBucket"),
    _op("GetBucketLocation", "GET", "bucket", "location", buckets.get_bucket_location),
    _op("ListObjects", "GET", "bucket", "", listing.list_objects, "s3:ListBucket"),
    _op("ListObjectsV2", "GET", "bucket", "list-type", listing.list_objects_v2, "s3:ListBucket"),
    _op(
        "ListObjectVersions",
        "GET",
        "bucket",
        "versions",
        versioning.list_object_versions,
        "s3:ListBucketVersions",
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
    ),
    _op(
        "DeleteObjects",
        "POST",
        "bucket",
        "delete",
        delete_objects.delete_objects,
        "s3:DeleteObject",
    ),
    _op("GetBucketPolicy", "GET", "bucket", "policy", bucket_policy.get_bucket_policy),
    _op("PutBucketPolicy", "PUT", "bucket", "policy", bucket_policy.put_bucket_policy),
    _op("DeleteBucketPolicy", "DELETE", "bucket", "policy", bucket_policy.delete_bucket_policy),
    _op(
        "GetBucketPolicyStatus",
        "GET",
        "bucket",
        "policyStatus",
        bucket_policy.get_bucket_policy_status,
    ),
    _op(
        "GetPublicAccessBlock",
        "GET",
        "bucket",
        "publicAccessBlock",
        bucket_policy.get_public_access_block,
        "s3:GetBucketPublicAccessBlock",
    ),
    _op(
        "PutPublicAccessBlock",
        "PUT",
        "bucket",
        "publicAccessBlock",
        bucket_policy.put_public_access_block,
        "s3:PutBucketPublicAccessBlock",
    ),
    # IAM has no s3:DeleteBucketPublicAccessBlock: removing the settings is putting them.
    _op(
        "DeletePublicAccessBlock",
        "DELETE",
        "bucket",
        "publicAccessBlock",
        bucket_policy.delete_public_access_block,
        "s3:PutBucketPublicAccessBlock",
    ),
    _op(
        "GetBucketRequestPayment",
        "GET",
        "bucket",
        "requestPayment",
        request_payment.get_bucket_request_payment,
    ),
    _op(
        "PutBucketRequestPayment",
        "PUT",
        "bucket",
        "requestPayment",
        request_payment.put_bucket_request_payment,
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
    _op("GetObject", "GET", "object", "", objects.get_object),
    _op(
        "GetObjectAttributes",
        "GET",
        "object",
        "attributes",
        attributes.get_object_attributes,
        "s3:GetObjectAttributes",
    ),
    _op("HeadObject", "HEAD", "object", "", objects.head_object, "s3:GetObject"),
    _op("PutObject", "PUT", "object", "", objects.put_object),
    _op(
        "CopyObject", "PUT", "object", "", objects.copy_object, "s3:PutObject", "x-amz-copy-source"
    ),
    _op("DeleteObject", "DELETE", "object", "", objects.delete_object),
    _op(
        "CreateMultipartUpload",
        "POST",
        "object",
        "uploads",
        multipart.create_multipart_upload,
        "s3:PutObject",
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
    _op("GetObjectTagging", "GET", "object", "tagging", tagging.get_object_tagging),
    _op("PutObjectTagging", "PUT", "object", "tagging", tagging.put_object_tagging),
    _op("DeleteObjectTagging", "DELETE", "object", "tagging", tagging.delete_object_tagging),
    _op("RestoreObject", "POST", "object", "restore", restore.restore_object),
    _op(
        "GetObjectLegalHold",
        "GET",
        "object",
        "legal-hold",
        object_retention.get_object_legal_hold,
    ),
    _op(
        "PutObjectLegalHold",
        "PUT",
        "object",
        "legal-hold",
        object_retention.put_object_legal_hold,
    ),
    _op(
        "GetObjectRetention",
        "GET",
        "object",
        "retention",
        object_retention.get_object_retention,
    ),
    _op(
        "PutObjectRetention",
        "PUT",
        "object",
        "retention",
        object_retention.put_object_retention,
    ),
    _op("SelectObjectContent", "POST", "object", "select select-type", None, "s3:GetObject"),
    _op("GetObjectAcl", "GET", "object", "acl", acl.get_object_acl),
    _op("PutObjectAcl", "PUT", "object", "acl", acl.put_object_acl),
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
