"""Listings as index range scans: ListObjects(V2) over `objects`, ListObjectVersions over
`objects` and `versions` merged.

A page costs the same anywhere in a bucket: each query starts at a key bound of a primary
key, and a run of keys that rolls up into one common prefix is skipped by jumping past the
prefix instead of reading it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from mrap.storage.base import ListEntry, VersionEntry
from mrap.storage.local.schema import OBJECT_COLUMNS, info_from, listing_version

_BATCH = 1000


def key_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _range(lower: bytes, inclusive: bool, end: bytes | None) -> tuple[str, list[Any]]:
    sql = f" AND key {'>=' if inclusive else '>'} ?"
    params: list[Any] = [lower]
    if end is not None:
        sql += " AND key < ?"
        params.append(end)
    return sql, params


def _common_prefix(key: bytes, prefix: bytes, delimiter: bytes) -> bytes | None:
    cut = key.find(delimiter, len(prefix)) if delimiter else -1
    return key[: cut + len(delimiter)] if cut >= 0 else None


def walk_objects(
    conn: sqlite3.Connection, bucket: str, prefix: bytes, delimiter: bytes, after: bytes
) -> Iterator[ListEntry]:
    """Current objects (and common prefixes) after `after` under `prefix`, in key order."""
    end = key_successor(prefix) if prefix else None
    lower, inclusive = (prefix, True) if prefix > after else (after, False)
    while True:
        where, params = _range(lower, inclusive, end)
        cursor = conn.execute(
            "SELECT key, size, etag, last_modified, meta FROM objects WHERE bucket = ?"
            f"{where} ORDER BY key LIMIT {_BATCH}",
            [bucket, *params],
        )
        jumped = False
        rows = 0
        for row in cursor:
            rows += 1
            key: bytes = row[0]
            common = _common_prefix(key, prefix, delimiter)
            if common is None:
                yield ListEntry(key.decode(), info_from(*row))
                lower, inclusive = key, False
                continue
            if common > after:
                yield ListEntry(common.decode(), None)
            nxt = key_successor(common)
            if nxt is None:
                return
            lower, inclusive, jumped = nxt, True, True
            break
        if not jumped and rows < _BATCH:
            return


# Both tables in one ordered stream: SQLite merges the two index-ordered scans.
VERSION_ROWS = (
    f"SELECT {OBJECT_COLUMNS}, 0 AS marker, seq FROM objects WHERE bucket = ?{{where}}"
    f" UNION ALL SELECT {OBJECT_COLUMNS}, marker, seq FROM versions WHERE bucket = ?{{where}}"
    f" ORDER BY key, seq DESC LIMIT {_BATCH}"
)


def _rows_of_key(conn: sqlite3.Connection, bucket: str, key: bytes, below: int) -> list[Any]:
    """Versions of one key older than `seq` `below`, newest first."""
    where = " AND key = ? AND seq < ?"
    return conn.execute(
        VERSION_ROWS.format(where=where), [bucket, key, below, bucket, key, below]
    ).fetchall()


def _rows_after(
    conn: sqlite3.Connection, bucket: str, lower: bytes, inclusive: bool, end: bytes | None
) -> list[Any]:
    where, params = _range(lower, inclusive, end)
    return conn.execute(
        VERSION_ROWS.format(where=where), [bucket, *params, bucket, *params]
    ).fetchall()


def walk_versions(
    conn: sqlite3.Connection,
    bucket: str,
    prefix: bytes,
    delimiter: bytes,
    key_marker: bytes,
    marker_seq: int | None,
) -> Iterator[VersionEntry]:
    """Versions after (`key_marker`, the version of seq `marker_seq`), and common prefixes.

    Without `marker_seq` the listing starts after every version of `key_marker`.
    """
    end = key_successor(prefix) if prefix else None
    lower, inclusive = (prefix, True) if prefix > key_marker else (key_marker, False)
    # (key, seq): the rest of a key whose first versions came before, to list first.
    pending: tuple[bytes, int] | None = None
    if (
        marker_seq is not None
        and key_marker.startswith(prefix)
        and _common_prefix(key_marker, prefix, delimiter) is None
    ):
        pending = (key_marker, marker_seq)
    while True:
        if pending is not None:
            rows = _rows_of_key(conn, bucket, *pending)
            for row in rows:
                yield VersionEntry(row[0].decode(), listing_version(row[:7]), latest=False)
            if len(rows) == _BATCH:
                pending = (pending[0], rows[-1][7])
                continue
            lower, inclusive, pending = pending[0], False, None
        rows = _rows_after(conn, bucket, lower, inclusive, end)
        previous: bytes | None = None
        jumped = False
        for row in rows:
            key: bytes = row[0]
            common = _common_prefix(key, prefix, delimiter)
            if common is not None:
                if common > key_marker:
                    yield VersionEntry(common.decode(), None)
                nxt = key_successor(common)
                if nxt is None:
                    return
                lower, inclusive, jumped = nxt, True, True
                break
            # Each query starts at a key's first (newest) version: it is the latest.
            yield VersionEntry(key.decode(), listing_version(row[:7]), latest=key != previous)
            previous = key
        if jumped:
            continue
        if len(rows) < _BATCH:
            return
        pending = (rows[-1][0], rows[-1][7])
