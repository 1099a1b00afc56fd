"""Multipart uploads of the embedded region store."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence

from mrap import errors
from mrap.storage.base import (
    Blob,
    ObjectInfo,
    PartInfo,
    Upload,
    UploadEntry,
    UploadPage,
    WriteCondition,
)
from mrap.storage.local import object_parts, versions
from mrap.storage.local.files import LocalFiles
from mrap.storage.local.schema import info_from, meta_json
from mrap.storage.replication_records import Replicate


class LocalUploads(LocalFiles):
    """Uploads and their parts: rows in `uploads` and `parts`, bytes in data files."""

    async def create_upload(self, bucket: str, info: ObjectInfo) -> Upload:
        """Start a multipart upload."""
        upload = Upload(secrets.token_urlsafe(48), bucket, info.key, time.time(), info)

        def txn(conn: sqlite3.Connection) -> None:
            if not conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
                raise errors.NoSuchBucket(BucketName=bucket)
            conn.execute(
                "INSERT INTO uploads(upload_id, bucket, key, initiated, meta) VALUES (?,?,?,?,?)",
                (upload.upload_id, bucket, info.key.encode(), upload.initiated, meta_json(info)),
            )

        await self._writer.run(txn)
        return upload

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload | None:
        """A multipart upload in progress, or None."""
        row = self._read.execute(
            "SELECT initiated, meta FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
            (upload_id, bucket, key.encode()),
        ).fetchone()
        if row is None:
            return None
        info = info_from(key.encode(), 0, "", row[0], row[1])
        return Upload(upload_id, bucket, key, row[0], info)

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
        """Uploads after the markers, keys in byte order and each key's oldest first.

        Without `upload_id_marker` the listing starts after every upload of `key_marker`;
        with it, after that upload of `key_marker`. A `key_marker` that is a common prefix
        (a previous page's NextKeyMarker) skips the keys rolled up into it.
        """
        raw_prefix, raw_delimiter, marker = prefix.encode(), delimiter.encode(), key_marker.encode()
        after: tuple[float, str] | None = None
        if marker and upload_id_marker:
            row = self._read.execute(
                "SELECT initiated FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                (upload_id_marker, bucket, marker),
            ).fetchone()
            after = (row[0], upload_id_marker) if row else None
        rows = self._read.execute(
            "SELECT key, upload_id, initiated, meta FROM uploads WHERE bucket = ? AND key >= ?"
            " ORDER BY key, initiated, upload_id",
            (bucket, max(marker, raw_prefix)),
        )
        entries: list[UploadEntry] = []
        last_prefix: bytes | None = None
        for key, upload_id, initiated, meta in rows:
            if not key.startswith(raw_prefix):
                break
            if marker and key == marker and (after is None or (initiated, upload_id) <= after):
                continue
            common = _common_prefix(key, len(raw_prefix), raw_delimiter)
            if common is not None and common in (last_prefix, marker):
                continue
            if len(entries) == limit:
                return UploadPage(entries, truncated=True)
            if common is not None:
                entries.append(UploadEntry(common.decode(), None))
                last_prefix = common
                continue
            info = info_from(key, 0, "", initiated, meta)
            upload = Upload(upload_id, bucket, key.decode(), initiated, info)
            entries.append(UploadEntry(upload.key, upload))
        return UploadPage(entries, truncated=False)

    async def put_part(self, upload: Upload, part: PartInfo, blob: Blob) -> None:
        """Store (or replace) one part of an upload."""

        def make_txn(name: str) -> Callable[[sqlite3.Connection], str | None]:
            return lambda conn: record(conn, name)

        def record(conn: sqlite3.Connection, name: str) -> str | None:
            if not conn.execute(
                "SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)
            ).fetchone():
                raise errors.NoSuchUpload(UploadId=upload.upload_id)
            row = conn.execute(
                "SELECT file FROM parts WHERE upload_id = ? AND number = ?",
                (upload.upload_id, part.number),
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO parts(upload_id, number, size, etag, last_modified, file,"
                " checksums) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.upload_id,
                    part.number,
                    part.size,
                    part.etag,
                    part.last_modified,
                    name,
                    json.dumps(part.checksums),
                ),
            )
            return row[0] if row else None

        old = await self._commit(make_txn, blob)
        if old:
            await self._remove([old])

    def list_parts(self, upload: Upload, *, after: int, limit: int) -> list[PartInfo]:
        """Parts of an upload in number order, after part number `after`."""
        rows = self._read.execute(
            "SELECT number, size, etag, last_modified, checksums FROM parts"
            " WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
            (upload.upload_id, after, limit),
        ).fetchall()
        return [PartInfo(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    async def complete_upload(
        self,
        upload: Upload,
        parts: Sequence[PartInfo],
        info: ObjectInfo,
        condition: WriteCondition | None = None,
        replicate: Replicate | None = None,
    ) -> str | None:
        """Concatenate the parts into one data file (one copy, in the kernel), then commit."""
        numbers = [p.number for p in parts]
        files = dict(
            self._read.execute(
                f"SELECT number, file FROM parts WHERE upload_id = ? AND number IN"
                f" ({','.join('?' * len(numbers))})",
                (upload.upload_id, *numbers),
            ).fetchall()
        )
        if len(files) != len(numbers):
            raise errors.InvalidPart()
        blob = await asyncio.to_thread(self._concatenate, [files[n] for n in numbers])

        def make_txn(name: str) -> Callable[[sqlite3.Connection], tuple[str | None, list[str]]]:
            return lambda conn: finish(conn, name)

        def finish(conn: sqlite3.Connection, name: str) -> tuple[str | None, list[str]]:
            if not conn.execute(
                "SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)
            ).fetchone():
                raise errors.NoSuchUpload(UploadId=upload.upload_id)
            # versions.put forgets the parts of the object it replaces.
            version_id, freed = versions.put(conn, upload.bucket, info, name, condition, replicate)
            object_parts.record(conn, name, parts)
            freed += [
                r[0]
                for r in conn.execute(
                    "SELECT file FROM parts WHERE upload_id = ?", (upload.upload_id,)
                )
            ]
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
            return version_id, freed

        version_id, freed = await self._commit(make_txn, blob)
        await self._remove(freed)
        return version_id

    async def abort_upload(self, upload: Upload) -> None:
        """End an upload and free its parts."""

        def txn(conn: sqlite3.Connection) -> list[str]:
            files = [
                r[0]
                for r in conn.execute(
                    "SELECT file FROM parts WHERE upload_id = ?", (upload.upload_id,)
                )
            ]
            if not conn.execute(
                "DELETE FROM uploads WHERE upload_id = ? RETURNING 1", (upload.upload_id,)
            ).fetchone():
                raise errors.NoSuchUpload(UploadId=upload.upload_id)
            return files

        await self._remove(await self._writer.run(txn))


def _common_prefix(key: bytes, start: int, delimiter: bytes) -> bytes | None:
    """The common prefix `key` rolls up into: up to the first delimiter after `start`."""
    if not delimiter:
        return None
    cut = key.find(delimiter, start)
    return key[: cut + len(delimiter)] if cut >= 0 else None
