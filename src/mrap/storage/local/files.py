"""The data files of the embedded region store, and the SQLite handles beside them.

Durability order for every write: bytes go to a temporary file, which is synced, renamed to
its final name and the name synced; only then is the metadata committed (see `writer`, which
does this for many writes at once). A crash leaves the old object or the new one, never a
mix. Keys never become paths: data files are named by random ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

from mrap.db.sqlite import connect
from mrap.storage.base import Blob
from mrap.storage.local import schema
from mrap.storage.local.space import SpaceGuard, full_error, is_disk_full
from mrap.storage.local.writer import BatchWriter, Placement, sync_filesystem, write_held

T = TypeVar("T")
log = logging.getLogger("mrap.storage")
SMALL_BLOB = 1 << 20  # bodies up to this size are written by one call off the event loop
TEMPORARY_PREFIX = ".tmp-"


class LocalFiles:
    """A region kept in a folder: `db.sqlite3`, its writer, and `data/` (256 shards).

    Temporary files sit beside their final names in the shards (see `_new_temporary`).
    """

    def __init__(self, region: str, root: Path, reserve: int = 0) -> None:
        """`reserve`: bytes that must stay free on the disk for new data to be accepted."""
        self.region = region
        self.root = root
        self._data = root / "data"
        for shard in range(256):
            (self._data / f"{shard:02x}").mkdir(parents=True, exist_ok=True)
        self._space = SpaceGuard(region, self._data, reserve)
        db = root / "db.sqlite3"
        schema_conn = connect(db)
        schema.create(schema_conn)
        schema_conn.close()
        self._read = connect(db)
        self._writer = BatchWriter(db, region)

    def close(self) -> None:
        """Stop the writer thread and close connections."""
        self._writer.close()
        self._read.close()

    def healthy(self) -> bool:
        """Whether the region answers: its database reads, its writer runs, its data is there."""
        try:
            self._read.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return self._writer.alive and self._data.is_dir()

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
            for table in ("objects", "versions", "parts")
            for row in self._read.execute(f"SELECT file FROM {table} WHERE file IS NOT NULL")
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
        of its batch. StorageFull when the disk is (nearly) full; nothing is left behind.
        """
        self._space.check()
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
        except BaseException as exc:
            if fh is not None:
                with contextlib.suppress(OSError):  # closing flushes: the disk may be full
                    fh.close()
            path.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise full_error(self.region) from exc
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
        except BaseException as exc:
            await self._remove([name])
            self.discard_blob(blob)
            if is_disk_full(exc):
                raise full_error(self.region) from exc
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
        except BaseException as exc:
            path.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise full_error(self.region) from exc
            raise
        return Blob(str(path), size)


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not delete a replaced data file: %s", future.exception())
