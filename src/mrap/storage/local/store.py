"""The embedded region store: object bytes in files, metadata in SQLite.

Durability order for every write: bytes go to a temporary file, which is fsynced, renamed to
its final name and its folder fsynced; only then is the metadata committed. A crash leaves the
old object or the new one, never a mix. Keys never become paths: data files are named by
random ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from mrap import errors
from mrap.storage.base import Blob, ListEntry, ListPage, ObjectInfo, PartInfo, Upload
from mrap.storage.local.writer import BatchWriter
from mrap.store.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    file TEXT NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    initiated REAL NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, initiated);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    file TEXT NOT NULL,
    checksums TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
) WITHOUT ROWID;
"""

_COPY_CHUNK = 1 << 20
SMALL_BLOB = 1 << 20  # bodies up to this size are written by one call off the event loop


def _meta_json(info: ObjectInfo) -> str:
    return json.dumps(
        {
            "content_type": info.content_type,
            "headers": info.headers,
            "user_metadata": info.user_metadata,
            "checksums": info.checksums,
            "parts_count": info.parts_count,
        },
        separators=(",", ":"),
    )


def _info(key: bytes, size: int, etag: str, last_modified: float, meta: str) -> ObjectInfo:
    fields: dict[str, Any] = json.loads(meta)
    return ObjectInfo(key.decode(), size, etag, last_modified, **fields)


def key_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


class LocalRegionStore:
    """A region kept in a folder: `db.sqlite3`, `objects/`, `parts/` and `tmp/`."""

    def __init__(self, region: str, root: Path) -> None:
        self.region = region
        self.root = root
        self._tmp = root / "tmp"
        self._objects = root / "objects"
        self._parts = root / "parts"
        for folder in (self._tmp, self._objects, self._parts):
            folder.mkdir(parents=True, exist_ok=True)
        db = root / "db.sqlite3"
        schema_conn = connect(db)
        schema_conn.executescript(_SCHEMA)
        schema_conn.close()
        self._read = connect(db)
        self._writer = BatchWriter(db, region)

    def close(self) -> None:
        """Stop the writer thread and close connections."""
        self._writer.close()
        self._read.close()

    # housekeeping

    def sweep(self) -> int:
        """Delete temporary files and data files no metadata refers to; return the count.

        Run at start, before any request: the gap between renaming a data file and
        committing its metadata is where a crash leaves such files.
        """
        removed = 0
        for entry in os.scandir(self._tmp):
            os.unlink(entry.path)
            removed += 1
        for table, folder in (("objects", self._objects), ("parts", self._parts)):
            known = {row[0] for row in self._read.execute(f"SELECT file FROM {table}")}
            for shard in os.scandir(folder):
                for entry in os.scandir(shard.path):
                    if f"{shard.name}/{entry.name}" not in known:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    # blobs

    async def write_blob(self, chunks: AsyncIterator[bytes]) -> Blob:
        """Collect a small body in memory, or stream a large one into a temporary file.

        Either way nothing is durable yet: placing the blob writes and syncs it in one
        thread hop, off the event loop.
        """
        path = self._tmp / secrets.token_hex(16)
        held: list[bytes] = []
        size = 0
        fh: BinaryIO | None = None
        try:
            async for chunk in chunks:
                size += len(chunk)
                if fh is None and size <= SMALL_BLOB:
                    held.append(chunk)
                    continue
                if fh is None:
                    fh = open(path, "xb")  # noqa: SIM115 - closed below
                    fh.writelines(held)
                    held.clear()
                fh.write(chunk)
            if fh is not None:
                fh.close()
        except BaseException:
            if fh is not None:
                fh.close()
            path.unlink(missing_ok=True)
            raise
        return Blob(str(path), size, None if fh is not None else b"".join(held))

    def discard_blob(self, blob: Blob) -> None:
        """Delete a temporary file."""
        Path(blob.path).unlink(missing_ok=True)

    def _place(self, blob: Blob, folder: Path) -> str:
        """Make a blob durable under its final name in `folder`; return that name.

        One thread hop does the three syncs a durable rename needs: the data, the rename,
        the folder entry.
        """
        if blob.data is not None:
            fd = os.open(blob.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            view = memoryview(blob.data)
            while view:
                view = view[os.write(fd, view) :]
        else:
            fd = os.open(blob.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        name = secrets.token_hex(16)
        shard = folder / name[:2]
        shard.mkdir(exist_ok=True)
        os.rename(blob.path, shard / name)
        dir_fd = os.open(shard, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return f"{name[:2]}/{name}"

    @staticmethod
    def _unlink_all(folder: Path, files: Sequence[str]) -> None:
        for name in files:
            (folder / name).unlink(missing_ok=True)

    async def _remove(self, folder: Path, files: Sequence[str]) -> None:
        """Delete data files no metadata refers to any more (unlink can take a while)."""
        if files:
            await asyncio.to_thread(self._unlink_all, folder, files)

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
            if conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (bucket,)).fetchone():
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

        await self._remove(self._parts, await self._writer.run(txn))

    # objects

    async def put_object(self, bucket: str, info: ObjectInfo, blob: Blob) -> None:
        """Make a blob the current object of `info.key`."""
        name = await asyncio.to_thread(self._place, blob, self._objects)
        try:
            old = await self._writer.run(self._upsert_txn(bucket, info, name))
        except BaseException:
            await self._remove(self._objects, [name])
            raise
        if old:
            await self._remove(self._objects, [old])

    @staticmethod
    def _upsert_txn(bucket: str, info: ObjectInfo, name: str) -> Any:
        key = info.key.encode()

        def txn(conn: sqlite3.Connection) -> str | None:
            if not conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
                raise errors.NoSuchBucket(BucketName=bucket)
            row = conn.execute(
                "SELECT file FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO objects(bucket, key, size, etag, last_modified, file, meta)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (bucket, key, info.size, info.etag, info.last_modified, name, _meta_json(info)),
            )
            return row[0] if row else None

        return txn

    def head_object(self, bucket: str, key: str) -> ObjectInfo | None:
        """Metadata of the current object of a key."""
        row = self._read.execute(
            "SELECT key, size, etag, last_modified, meta FROM objects WHERE bucket = ? AND key = ?",
            (bucket, key.encode()),
        ).fetchone()
        return _info(*row) if row else None

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO] | None:
        """Metadata and an open file of the object's bytes."""
        # An overwrite may unlink the file between the lookup and the open: look again.
        for _ in range(5):
            row = self._read.execute(
                "SELECT key, size, etag, last_modified, meta, file FROM objects"
                " WHERE bucket = ? AND key = ?",
                (bucket, key.encode()),
            ).fetchone()
            if row is None:
                return None
            try:
                fh = open(self._objects / row[5], "rb", buffering=0)  # noqa: SIM115
            except FileNotFoundError:
                continue
            return _info(*row[:5]), fh
        raise errors.InternalError()

    async def delete_object(self, bucket: str, key: str) -> bool:
        """Remove the object of a key; False when there was none."""
        raw = key.encode()

        def txn(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING file", (bucket, raw)
            ).fetchone()
            return row[0] if row else None

        name = await self._writer.run(txn)
        if name:
            await self._remove(self._objects, [name])
        return name is not None

    def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, after: str, limit: int
    ) -> ListPage:
        """Keys after `after` under `prefix`; each page is a few index range scans."""
        entries: list[ListEntry] = []
        for entry in self._walk(bucket, prefix.encode(), delimiter.encode(), after.encode()):
            if len(entries) == limit:
                return ListPage(entries, truncated=True)
            entries.append(entry)
        return ListPage(entries, truncated=False)

    def _walk(
        self, bucket: str, prefix: bytes, delimiter: bytes, after: bytes
    ) -> Iterator[ListEntry]:
        end = key_successor(prefix) if prefix else None
        lower, inclusive = (prefix, True) if prefix > after else (after, False)
        while True:
            sql = (
                "SELECT key, size, etag, last_modified, meta FROM objects WHERE bucket = ?"
                f" AND key {'>=' if inclusive else '>'} ?"
            )
            params: list[Any] = [bucket, lower]
            if end is not None:
                sql += " AND key < ?"
                params.append(end)
            cursor = self._read.execute(sql + " ORDER BY key LIMIT 1000", params)
            jumped = False
            rows = 0
            for row in cursor:
                rows += 1
                key: bytes = row[0]
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut < 0:
                    yield ListEntry(key.decode(), _info(*row))
                    lower, inclusive = key, False
                    continue
                common = key[: cut + len(delimiter)]
                if common > after:
                    yield ListEntry(common.decode(), None)
                nxt = key_successor(common)
                if nxt is None:
                    return
                lower, inclusive, jumped = nxt, True, True
                break
            if not jumped and rows < 1000:
                return

    # multipart uploads

    async def create_upload(self, bucket: str, info: ObjectInfo) -> Upload:
        """Start a multipart upload."""
        upload = Upload(secrets.token_urlsafe(48), bucket, info.key, time.time(), info)

        def txn(conn: sqlite3.Connection) -> None:
            if not conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone():
                raise errors.NoSuchBucket(BucketName=bucket)
            conn.execute(
                "INSERT INTO uploads(upload_id, bucket, key, initiated, meta) VALUES (?,?,?,?,?)",
                (upload.upload_id, bucket, info.key.encode(), upload.initiated, _meta_json(info)),
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
        info = _info(key.encode(), 0, "", row[0], row[1])
        return Upload(upload_id, bucket, key, row[0], info)

    async def put_part(self, upload: Upload, part: PartInfo, blob: Blob) -> None:
        """Store (or replace) one part of an upload."""
        name = await asyncio.to_thread(self._place, blob, self._parts)

        def txn(conn: sqlite3.Connection) -> str | None:
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

        try:
            old = await self._writer.run(txn)
        except BaseException:
            await self._remove(self._parts, [name])
            raise
        if old:
            await self._remove(self._parts, [old])

    def list_parts(self, upload: Upload, *, after: int, limit: int) -> list[PartInfo]:
        """Parts of an upload in number order, after part number `after`."""
        rows = self._read.execute(
            "SELECT number, size, etag, last_modified, checksums FROM parts"
            " WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
            (upload.upload_id, after, limit),
        ).fetchall()
        return [PartInfo(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    async def complete_upload(
        self, upload: Upload, parts: Sequence[PartInfo], info: ObjectInfo
    ) -> None:
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
        name = await asyncio.to_thread(self._place, blob, self._objects)
        upsert = self._upsert_txn(upload.bucket, info, name)

        def txn(conn: sqlite3.Connection) -> tuple[str | None, list[str]]:
            if not conn.execute(
                "SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)
            ).fetchone():
                raise errors.NoSuchUpload(UploadId=upload.upload_id)
            part_files = [
                r[0]
                for r in conn.execute(
                    "SELECT file FROM parts WHERE upload_id = ?", (upload.upload_id,)
                )
            ]
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
            return upsert(conn), part_files

        try:
            old, part_files = await self._writer.run(txn)
        except BaseException:
            await self._remove(self._objects, [name])
            raise
        if old:
            await self._remove(self._objects, [old])
        await self._remove(self._parts, part_files)

    def _concatenate(self, names: list[str]) -> Blob:
        path = self._tmp / secrets.token_hex(16)
        size = 0
        try:
            with open(path, "xb") as out:
                for name in names:
                    with open(self._parts / name, "rb") as src:
                        length = os.fstat(src.fileno()).st_size
                        copied = 0
                        while copied < length:
                            copied += os.copy_file_range(
                                src.fileno(), out.fileno(), min(length - copied, 1 << 30)
                            )
                        size += length
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Blob(str(path), size)

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

        await self._remove(self._parts, await self._writer.run(txn))


async def iter_file(fh: BinaryIO, offset: int, length: int) -> AsyncIterator[bytes]:
    """Yield `length` bytes of an open file from `offset`, a chunk at a time."""
    fh.seek(offset)
    remaining = length
    while remaining > 0:
        chunk = fh.read(min(_COPY_CHUNK, remaining))
        if not chunk:
            raise errors.InternalError("object data is shorter than its metadata")
        remaining -= len(chunk)
        yield chunk
