"""Group commit: one thread makes queued writes durable, many per disk flush.

A write is a metadata transaction (a function of the SQLite connection) plus, usually, data
files to move into place, already written under temporary names. For a whole batch the
thread:

1. syncs the filesystem once, so every temporary file's bytes are durable;
2. renames each temporary file to its final name;
3. runs the transactions, each in its own savepoint (one failure does not undo the others),
   and commits once (SQLite fsyncs its WAL).

Only then are the callers' futures resolved: an acknowledged write is on disk. The commit
is also the record that a rename was meant to happen: if a crash loses a rename that the
metadata already names, the temporary file (durable since step 1) is still there, and the
region store's sweep at start finishes the rename. Per-file fsyncs would cost several disk
flushes per object; this costs two per batch, and steps 1-2 of a batch run in one thread
while step 3 of the previous batch runs in another.

Several gateway processes may write the same database. They take turns through an
exclusive `flock` on a lock file beside it: the kernel wakes a waiting process the moment
the lock is free, where SQLite's own busy handler would poll with growing sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mrap.db.sqlite import connect, write_transaction
from mrap.storage.base import Blob
from mrap.storage.local.space import full_error, is_disk_full

T = TypeVar("T")
Q = TypeVar("Q")
_MAX_BATCH = 256
_libc = ctypes.CDLL(None, use_errno=True)


def sync_filesystem(fd: int) -> None:
    """Flush every dirty file and name of the filesystem holding `fd` (Linux syncfs)."""
    if _libc.syncfs(fd) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@dataclass(frozen=True)
class Placement:
    """A blob to make durable under its final path before the metadata commits."""

    blob: Blob
    final: Path


@dataclass
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    placements: Sequence[Placement]
    future: Future[Any] = field(default_factory=Future)
    error: BaseException | None = None


class BatchWriter:
    """Two threads owning the writes of one SQLite database and its data files.

    The syncer makes a batch's files durable and renames them while the committer commits
    the batch before it: the two disk flushes of a batch overlap with those of its
    neighbours.
    """

    def __init__(self, path: Path, name: str) -> None:
        self._name = name
        self._conn = connect(path)
        self._lock_fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._incoming: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._placed: queue.SimpleQueue[list[_Job] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._sync_loop, name=f"syncer-{name}", daemon=True),
            threading.Thread(target=self._commit_loop, name=f"committer-{name}", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    async def run(
        self, fn: Callable[[sqlite3.Connection], T], placements: Sequence[Placement] = ()
    ) -> T:
        """Place the blobs (their temporary files written) durably, then run `fn(conn)` in
        a committed transaction. On failure nothing is committed; the caller removes the
        files.
        """
        job = _Job(fn, placements)
        self._incoming.put(job)
        try:
            result: T = await asyncio.wrap_future(job.future)
        except Exception as exc:
            if is_disk_full(exc):
                raise full_error(self._name) from exc
            raise
        return result

    @property
    def alive(self) -> bool:
        """Whether both threads are running (a crashed one means writes never complete)."""
        return all(thread.is_alive() for thread in self._threads)

    def close(self) -> None:
        """Finish queued work and stop the threads."""
        self._incoming.put(None)
        for thread in self._threads:
            thread.join()
        self._conn.close()
        os.close(self._lock_fd)

    def _sync_loop(self) -> None:
        stop = False
        while not stop:
            first = self._incoming.get()
            if first is None:
                break
            batch = [first]
            stop = _drain(self._incoming, batch, lambda job: [job])
            try:
                self._place(batch)
            except Exception as exc:  # the filesystem sync failed: nothing is durable
                for job in batch:
                    job.error = job.error or exc
            self._placed.put(batch)
        self._placed.put(None)

    def _commit_loop(self) -> None:
        stop = False
        while not stop:
            batch = self._placed.get()
            if batch is None:
                return
            # Batches synced while the previous commit ran are committed together.
            stop = _drain(self._placed, batch, lambda more: more)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                self._apply(batch)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _place(self, batch: list[_Job]) -> None:
        placing = [job for job in batch if job.placements]
        if not placing:
            return
        sync_filesystem(self._lock_fd)
        for job in placing:
            if job.error is not None:
                continue
            try:
                for placement in job.placements:
                    os.rename(placement.blob.path, placement.final)
            except Exception as exc:
                job.error = exc

    def _apply(self, batch: list[_Job]) -> None:
        results: list[tuple[_Job, Any]] = []
        conn = self._conn
        try:
            with write_transaction(conn):
                for job in batch:
                    if job.error is not None:
                        continue
                    conn.execute("SAVEPOINT job")
                    try:
                        results.append((job, job.fn(conn)))
                    except Exception as exc:
                        conn.execute("ROLLBACK TO job")
                        job.error = exc
                    conn.execute("RELEASE job")
        except Exception as exc:
            for job in batch:
                _settle(job.future, error=exc)
            return
        for job, value in results:
            _settle(job.future, value)
        for job in batch:
            if job.error is not None:
                _settle(job.future, error=job.error)


def _settle(future: Future[Any], value: Any = None, error: BaseException | None = None) -> None:
    """Report a job's outcome, unless its waiter gave up (a request cancelled while its write
    was queued, a background task stopped at shutdown): the write itself still stands."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def _drain(
    source: queue.SimpleQueue[Q | None], batch: list[_Job], jobs: Callable[[Q], list[_Job]]
) -> bool:
    """Move what is already queued into `batch`; True when the stop marker came."""
    while len(batch) < _MAX_BATCH:
        try:
            item = source.get_nowait()
        except queue.Empty:
            return False
        if item is None:
            return True
        batch.extend(jobs(item))
    return False


def write_held(blob: Blob) -> None:
    """Write a blob kept in memory to its temporary file (the writer syncs it)."""
    if blob.data is None:
        return
    fd = os.open(blob.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(blob.data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
