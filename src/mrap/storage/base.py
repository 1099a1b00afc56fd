"""What a region store is: buckets, objects and multipart uploads of one region.

The S3 operations talk to regions only through this interface, so a region can be the
embedded store (SQLite + files) or, later, a remote S3 engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from mrap import errors
from mrap.storage.replication_records import (
    ExistingVersion,
    Replicate,
    ReplicationFigures,
    ReplicationTask,
)

NULL_VERSION = "null"
STANDARD = "STANDARD"  # the class a version without one has
# botocore's s3 model, shape `StorageClass`.
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "OUTPOSTS",
        "GLACIER_IR",
        "SNOW",
        "EXPRESS_ONEZONE",
        "FSX_OPENZFS",
        "FSX_ONTAP",
        "AWS_BACKUP_WARM",
        "AWS_BACKUP_LOW_COST_WARM",
    }
)
MAX_PART_NUMBER = 10000  # parts of one object (S3's limit), the most one listing returns


@dataclass
class ObjectInfo:
    """Metadata of one stored object version (or of a part, where the fields apply)."""

    key: str
    size: int
    etag: str  # without quotes
    last_modified: float
    content_type: str = "binary/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)  # Cache-Control, Expires, …
    user_metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm → base64 value
    # FULL_OBJECT or COMPOSITE ("" when no checksum). In a multipart upload's info, the
    # type asked for at creation, and `checksums` maps the chosen algorithm to "".
    checksum_type: str = ""
    parts_count: int = 0
    tags: dict[str, str] = field(default_factory=dict)  # in the order they were given
    # None while the bucket has never had versioning: responses then carry no version id.
    version_id: str | None = None
    delete_marker: bool = False
    # The version's ACL (owner and grants) as mrap.authz.acl_model stores it; None: the
    # default, full control to the bucket owner.
    acl: str | None = None
    # x-amz-replication-status: PENDING, COMPLETED or FAILED on a source, REPLICA on a
    # replica, "" on a version that no replication rule selected.
    replication_status: str = ""
    # Object Lock of the version: retention mode (GOVERNANCE or COMPLIANCE) and its
    # retain-until date (ISO 8601, UTC), legal hold ON or OFF; "" when never set.
    lock_mode: str = ""
    lock_until: str = ""
    legal_hold: str = ""
    # x-amz-storage-class; every class is served from the same bytes.
    storage_class: str = "STANDARD"
    # The temporary copy RestoreObject makes of an archived version: when it is (or was)
    # ready and when it expires, epoch seconds; 0 when no restore was ever asked for.
    restore_ready: float = 0.0
    restore_expiry: float = 0.0
    # The multipart upload that produced the version ("" for any other write), so that a
    # repeated CompleteMultipartUpload of it is answered as the first one was.
    upload_id: str = ""


LOCK_FIELDS = ("lock_mode", "lock_until", "legal_hold")


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match value names `etag` (or is `*`)."""
    wanted = {v.strip().removeprefix("W/").strip('"') for v in header.split(",")}
    return "*" in wanted or etag in wanted


@dataclass(frozen=True)
class WriteCondition:
    """`If-Match` / `If-None-Match: *` of a write, checked against the key's current object."""

    if_match: str | None = None
    if_none_match: bool = False

    def holds(self, current: ObjectInfo | None) -> bool:
        """Whether the write may replace `current` (None, or a delete marker: no object)."""
        if current is None or current.delete_marker:
            return self.if_match is None
        return not self.if_none_match and (
            self.if_match is None or etag_matches(self.if_match, current.etag)
        )


@dataclass(frozen=True)
class DeleteResult:
    """What a DeleteObject did: the version it made or removed, and whether that is a marker."""

    version_id: str | None  # None in a bucket that has never had versioning
    delete_marker: bool = False


@dataclass
class VersionEntry:
    """One item of a version listing: a version or delete marker, or a common prefix."""

    key: str
    info: ObjectInfo | None  # None for a common prefix
    latest: bool = False


@dataclass
class VersionPage:
    """A page of ListObjectVersions: keys in byte order, each key's versions newest first."""

    entries: list[VersionEntry]
    truncated: bool


@dataclass(frozen=True)
class Versioning:
    """A bucket's versioning configuration; status "" until it is first set."""

    status: str = ""
    mfa_delete: str = ""


@dataclass(frozen=True)
class Blob:
    """Bytes under a temporary name, not yet part of any object (durable once placed)."""

    path: str
    size: int
    data: bytes | None = None  # a small blob stays in memory until it is placed


@dataclass
class ListEntry:
    """One item of a listing page: an object, or a common prefix (info is None)."""

    key: str
    info: ObjectInfo | None


@dataclass
class ListPage:
    """A page of a listing in UTF-8 byte order of keys."""

    entries: list[ListEntry]
    truncated: bool


@dataclass
class Upload:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    initiated: float
    info: ObjectInfo  # metadata the completed object will carry


@dataclass
class UploadEntry:
    """One item of ListMultipartUploads: an upload, or a common prefix (upload is None)."""

    key: str
    upload: Upload | None


@dataclass
class UploadPage:
    """A page of uploads in UTF-8 byte order of keys, each key's uploads oldest first."""

    entries: list[UploadEntry]
    truncated: bool


@dataclass
class PartInfo:
    """One uploaded part."""

    number: int
    size: int
    etag: str
    last_modified: float
    checksums: dict[str, str] = field(default_factory=dict)


class RegionStore(Protocol):
    """Storage of one region."""

    region: str

    def close(self) -> None:
        """Release files, connections and threads."""

    def healthy(self) -> bool:
        """Whether the store can serve requests now (cheap: routing asks every second)."""

    async def create_bucket(self, bucket: str) -> None:
        """Create an empty bucket."""

    async def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket; BucketNotEmpty otherwise."""

    async def write_blob(self, chunks: AsyncIterator[bytes]) -> Blob:
        """Write a stream under a temporary name."""

    def discard_blob(self, blob: Blob) -> None:
        """Forget a blob that will not become an object."""

    async def put_object(
        self,
        bucket: str,
        info: ObjectInfo,
        blob: Blob,
        condition: WriteCondition | None = None,
        replicate: Replicate | None = None,
    ) -> str | None:
        """Make a blob the current object of a key, atomically; return its version id.

        A `condition` that no longer holds when the write commits raises
        ConditionalRequestConflict (callers check it first, to answer 412 early).
        `replicate`: the version's replication tasks, queued in the same transaction.
        """

    def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        """The latest version of a key (perhaps a delete marker), or the given version."""

    def object_parts(
        self, bucket: str, key: str, version_id: str | None = None, *, after: int, limit: int
    ) -> tuple[ObjectInfo, list[PartInfo]] | None:
        """Like head_object, plus the parts (number, size, checksums) the version was
        uploaded in, when they were kept (multipart uploads that chose a checksum)."""

    def open_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[ObjectInfo, BinaryIO | None] | None:
        """Like head_object, plus an open file of the bytes (None for a delete marker)."""

    async def delete_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        replicate: Replicate | None = None,
    ) -> DeleteResult:
        """Delete the key (a delete marker when versioned), or remove one version for good.

        `replicate`: where a new delete marker replicates (removals never do).
        """

    def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, after: str, limit: int
    ) -> ListPage:
        """Keys after `after` under `prefix`, rolling keys up to `delimiter` into prefixes."""

    def list_versions(
        self,
        bucket: str,
        *,
        prefix: str,
        delimiter: str,
        key_marker: str,
        version_marker: str | None,
        limit: int,
    ) -> VersionPage:
        """Versions and delete markers after (`key_marker`, `version_marker`)."""

    def get_versioning(self, bucket: str) -> Versioning:
        """The bucket's versioning configuration."""

    async def set_versioning(self, bucket: str, versioning: Versioning) -> None:
        """Change the bucket's versioning configuration."""

    async def set_object_tags(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        tags: dict[str, str],
        replicate: Replicate | None = None,
    ) -> ObjectInfo | None:
        """Replace the tags of a version (the latest without `version_id`); `replicate`:
        where the change replicates.

        Returns the version as it now is; a delete marker comes back unchanged, None when
        there is no such version.
        """

    async def set_object_acl(
        self, bucket: str, key: str, version_id: str | None, acl: str | None
    ) -> ObjectInfo | None:
        """Replace the ACL of a version (the latest without `version_id`); like
        set_object_tags, the version as it now is, a delete marker unchanged, or None."""

    async def set_object_lock(
        self, bucket: str, key: str, version_id: str | None, fields: dict[str, str]
    ) -> ObjectInfo | None:
        """Change Object Lock fields (LOCK_FIELDS; "" removes one) of a version; like
        set_object_tags, the version as it now is, a delete marker unchanged, or None."""

    async def set_object_restore(
        self, bucket: str, key: str, version_id: str | None, ready: float, expiry: float
    ) -> ObjectInfo | None:
        """Record a version's restored copy (ready and expiry times); like set_object_tags,
        the version as it now is, a delete marker unchanged, or None."""

    def get_bucket_tags(self, bucket: str) -> dict[str, str] | None:
        """The bucket's tags, None when it has none."""

    async def set_bucket_tags(self, bucket: str, tags: dict[str, str] | None) -> None:
        """Replace (None: remove) the bucket's tags."""

    async def create_upload(self, bucket: str, info: ObjectInfo) -> Upload:
        """Start a multipart upload."""

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload | None:
        """A multipart upload in progress, or None."""

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str,
        delimiter: str,
        key_marker: str,
        upload_id_marker: str,
        limit: int,
    ) -> UploadPage:
        """Uploads in progress after (`key_marker`, `upload_id_marker`) under `prefix`,
        rolling keys up to `delimiter` into common prefixes."""

    async def put_part(self, upload: Upload, part: PartInfo, blob: Blob) -> None:
        """Store (or replace) one part of an upload."""

    def list_parts(self, upload: Upload, *, after: int, limit: int) -> list[PartInfo]:
        """Parts of an upload in number order, after part number `after`."""

    async def complete_upload(
        self,
        upload: Upload,
        parts: Sequence[PartInfo],
        info: ObjectInfo,
        condition: WriteCondition | None = None,
        replicate: Replicate | None = None,
    ) -> str | None:
        """Assemble the listed parts into the object and end the upload; its version id."""

    async def abort_upload(self, upload: Upload) -> None:
        """End an upload and free its parts."""

    async def claim_replication(
        self, limit: int, lease: float, worker: str
    ) -> list[ReplicationTask]:
        """Take up to `limit` due replication tasks for `worker` for `lease` seconds,
        atomically (tasks a dead worker claimed included)."""

    async def replication_heartbeat(self, worker: str, until: float) -> None:
        """The replication worker `worker` is alive until `until` (epoch seconds)."""

    def live_replication_workers(self) -> list[str]:
        """The replication workers alive now."""

    async def replication_succeeded(self, task: ReplicationTask) -> None:
        """A task's copy is done."""

    async def replication_failed(self, task: ReplicationTask, error: str) -> None:
        """A task can never succeed."""

    async def replication_retry(self, task: ReplicationTask, at: float, error: str) -> None:
        """A task failed for now; try again at `at`."""

    async def defer_replication(self, destination: str, until: float) -> None:
        """Hold the tasks for a destination whose region is down until `until`."""

    def replication_figures(self) -> list[ReplicationFigures]:
        """Replication work waiting and done, per source bucket and destination."""

    async def start_backfill(self, bucket: str, cutoff: float, config: str) -> None:
        """Queue the bucket's versions last modified before `cutoff` (epoch seconds) for
        replication, from the first key on (restarting any backfill in progress), once the
        bucket's configuration is the one whose digest is `config`."""

    async def end_backfill(self, bucket: str) -> None:
        """Stop the bucket's backfill, if one is in progress."""

    def backfills(self) -> list[tuple[str, str]]:
        """(bucket, configuration digest) of the backfills in progress."""

    def backfill_remaining(self, bucket: str) -> int:
        """How many versions the bucket's backfill has yet to consider (0: none running)."""

    def existing_versions(self, bucket: str, limit: int) -> list[ExistingVersion]:
        """The next `limit` versions a bucket's backfill has to consider, in key order."""

    async def backfill_batch(
        self, bucket: str, batch: Sequence[tuple[ExistingVersion, Replicate | None]]
    ) -> None:
        """Queue a batch from `existing_versions` (None: that version replicates nowhere) and
        move past it, in one transaction; an empty batch ends the backfill."""

    async def write_replica(
        self, bucket: str, info: ObjectInfo, blob: Blob | None, parts: Sequence[PartInfo] = ()
    ) -> None:
        """Store a replica version (None: a delete marker) with its source's id and time, and
        the parts (sizes, checksums) of a multipart source."""

    async def replica_tags(
        self, bucket: str, key: str, version_id: str, tags: dict[str, str]
    ) -> bool:
        """Give a replica version its source's current tags; False if it is not there yet."""


_COPY_CHUNK = 1 << 20


async def iter_file(fh: BinaryIO, offset: int, length: int) -> AsyncIterator[bytes]:
    """Yield `length` bytes of an open object file (`RegionStore.open_object`) from `offset`,
    a chunk at a time."""
    fh.seek(offset)
    remaining = length
    while remaining > 0:
        chunk = fh.read(min(_COPY_CHUNK, remaining))
        if not chunk:
            raise errors.InternalError("object data is shorter than its metadata")
        remaining -= len(chunk)
        yield chunk
