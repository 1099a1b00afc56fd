"""The embedded region store: object bytes in files, metadata in SQLite.

Durability order for every write: bytes go to a temporary file, which is synced, renamed to
its final name and the name synced; only then is the metadata committed (see `writer`, which
does this for many writes at once). A crash leaves the old object or the new one, never a
mix. Keys never become paths: data files are named by random ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from mrap import errors
from mrap.storage.base import Blob, ListEntry, ListPage, ObjectInfo, PartInfo, Upload
from mrap.storage.local.writer import BatchWriter, Placement, sync_filesystem, write_held
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

T = TypeVar("T")
log = logging.getLogger("mrap.storage")
_COPY_CHUNK = 1 << 20
SMALL_BLOB = 1 << 20
TEMPORARY_PREFIX = ".tmp-"  # bodies up to this size are written by one call off the event loop


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
        self._data = root / "data"
        for shard in range(256):
            (self._data / f"{shard:02x}").mkdir(parents=True, exist_ok=True)
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
        """Tidy the data folder after a crash; return how many files were removed.

        Run at start, before any request. A temporary file whose final name the metadata
        already records lost its rename in the crash: its bytes were synced before the
        commit, so the rename is finished. Other temporary files (writes that were never
        acknowledged) and data files no metadata refers to are deleted.
        """
        known = {
            row[0]
            for table in ("objects", "parts")
            for row in self._read.execute(f"SELECT file FROM {table}")
        }
        removed = renamed = 0
        for shard in os.scandir(self._data):
            for entry in os.scandir(shard.path):
                temporary = entry.name.startswith(TEMPORARY_PREFIX)
                name = f"{shard.name}/{entry.name.removeprefix(TEMPORARY_PREFIX)}"
                final = self._data / name
                if temporary and name in known and not final.exists():
                    os.rename(entry.path, final)
                    renamed += 1
                elif temporary or name not in known:
                    os.unlink(entry.path)
                    removed += 1
        if renamed:
            fd = os.open(self._data, os.O_RDONLY)
            try:
                sync_filesystem(fd)
            finally:
                os.close(fd)
        return removed

    # blobs

    async def write_blob(self, chunks: AsyncIterator[bytes]) -> Blob:
        """Collect a small body in memory, or stream a large one into a temporary file.

        Either way nothing is durable yet: the writer thread syncs it with the other writes
        of its batch.
        """
        path = self._new_temporary()
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

    def _new_temporary(self) -> Path:
        """A temporary name beside the final one, so that placing is a same-folder rename.

        (One shared temporary folder is a hot directory: creates and renames in it
        serialize, and cost twice as much on ext4.)
        """
        name = secrets.token_hex(16)
        return self._data / name[:2] / f"{TEMPORARY_PREFIX}{name}"

    async def _commit(
        self, make_txn: Callable[[str], Callable[[sqlite3.Connection], T]], blob: Blob
    ) -> T:
        """Place a blob under its final name and commit the transaction that records it.

        On failure no file is left behind.
        """
        temporary = Path(blob.path)
        name = f"{temporary.parent.name}/{temporary.name.removeprefix(TEMPORARY_PREFIX)}"
        try:
            if blob.data is not None:
                await asyncio.to_thread(write_held, blob)
            return await self._writer.run(make_txn(name), [Placement(blob, self._data / name)])
        except BaseException:
            await self._remove([name])
            self.discard_blob(blob)
            raise

    def _unlink_all(self, files: Sequence[str]) -> None:
        for name in files:
            (self._data / name).unlink(missing_ok=True)

    async def _remove(self, files: Sequence[str]) -> None:
        """Delete data files no metadata refers to any more (unlink can take a while)."""
        if files:
            await asyncio.to_thread(self._unlink_all, files)

    def _remove_later(self, files: Sequence[str]) -> None:
        """Delete replaced data files without making the request wait for it.

        A crash before the delete leaves a file no metadata names; the sweep removes it.
        """
        future = asyncio.get_running_loop().run_in_executor(None, self._unlink_all, files)
        future.add_done_callback(_log_failure)

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

        await self._remove(await self._writer.run(txn))

    # objects

    async def put_object(self, bucket: str, info: ObjectInfo, blob: Blob) -> None:
        """Make a blob the current object of `info.key`."""
        old = await self._commit(lambda name: self._upsert_txn(bucket, info, name), blob)
        if old:
            self._remove_later([old])

    @staticmethod
    def _upsert_txn(
        bucket: str, info: ObjectInfo, name: str
    ) -> Callable[[sqlite3.Connection], str | None]:
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
                fh = open(self._data / row[5], "rb", buffering=0)  # noqa: SIM115
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
            await self._remove([name])
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

        def make_txn(name: str) -> Callable[[sqlite3.Connection], tuple[str | None, list[str]]]:
            upsert = self._upsert_txn(upload.bucket, info, name)
            return lambda conn: finish(conn, upsert)

        def finish(
            conn: sqlite3.Connection, upsert: Callable[[sqlite3.Connection], str | None]
        ) -> tuple[str | None, list[str]]:
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

        old, part_files = await self._commit(make_txn, blob)
        if old:
            await self._remove([old])
        await self._remove(part_files)

    def _concatenate(self, names: list[str]) -> Blob:
        path = self._new_temporary()
        size = 0
        try:
            with open(path, "xb") as out:
                for name in names:
                    with open(self._data / name, "rb") as src:
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

        await self._remove(await self._writer.run(txn))


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not delete a replaced data file: %s", future.exception())


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
