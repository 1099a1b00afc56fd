"""Free space of a region's disk: refusing writes before the disk is full, and naming a full one.

A write is refused while less than a reserve is free, so that the disk never fills up under
the metadata: deletes, which need a little room for SQLite's write-ahead log, keep working
and can free space without a restart. A write that still meets a full disk (another process
filled it) fails with the same error, and its temporary file is removed by the caller.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from mrap import errors

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"


def is_disk_full(exc: BaseException) -> bool:
    """Whether an exception says the disk (or the user's quota) is full."""
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL
    return False


def full_error(region: str) -> errors.S3Error:
    """The error a client gets for a write that found the region's disk full."""
    return errors.StorageFull(
        f"The storage of region {region} is full. Delete objects or add space, then retry."
    )


class SpaceGuard:
    """Refuses new data on a disk with less than `reserve` bytes free."""

    def __init__(self, region: str, path: Path, reserve: int) -> None:
        self._region = region
        self._path = path
        self._reserve = reserve

    def check(self) -> None:
        """Raise StorageFull when the disk has less than the reserve free."""
        if self._reserve <= 0:
            return
        stats = os.statvfs(self._path)
        if stats.f_bavail * stats.f_frsize < self._reserve:
            raise full_error(self._region)
