"""Requests addressed to a Multi-Region Access Point: which operations, which bucket.

A request names the access point by its alias (`{alias}.accesspoint.s3-global.…`, or the
alias used as a bucket name). It is routed to one of the access point's buckets and is then
handled exactly like a request sent to that bucket, with the access point's policy and Block
Public Access settings joining the authorization (see `mrap.authz.access`).
"""

from __future__ import annotations

from mrap import errors
from mrap.operation import AccessPointRef
from mrap.routing.latency import LatencyTable
from mrap.routing.router import choose
from mrap.services import Services
from mrap.store.mrap_records import MrapRegion

OPERATIONS = frozenset(
    {
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "CopyObject",  # as the destination only: a copy source is always a bucket
        "CreateMultipartUpload",
        "DeleteObject",
        "DeleteObjectTagging",
        "GetObject",
        "GetObjectAcl",
        "GetObjectLegalHold",
        "GetObjectRetention",
        "GetObjectTagging",
        "HeadObject",
        "ListMultipartUploads",
        "ListObjectsV2",
        "ListParts",
        "PutObject",
        "PutObjectAcl",
        "PutObjectLegalHold",
        "PutObjectRetention",
        "PutObjectTagging",
        "RestoreObject",
        "UploadPart",
    }
)
"""The operations AWS accepts through a Multi-Region Access Point (S3 User Guide)."""

ALIAS_SUFFIX = ".mrap"


def is_alias(name: str) -> bool:
    """Whether a bucket name is really an access point alias (`.mrap` is reserved for them)."""
    return name.endswith(ALIAS_SUFFIX)


def check_operation(operation: str) -> None:
    """MethodNotAllowed for an operation access points do not offer (as S3 answers them)."""
    if operation not in OPERATIONS:
        raise errors.MethodNotAllowed(
            f"The {operation} operation is not supported through a Multi-Region Access Point.",
            Method=operation,
            ResourceType="MULTIREGIONACCESSPOINT",
        )


class Router:
    """Routes access point requests for one gateway process."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self._mraps = services.mraps
        self._home = settings.home_region
        self._latency = LatencyTable(settings.latency)
        self._failover = settings.automatic_failover
        self.health = services.health

    def serves(self, alias: str) -> bool:
        """Whether `alias` names an access point that takes requests (exists and is ready)."""
        point = self._mraps.by_alias(alias)
        return point is not None and point.status == "READY"

    def route(self, alias: str) -> tuple[AccessPointRef, MrapRegion]:
        """The access point named by `alias` and the bucket that serves the request now.

        NoSuchBucket, as S3 answers an unknown alias, for access points that do not exist
        or are not (or no longer) ready.
        """
        point = self._mraps.by_alias(alias)
        if point is None or point.status != "READY":
            raise errors.NoSuchBucket(BucketName=alias)
        chosen = choose(
            point.regions, self._home, self._latency, self.health.healthy, failover=self._failover
        )
        if chosen is None:
            raise errors.NoSuchBucket(BucketName=alias)
        ref = AccessPointRef(
            point.arn,
            point.account_id,
            point.established_policy,
            point.public_access_block,
            chosen.region,
        )
        return ref, chosen
