"""The embedded region store: buckets and object versions (see `schema` for the tables).

Data files and the writer are in `files`, multipart uploads in `uploads`, the metadata
transactions of writes in `versions`, listings in `listing`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import BinaryIO

from mrap import errors
from mrap.storage.base import (
    Blob,
    DeleteResult,
    ListEntry,
    ListPage,
    ObjectInfo,
    PartInfo,
    VersionEntry,
    Versioning,
    VersionPage,
    WriteCondition,
)
from mrap.storage.local import (
    listing,
    object_parts,
    replication,
    replication_workers,
    versions,
)
from mrap.storage.local.files import SMALL_BLOB, TEMPORARY_PREFIX
from mrap.storage.local.uploads import LocalUploads
from mrap.storage.replication_records import (
    ExistingVersion,
    Replicate,
    ReplicationFigures,
    ReplicationTask,
)

__all__ = ["SMALL_BLOB", "TEMPORARY_PREFIX", "LocalRegionStore"]


class LocalRegionStore(LocalUploads):
    """The embedded region store: buckets, object versions and uploads of one region."""

    # buckets

    async def create_bucket(self, bucket: str) -> None:
        """Create an empty bucket."""

        def txn(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO buckets(name, created) VALUES (?, ?)", (bucket, time.time())
            )

        await self._writer.run(txn)

    async def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket and any multipart uploads left in it."""

        def txn(conn: sqlite3.Connection) -> list[str]:
            for table in ("objects", "versions"):
                found = conn.execute(f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (bucket,))
                if found.fetchone():
                    raise errors.BucketNotEmpty(BucketName=bucket)
            files = [
                row[0]
                for row in conn.execute(
                    "SELECT p.file FROM parts p JOIN uploads u USING (upload_id)"
                    " WHERE u.bucket = ?",
                    (bucket,),
                )
            ]
            conn.execute("DELETE FROM uploads WHERE bucket = ?", (bucket,))
            conn.execute("DELETE FROM buckets WHERE name = ?", (bucket,))
            return files

        await self._remove(await self._writer.run(txn))

    # objects

    async def put_object(
        self,
        bucket: str,
        info: ObjectInfo,
        blob: Blob,
        condition: WriteCondition | None = None,
        replicate: Replicate | None = None,
    ) -> str | None:
        """Make a blob the latest version of `info.key`; return its version id."""

        def make_txn(name: str) -> Callable[[sqlite3.Connection], tuple[str | None, list[str]]]:
            return lambda conn: versions.put(conn, bucket, info, name, condition, replicate)

        version_id, freed = await self._commit(make_txn, blob)
        if freed:
            self._remove_later(freed)
        return version_id

    def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        """The latest version of a key (perhaps a delete marker), or the given version."""
        found = versions.find(self._read, bucket, key, version_id)
        return found[0] if found else None

    def object_parts(
        self, bucket: str, key: str, version_id: str | None = None, *, after: int, limit: int
    ) -> tuple[ObjectInfo, list[PartInfo]] | None:
        """Like head_object, plus the parts the version was uploaded in, when they were kept."""
        found = versions.find(self._read, bucket, key, version_id)
        if found is None:
            return None
        info, name = found
        parts = object_parts.read(self._read, name, after=after, limit=limit) if name else []
        return info, parts

    def open_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[ObjectInfo, BinaryIO | None] | None:
        """Metadata and an open file of the version's bytes (None for a delete marker)."""
        # A delete or an overwrite may unlink the file between the lookup and the open.
        for _ in range(5):
            found = versions.find(self._read, bucket, key, version_id)
            if found is None:
                return None
            info, name = found
            if name is None:
                return info, None
            try:
                fh = open(self._data / name, "rb", buffering=0)  # noqa: SIM115
            except FileNotFoundError:
                continue
            return info, fh
        raise errors.InternalError()

    async def delete_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        replicate: Replicate | None = None,
    ) -> DeleteResult:
        """Delete a key (a delete marker when versioned), or remove one version for good."""
        result, freed = await self._writer.run(
            lambda conn: versions.delete(conn, bucket, key, version_id, replicate)
        )
        await self._remove(freed)
        return result

    def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, after: str, limit: int
    ) -> ListPage:
        """Keys after `after` under `prefix`; each page is a few index range scans."""
        entries: list[ListEntry] = []
        walk = listing.walk_objects(
            self._read, bucket, prefix.encode(), delimiter.encode(), after.encode()
        )
        for entry in walk:
            if len(entries) == limit:
                return ListPage(entries, truncated=True)
            entries.append(entry)
        return ListPage(entries, truncated=False)

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
        """Versions and delete markers after the markers; a few index range scans a page."""
        marker_seq = None
        if version_marker is not None:
            marker_seq = self._version_seq(bucket, key_marker.encode(), version_marker)
        entries: list[VersionEntry] = []
        walk = listing.walk_versions(
            self._read,
            bucket,
            prefix.encode(),
            delimiter.encode(),
            key_marker.encode(),
            marker_seq,
        )
        for entry in walk:
            if len(entries) == limit:
                return VersionPage(entries, truncated=True)
            entries.append(entry)
        return VersionPage(entries, truncated=False)

    def _version_seq(self, bucket: str, key: bytes, version_id: str) -> int | None:
        """Where a version sits among its key's; None (list from the next key) if unknown."""
        for table in ("objects", "versions"):
            row = self._read.execute(
                f"SELECT seq FROM {table} WHERE bucket = ? AND key = ? AND version_id = ?",
                (bucket, key, version_id),
            ).fetchone()
            if row is not None:
                return int(row[0])
        return None

    # bucket configuration and tags

    def get_versioning(self, bucket: str) -> Versioning:
        """The bucket's versioning configuration."""
        row = self._read.execute(
            "SELECT versioning, mfa_delete FROM buckets WHERE name = ?", (bucket,)
        ).fetchone()
        if row is None:
            raise errors.NoSuchBucket(BucketName=bucket)
        return Versioning(row[0], row[1])

    async def set_versioning(self, bucket: str, versioning: Versioning) -> None:
        """Change the bucket's versioning configuration."""
        await self._writer.run(lambda conn: versions.set_versioning(conn, bucket, versioning))

    async def set_object_tags(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        tags: dict[str, str],
        replicate: Replicate | None = None,
    ) -> ObjectInfo | None:
        """Replace the tags of a version; see RegionStore.set_object_tags."""
        return await self._writer.run(
            lambda conn: versions.set_tags(conn, bucket, key, version_id, tags, replicate)
        )

    async def set_object_acl(
        self, bucket: str, key: str, version_id: str | None, acl: str | None
    ) -> ObjectInfo | None:
        """Replace the ACL of a version; see RegionStore.set_object_acl."""
        return await self._writer.run(
            lambda conn: versions.set_acl(conn, bucket, key, version_id, acl)
        )

    async def set_object_lock(
        self, bucket: str, key: str, version_id: str | None, fields: dict[str, str]
    ) -> ObjectInfo | None:
        """Change Object Lock fields of a version; see RegionStore.set_object_lock."""
        return await self._writer.run(
            lambda conn: versions.set_lock(conn, bucket, key, version_id, fields)
        )

    async def set_object_restore(
        self, bucket: str, key: str, version_id: str | None, ready: float, expiry: float
    ) -> ObjectInfo | None:
        """Record a version's restored copy; see RegionStore.set_object_restore."""
        return await self._writer.run(
            lambda conn: versions.set_restore(conn, bucket, key, version_id, ready, expiry)
        )

    def get_bucket_tags(self, bucket: str) -> dict[str, str] | None:
        """The bucket's tags, None when it has none."""
        row = self._read.execute("SELECT tags FROM buckets WHERE name = ?", (bucket,)).fetchone()
        if row is None:
            raise errors.NoSuchBucket(BucketName=bucket)
        return dict(json.loads(row[0])) if row[0] else None

    async def set_bucket_tags(self, bucket: str, tags: dict[str, str] | None) -> None:
        """Replace (None: remove) the bucket's tags."""
        value = json.dumps(tags) if tags else None

        def txn(conn: sqlite3.Connection) -> None:
            versions.bucket_versioning(conn, bucket)  # NoSuchBucket
            conn.execute("UPDATE buckets SET tags = ? WHERE name = ?", (value, bucket))

        await self._writer.run(txn)

    # replication

    async def claim_replication(
        self, limit: int, lease: float, worker: str
    ) -> list[ReplicationTask]:
        """Take up to `limit` due replication tasks for `worker` for `lease` seconds
        (atomically, so workers in other processes do not take them too)."""
        # Most polls find nothing: look on the read connection before taking the write lock.
        if not replication.any_due(self._read):
            return []
        return await self._writer.run(lambda conn: replication.claim(conn, limit, lease, worker))

    async def replication_heartbeat(self, worker: str, until: float) -> None:
        """The replication worker `worker` is alive until `until` (epoch seconds)."""
        now = time.time()
        await self._writer.run(lambda conn: replication_workers.heartbeat(conn, worker, until, now))

    def live_replication_workers(self) -> list[str]:
        """The replication workers alive now."""
        return replication_workers.live(self._read, time.time())

    async def replication_succeeded(self, task: ReplicationTask) -> None:
        """A task's copy is done; the source version's status follows."""
        await self._writer.run(lambda conn: replication.succeed(conn, task, time.time()))

    async def replication_failed(self, task: ReplicationTask, error: str) -> None:
        """A task can never succeed: its version shows FAILED."""
        await self._writer.run(lambda conn: replication.fail(conn, task, error))

    async def replication_retry(self, task: ReplicationTask, at: float, error: str) -> None:
        """A task failed for now; try it again at `at` (epoch seconds)."""
        await self._writer.run(lambda conn: replication.retry(conn, task, at, error))

    async def defer_replication(self, destination: str, until: float) -> None:
        """Hold the tasks for a destination whose region is down until `until`."""
        await self._writer.run(lambda conn: replication.defer(conn, destination, until))

    def replication_figures(self) -> list[ReplicationFigures]:
        """Replication work waiting and done, per source bucket and destination."""
        return replication.figures(self._read)

    async def start_backfill(self, bucket: str, cutoff: float, config: str) -> None:
        """Queue the bucket's versions older than `cutoff` for replication, from the start,
        once its configuration is the one with digest `config`."""
        await self._writer.run(
            lambda conn: replication.start_backfill(conn, bucket, cutoff, config)
        )

    async def end_backfill(self, bucket: str) -> None:
        """Stop the bucket's backfill, if one is in progress."""
        await self._writer.run(lambda conn: replication.end_backfill(conn, bucket))

    def backfills(self) -> list[tuple[str, str]]:
        """(bucket, configuration digest) of the backfills in progress."""
        return replication.backfills(self._read)

    def backfill_remaining(self, bucket: str) -> int:
        """How many versions the bucket's backfill has yet to consider."""
        return replication.backfill_remaining(self._read, bucket)

    def existing_versions(self, bucket: str, limit: int) -> list[ExistingVersion]:
        """The next `limit` versions a bucket's backfill has to consider, in key order."""
        return replication.existing_versions(self._read, bucket, limit)

    async def backfill_batch(
        self, bucket: str, batch: Sequence[tuple[ExistingVersion, Replicate | None]]
    ) -> None:
        """Queue a backfill batch and move past it in one transaction (empty: done)."""
        await self._writer.run(lambda conn: replication.backfill_batch(conn, bucket, batch))

    async def write_replica(
        self, bucket: str, info: ObjectInfo, blob: Blob | None, parts: Sequence[PartInfo] = ()
    ) -> None:
        """Store a replica: `info` with its source's version id and last-modified time, the
        bytes in `blob` (None for a delete marker) and a multipart source's `parts`.
        Idempotent."""
        if blob is None:
            await self._writer.run(lambda conn: replication.write_replica(conn, bucket, info, None))
            return

        def make_txn(name: str) -> Callable[[sqlite3.Connection], list[str]]:
            return lambda conn: replication.write_replica(conn, bucket, info, name, parts)

        await self._remove(await self._commit(make_txn, blob))

    async def replica_tags(
        self, bucket: str, key: str, version_id: str, tags: dict[str, str]
    ) -> bool:
        """Give a replica version its source's current tags; False if it is not there yet."""
        return await self._writer.run(
            lambda conn: replication.replica_tags(conn, bucket, key, version_id, tags)
        )
