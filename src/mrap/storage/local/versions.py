"""Metadata transactions of writes and deletes, with versioning.

Each function runs inside the writer's transaction (see `writer`), so what it reads —
the bucket's versioning state, the key's current object for a write condition — cannot
change before it commits. Each returns the data files that no version refers to any more;
the caller deletes them after the commit.

The invariant these keep (see `schema`): a key's latest version is in `objects` when it is
an object, in `versions` when it is a delete marker, and every row of `versions` has a
lower `seq` than the key's row in `objects`.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from mrap import errors
from mrap.storage.base import (
    LOCK_FIELDS,
    NULL_VERSION,
    DeleteResult,
    ObjectInfo,
    Versioning,
    WriteCondition,
)
from mrap.storage.local import object_parts, outbox
from mrap.storage.local.schema import OBJECT_COLUMNS, VERSION_COLUMNS, meta_json, row_info
from mrap.storage.replication_records import Replicate

ENABLED = "Enabled"
SUSPENDED = "Suspended"


def new_version_id() -> str:
    """A random, unguessable, URL-safe version id of 32 characters, like S3's."""
    return secrets.token_urlsafe(24)


@dataclass
class _Current:
    """The `objects` row of a key."""

    version_id: str
    seq: int
    file: str
    etag: str


def bucket_versioning(conn: sqlite3.Connection, bucket: str) -> str:
    """The versioning status of a bucket ("" when never set); NoSuchBucket if absent."""
    row = conn.execute("SELECT versioning FROM buckets WHERE name = ?", (bucket,)).fetchone()
    if row is None:
        raise errors.NoSuchBucket(BucketName=bucket)
    return str(row[0])


def _current(conn: sqlite3.Connection, bucket: str, key: bytes) -> _Current | None:
    row = conn.execute(
        "SELECT version_id, seq, file, etag FROM objects WHERE bucket = ? AND key = ?",
        (bucket, key),
    ).fetchone()
    return _Current(*row) if row else None


def _next_seq(conn: sqlite3.Connection, bucket: str, key: bytes, current: _Current | None) -> int:
    row = conn.execute(
        "SELECT seq FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
        (bucket, key),
    ).fetchone()
    return max(current.seq if current else 0, row[0] if row else 0) + 1


def _retire_current(
    conn: sqlite3.Connection, bucket: str, key: bytes, current: _Current, status: str
) -> list[str]:
    """Make way for a new latest version: keep the current object as a noncurrent version,
    unless it is the null version and versioning is suspended (then it is replaced)."""
    if status == SUSPENDED and current.version_id == NULL_VERSION:
        conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        return [current.file]
    conn.execute(
        "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag, last_modified,"
        " file, meta) SELECT bucket, key, seq, version_id, 0, size, etag, last_modified, file,"
        " meta FROM objects WHERE bucket = ? AND key = ?",
        (bucket, key),
    )
    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
    return []


def _drop_null_version(conn: sqlite3.Connection, bucket: str, key: bytes) -> list[str]:
    """With versioning suspended a new version takes the id null: the old one goes."""
    row = conn.execute(
        "DELETE FROM versions WHERE bucket = ? AND key = ? AND version_id = ? RETURNING file",
        (bucket, key, NULL_VERSION),
    ).fetchone()
    return [row[0]] if row and row[0] else []


def put(
    conn: sqlite3.Connection,
    bucket: str,
    info: ObjectInfo,
    file: str,
    condition: WriteCondition | None,
    replicate: Replicate | None = None,
) -> tuple[str | None, list[str]]:
    """Record a new latest version of `info.key` stored in `file`.

    Returns its version id (None in a bucket that never had versioning) and freed files.
    With `replicate` (and versioning enabled) the version's replication tasks are queued in
    the same transaction.
    """
    status = bucket_versioning(conn, bucket)
    key = info.key.encode()
    current = _current(conn, bucket, key)
    seen = ObjectInfo(info.key, 0, current.etag, 0) if current else None
    if condition is not None and not condition.holds(seen):
        # The caller checked the condition before the body arrived; a write or delete
        # of this key that committed since then won the race.
        raise errors.ConditionalRequestConflict(Key=info.key)
    freed: list[str] = []
    seq, version_id = 0, NULL_VERSION
    if not status:
        if current:
            freed.append(current.file)
    else:
        seq = _next_seq(conn, bucket, key, current)
        if status == ENABLED:
            version_id = new_version_id()
        if current:
            freed += _retire_current(conn, bucket, key, current, status)
        if status == SUSPENDED:
            freed += _drop_null_version(conn, bucket, key)
    replicated = replicate is not None and replicate.destinations and status == ENABLED
    info.replication_status = outbox.PENDING if replicated else ""
    meta = meta_json(info)
    conn.execute(
        "INSERT OR REPLACE INTO objects(bucket, key, size, etag, last_modified, file, meta,"
        " version_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (bucket, key, info.size, info.etag, info.last_modified, file, meta, version_id, seq),
    )
    if replicated:
        assert replicate is not None
        outbox.enqueue(conn, bucket, info.key, version_id, replicate, "object", info.size)
    object_parts.forget(conn, freed)
    return (version_id if status else None), freed


def delete(
    conn: sqlite3.Connection,
    bucket: str,
    key_text: str,
    version_id: str | None,
    replicate: Replicate | None = None,
) -> tuple[DeleteResult, list[str]]:
    """DeleteObject: a delete marker (or removal, unversioned), or a version's removal.

    With `replicate`, a new delete marker (never the removal of a version) is queued for
    replication in the same transaction.
    """
    result, freed = _delete(conn, bucket, key_text, version_id)
    marker = result.version_id
    if (
        replicate
        and version_id is None
        and result.delete_marker
        and marker not in (None, NULL_VERSION)
    ):
        assert marker is not None
        outbox.enqueue(conn, bucket, key_text, marker, replicate, "marker", 0)
    object_parts.forget(conn, freed)
    return result, freed


def _delete(
    conn: sqlite3.Connection, bucket: str, key_text: str, version_id: str | None
) -> tuple[DeleteResult, list[str]]:
    status = bucket_versioning(conn, bucket)
    key = key_text.encode()
    if version_id is not None:
        return _delete_version(conn, bucket, key, version_id, bool(status))
    current = _current(conn, bucket, key)
    if not status:
        conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        return DeleteResult(None), [current.file] if current else []
    seq = _next_seq(conn, bucket, key, current)
    freed = _retire_current(conn, bucket, key, current, status) if current else []
    marker_id = NULL_VERSION
    if status == SUSPENDED:
        freed += _drop_null_version(conn, bucket, key)
    else:
        marker_id = new_version_id()
    conn.execute(
        "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag, last_modified,"
        " file, meta) VALUES (?, ?, ?, ?, 1, 0, '', ?, NULL, '{}')",
        (bucket, key, seq, marker_id, time.time()),
    )
    return DeleteResult(marker_id, delete_marker=True), freed


def _delete_version(
    conn: sqlite3.Connection, bucket: str, key: bytes, version_id: str, versioned: bool
) -> tuple[DeleteResult, list[str]]:
    """Remove one version for good; the next newest one becomes the latest."""
    shown = version_id if versioned else None
    row = conn.execute(
        "DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = ? RETURNING file",
        (bucket, key, version_id),
    ).fetchone()
    if row is not None:
        promote_newest(conn, bucket, key)
        return DeleteResult(shown), [row[0]]
    row = conn.execute(
        "DELETE FROM versions WHERE bucket = ? AND key = ? AND version_id = ?"
        " RETURNING marker, file",
        (bucket, key, version_id),
    ).fetchone()
    if row is None:
        return DeleteResult(shown), []  # S3 answers a delete of a missing version as done
    promote_newest(conn, bucket, key)
    return DeleteResult(shown, delete_marker=bool(row[0])), [row[1]] if row[1] else []


def promote_newest(conn: sqlite3.Connection, bucket: str, key: bytes) -> None:
    """After a removal: if the newest remaining version is an object, make it current."""
    if conn.execute("SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone():
        return
    newest = conn.execute(
        "SELECT seq, marker FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
        (bucket, key),
    ).fetchone()
    if newest is None or newest[1]:
        return
    conn.execute(
        "INSERT INTO objects(bucket, key, size, etag, last_modified, file, meta, version_id, seq)"
        " SELECT bucket, key, size, etag, last_modified, file, meta, version_id, seq"
        " FROM versions WHERE bucket = ? AND key = ? AND seq = ?",
        (bucket, key, newest[0]),
    )
    conn.execute(
        "DELETE FROM versions WHERE bucket = ? AND key = ? AND seq = ?", (bucket, key, newest[0])
    )


# The bucket's versioning status rides along with each lookup: whether the answer names
# versions depends on it, and a GET stays one statement.
_STATUS = "(SELECT versioning FROM buckets WHERE name = ?)"


def find(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None
) -> tuple[ObjectInfo, str | None] | None:
    """A version of a key and its data file (None for a delete marker), or None.

    Without `version_id`: the latest version, which is a delete marker only if the key has
    no current object.
    """
    raw = key.encode()
    latest = version_id is None
    where = "bucket = ? AND key = ?" + ("" if latest else " AND version_id = ?")
    params = (bucket, bucket, raw) if latest else (bucket, bucket, raw, version_id)
    row = conn.execute(
        f"SELECT {OBJECT_COLUMNS}, 0, file, {_STATUS} FROM objects WHERE {where}", params
    ).fetchone()
    if row is None:
        order = " ORDER BY seq DESC LIMIT 1" if latest else ""
        row = conn.execute(
            f"SELECT {VERSION_COLUMNS}, file, {_STATUS} FROM versions WHERE {where}{order}",
            params,
        ).fetchone()
        if row is not None and latest and not row[6]:
            row = None  # not reachable while the invariant holds; never serve it stale
    if row is None:
        return None
    return row_info(row[:7], versioned=bool(row[8])), row[7]


def set_tags(
    conn: sqlite3.Connection,
    bucket: str,
    key: str,
    version_id: str | None,
    tags: dict[str, str],
    replicate: Replicate | None = None,
) -> ObjectInfo | None:
    """Replace the tags of one version in place (tags are not a new version); with
    `replicate`, queue the change for the version's replicas in the same transaction."""
    bucket_versioning(conn, bucket)  # NoSuchBucket
    found = find(conn, bucket, key, version_id)
    if found is None or found[0].delete_marker:
        return found[0] if found else None
    info = found[0]
    info.tags = dict(tags)
    _set_meta_field(conn, bucket, info, "tags", tags or None)
    if replicate and replicate.destinations and info.version_id not in (None, NULL_VERSION):
        assert info.version_id is not None
        if info.replication_status != outbox.REPLICA:
            info.replication_status = outbox.PENDING
            _set_meta_field(conn, bucket, info, "replication_status", outbox.PENDING)
        outbox.enqueue(conn, bucket, key, info.version_id, replicate, "tags", 0)
    return info


def set_acl(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None, acl: str | None
) -> ObjectInfo | None:
    """Replace the ACL of one version in place (an ACL is not a new version)."""
    bucket_versioning(conn, bucket)  # NoSuchBucket
    found = find(conn, bucket, key, version_id)
    if found is None or found[0].delete_marker:
        return found[0] if found else None
    info = found[0]
    info.acl = acl
    _set_meta_field(conn, bucket, info, "acl", acl)
    return info


def set_lock(
    conn: sqlite3.Connection,
    bucket: str,
    key: str,
    version_id: str | None,
    fields: dict[str, str],
) -> ObjectInfo | None:
    """Change Object Lock fields of one version in place (a lock is not a new version)."""
    bucket_versioning(conn, bucket)  # NoSuchBucket
    found = find(conn, bucket, key, version_id)
    if found is None or found[0].delete_marker:
        return found[0] if found else None
    info = found[0]
    for name, value in fields.items():
        if name not in LOCK_FIELDS:
            raise ValueError(f"not an Object Lock field: {name}")
        setattr(info, name, value)
        _set_meta_field(conn, bucket, info, name, value or None)
    return info


def set_restore(
    conn: sqlite3.Connection,
    bucket: str,
    key: str,
    version_id: str | None,
    ready: float,
    expiry: float,
) -> ObjectInfo | None:
    """Record the restored copy of one version in place (a restore is not a new version)."""
    bucket_versioning(conn, bucket)  # NoSuchBucket
    found = find(conn, bucket, key, version_id)
    if found is None or found[0].delete_marker:
        return found[0] if found else None
    info = found[0]
    info.restore_ready, info.restore_expiry = ready, expiry
    _set_meta_field(conn, bucket, info, "restore_ready", ready)
    _set_meta_field(conn, bucket, info, "restore_expiry", expiry)
    return info


def _set_meta_field(
    conn: sqlite3.Connection, bucket: str, info: ObjectInfo, name: str, value: object
) -> None:
    """Set (None: remove) one field of a version's metadata column."""
    where: tuple[Any, ...] = (bucket, info.key.encode(), info.version_id or NULL_VERSION)
    if value is not None:
        change, params = f"json_set(meta, '$.{name}', json(?))", (json.dumps(value), *where)
    else:
        change, params = f"json_remove(meta, '$.{name}')", where
    for table in ("objects", "versions"):
        updated = conn.execute(
            f"UPDATE {table} SET meta = {change} WHERE bucket = ? AND key = ? AND version_id = ?",
            params,
        )
        if updated.rowcount:
            break


def set_versioning(conn: sqlite3.Connection, bucket: str, versioning: Versioning) -> None:
    """Store a bucket's versioning configuration."""
    bucket_versioning(conn, bucket)
    conn.execute(
        "UPDATE buckets SET versioning = ?, mfa_delete = ? WHERE name = ?",
        (versioning.status, versioning.mfa_delete, bucket),
    )
