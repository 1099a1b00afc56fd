"""The replication queue of a region database, and replica writes.

Queue rows are inserted by the write transactions of `versions` through `outbox` (so a
write and its replication task commit together) and consumed by the workers of
`mrap.replication.worker`.
A replica keeps its source's version id and last-modified time; a key's versions are kept
ordered by (last-modified, version id) so that every region agrees which one is latest.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import replace

from mrap import errors
from mrap.storage.base import ObjectInfo, PartInfo
from mrap.storage.local import object_parts, replication_workers, versions
from mrap.storage.local.outbox import COMPLETED, FAILED, PENDING, REPLICA, enqueue
from mrap.storage.local.schema import meta_json
from mrap.storage.replication_records import (
    ExistingVersion,
    Replicate,
    ReplicationFigures,
    ReplicationTask,
)

# A task that gave up keeps its row (for FAILED accounting) with this far-future next_try.
_GAVE_UP = float("inf")


# A task is held while its claim lasts and its worker is alive (`?2`: the live workers as
# a JSON array); otherwise it is pending, and claimable once due.
_HELD = "(claimed_until > ?1 AND claimed_by IN (SELECT value FROM json_each(?2)))"


def any_due(conn: sqlite3.Connection) -> bool:
    """Whether some task could be claimed now."""
    now = time.time()
    alive = json.dumps(replication_workers.live(conn, now))
    return (
        conn.execute(
            f"SELECT 1 FROM replication_queue WHERE next_try <= ?1 AND NOT {_HELD} LIMIT 1",
            (now, alive),
        ).fetchone()
        is not None
    )


def claim(conn: sqlite3.Connection, limit: int, lease: float, worker: str) -> list[ReplicationTask]:
    """Take up to `limit` due tasks for `worker` for `lease` seconds; no other live worker
    gets them meanwhile (a dead worker's claims are taken over)."""
    now = time.time()
    alive = json.dumps(replication_workers.live(conn, now))
    rows = conn.execute(
        "UPDATE replication_queue SET claimed_until = ?1 + ?3, claimed_by = ?4 WHERE id IN ("
        f" SELECT id FROM replication_queue WHERE next_try <= ?1 AND NOT {_HELD}"
        " ORDER BY id LIMIT ?5)"
        " RETURNING id, bucket, key, version_id, destination, kind, size, enqueued, attempts,"
        " rule",
        (now, alive, lease, worker, limit),
    ).fetchall()
    return sorted(
        (ReplicationTask(r[0], r[1], r[2].decode(), *r[3:]) for r in rows), key=lambda t: t.id
    )


def _set_status(conn: sqlite3.Connection, task: ReplicationTask, status: str) -> None:
    for table in ("objects", "versions"):
        conn.execute(
            f"UPDATE {table} SET meta = json_set(meta, '$.replication_status', ?)"
            " WHERE bucket = ? AND key = ? AND version_id = ? AND meta != '{}'"
            " AND json_extract(meta, '$.replication_status') IS NOT 'REPLICA'",
            (status, task.bucket, task.key.encode(), task.version_id),
        )


def _settle(conn: sqlite3.Connection, task: ReplicationTask) -> None:
    """Once no task of a version is left running: COMPLETED, or FAILED if one gave up."""
    left = conn.execute(
        "SELECT count(*), sum(next_try = ?) FROM replication_queue"
        " WHERE bucket = ? AND key = ? AND version_id = ?",
        (_GAVE_UP, task.bucket, task.key.encode(), task.version_id),
    ).fetchone()
    total, failed = left[0], left[1] or 0
    if failed:
        _set_status(conn, task, FAILED)
    elif not total:
        _set_status(conn, task, COMPLETED)


_LATENCY_SLOTS = 8192  # latencies kept per pair for the percentiles


def _count(conn: sqlite3.Connection, task: ReplicationTask, done: bool, now: float) -> None:
    pair = (task.bucket, task.destination, task.rule)
    conn.execute(
        "INSERT OR IGNORE INTO replication_counts(bucket, destination, rule) VALUES (?, ?, ?)",
        pair,
    )
    if not done:
        conn.execute(
            "UPDATE replication_counts SET failures = failures + 1"
            " WHERE bucket = ? AND destination = ? AND rule = ?",
            pair,
        )
        return
    latency = max(0.0, now - task.enqueued)
    operations = conn.execute(
        "UPDATE replication_counts SET operations = operations + 1, bytes = bytes + ?,"
        " last_latency = ? WHERE bucket = ? AND destination = ? AND rule = ?"
        " RETURNING operations",
        (task.size, latency, *pair),
    ).fetchone()[0]
    conn.execute(
        "INSERT OR REPLACE INTO replication_latencies(bucket, destination, rule, slot, latency)"
        " VALUES (?, ?, ?, ?, ?)",
        (*pair, operations % _LATENCY_SLOTS, latency),
    )


def succeed(conn: sqlite3.Connection, task: ReplicationTask, now: float) -> None:
    """The copy is done: drop the task, count it, and settle the version's status."""
    conn.execute("DELETE FROM replication_queue WHERE id = ?", (task.id,))
    _count(conn, task, True, now)
    _settle(conn, task)


def fail(conn: sqlite3.Connection, task: ReplicationTask, error: str) -> None:
    """The copy can never succeed: keep the task as given up; the version shows FAILED."""
    conn.execute(
        "UPDATE replication_queue SET next_try = ?, claimed_until = 0, last_error = ?,"
        " attempts = attempts + 1 WHERE id = ?",
        (_GAVE_UP, error, task.id),
    )
    _count(conn, task, False, 0.0)
    _settle(conn, task)


def retry(conn: sqlite3.Connection, task: ReplicationTask, at: float, error: str) -> None:
    """The copy failed for now: release the task until `at`."""
    conn.execute(
        "UPDATE replication_queue SET next_try = ?, claimed_until = 0, last_error = ?,"
        " attempts = attempts + 1 WHERE id = ?",
        (at, error, task.id),
    )
    _count(conn, task, False, 0.0)


def defer(conn: sqlite3.Connection, destination: str, until: float) -> None:
    """Hold every waiting task for `destination` until `until` (its region is down); this
    costs no attempt."""
    conn.execute(
        "UPDATE replication_queue SET next_try = ?1, claimed_until = 0"
        " WHERE destination = ?2 AND next_try < ?1",
        (until, destination),
    )


def figures(conn: sqlite3.Connection) -> list[ReplicationFigures]:
    """Replication waiting, being copied and done, per source bucket, destination and rule.

    A task claimed by a worker that died is waiting, not being copied.
    """
    now = time.time()
    alive = json.dumps(replication_workers.live(conn, now))
    found: dict[tuple[str, str, str], ReplicationFigures] = {}
    for row in conn.execute(
        f"SELECT bucket, destination, rule, sum(next_try != ?3 AND NOT {_HELD}),"
        " sum(CASE WHEN next_try != ?3 THEN size ELSE 0 END), sum(next_try = ?3),"
        f" sum(next_try != ?3 AND {_HELD}) FROM replication_queue"
        " GROUP BY bucket, destination, rule",
        (now, alive, _GAVE_UP),
    ):
        found[(row[0], row[1], row[2])] = ReplicationFigures(
            row[0],
            row[1],
            row[2],
            pending_operations=row[3],
            pending_bytes=row[4],
            failed_operations=row[5],
            in_flight=row[6],
        )
    for row in conn.execute(
        "SELECT bucket, destination, rule, operations, bytes, failures, last_latency"
        " FROM replication_counts"
    ):
        group = (row[0], row[1], row[2])
        latencies = tuple(
            r[0]
            for r in conn.execute(
                "SELECT latency FROM replication_latencies"
                " WHERE bucket = ? AND destination = ? AND rule = ? ORDER BY latency",
                group,
            )
        )
        pending = found.get(group, ReplicationFigures(*group))
        found[group] = replace(
            pending,
            operations=row[3],
            bytes=row[4],
            failures=row[5],
            last_latency=row[6],
            latencies=latencies,
        )
    return [found[k] for k in sorted(found)]


_PARKED = -(2**40)  # temporary seqs while a key's versions are renumbered
_INCOMING = -(2**41)


def _reorder(conn: sqlite3.Connection, bucket: str, key: bytes) -> None:
    """Number a key's versions by (last-modified, version id), the newest current.

    Every region applies the same order, so concurrent writes of one key converge on the
    same latest version everywhere.
    """
    # Park the current object among the versions, move every seq out of the way, number
    # them in order, then bring the newest back if it is an object (a delete marker as
    # newest leaves the key without a current object).
    conn.execute(
        "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag, last_modified,"
        " file, meta) SELECT bucket, key, ?, version_id, 0, size, etag, last_modified,"
        " file, meta FROM objects WHERE bucket = ? AND key = ?",
        (_PARKED, bucket, key),
    )
    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
    rows = conn.execute(
        "SELECT seq, last_modified, version_id FROM versions WHERE bucket = ? AND key = ?",
        (bucket, key),
    ).fetchall()
    for index, (seq, _, _) in enumerate(rows):
        conn.execute(
            "UPDATE versions SET seq = ? WHERE bucket = ? AND key = ? AND seq = ?",
            (-1 - index, bucket, key, seq),
        )
    order = sorted((float(r[1]), str(r[2])) for r in rows)
    for seq, (_, version_id) in enumerate(order, start=1):
        conn.execute(
            "UPDATE versions SET seq = ? WHERE bucket = ? AND key = ? AND version_id = ?",
            (seq, bucket, key, version_id),
        )
    versions.promote_newest(conn, bucket, key)


def _has_version(conn: sqlite3.Connection, bucket: str, key: bytes, version_id: str) -> bool:
    return any(
        conn.execute(
            f"SELECT 1 FROM {table} WHERE bucket = ? AND key = ? AND version_id = ?",
            (bucket, key, version_id),
        ).fetchone()
        for table in ("objects", "versions")
    )


def write_replica(
    conn: sqlite3.Connection,
    bucket: str,
    info: ObjectInfo,
    file: str | None,
    parts: Sequence[PartInfo] = (),
) -> list[str]:
    """Record a replica version (`file` None: a delete marker) with the source's id and time,
    and the parts of a multipart source (for GetObjectAttributes and `partNumber` reads).

    Writing a version that is already there changes nothing (a retried copy); the unused
    file is returned to be removed.
    """
    if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone() is None:
        raise errors.NoSuchBucket(BucketName=bucket)
    key = info.key.encode()
    assert info.version_id is not None
    if _has_version(conn, bucket, key, info.version_id):
        return [file] if file else []
    if file is None:
        conn.execute(
            "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag,"
            " last_modified, file, meta) VALUES (?, ?, ?, ?, 1, 0, '', ?, NULL, '{}')",
            (bucket, key, _INCOMING, info.version_id, info.last_modified),
        )
    else:
        info.replication_status = REPLICA
        conn.execute(
            "INSERT INTO versions(bucket, key, seq, version_id, marker, size, etag,"
            " last_modified, file, meta) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            (
                bucket,
                key,
                _INCOMING,
                info.version_id,
                info.size,
                info.etag,
                info.last_modified,
                file,
                meta_json(info),
            ),
        )
        object_parts.record(conn, file, parts)
    _reorder(conn, bucket, key)
    return []


def replica_tags(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str, tags: dict[str, str]
) -> bool:
    """Give a replica version the tags its source now has; False if it is not there yet."""
    value = "json_set(meta, '$.tags', json(?))" if tags else "json_remove(meta, '$.tags')"
    params = ((json.dumps(tags),) if tags else ()) + (bucket, key.encode(), version_id)
    changed = 0
    for table in ("objects", "versions"):
        changed += conn.execute(
            f"UPDATE {table} SET meta = {value} WHERE bucket = ? AND key = ? AND version_id = ?",
            params,
        ).rowcount
    return bool(changed)


# Existing-object replication


def start_backfill(conn: sqlite3.Connection, bucket: str, cutoff: float, config: str) -> None:
    """Begin (or begin again) queueing the bucket's versions older than `cutoff`, once the
    configuration whose digest is `config` is the bucket's."""
    conn.execute(
        "INSERT OR REPLACE INTO replication_backfill(bucket, cutoff, config) VALUES (?, ?, ?)",
        (bucket, cutoff, config),
    )


def end_backfill(conn: sqlite3.Connection, bucket: str) -> None:
    """Stop the bucket's backfill, if one is in progress."""
    conn.execute("DELETE FROM replication_backfill WHERE bucket = ?", (bucket,))


def backfills(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(bucket, configuration digest) of the backfills in progress."""
    return [
        (r[0], r[1])
        for r in conn.execute("SELECT bucket, config FROM replication_backfill ORDER BY bucket")
    ]


# The versions after a backfill's cursor (`?3`, `?4`) that existed before its cutoff (`?2`)
# and never had a replication status (replicas and versions already queued are skipped).
_EXISTING = (
    "SELECT key, version_id, marker, size, meta FROM ("
    " SELECT key, version_id, 0 AS marker, size, last_modified, meta FROM objects"
    " WHERE bucket = ?1 UNION ALL"
    " SELECT key, version_id, marker, size, last_modified, meta FROM versions"
    " WHERE bucket = ?1)"
    " WHERE (key, version_id) > (?3, ?4) AND last_modified < ?2"
    " AND json_extract(meta, '$.replication_status') IS NULL"
)


def _cursor(conn: sqlite3.Connection, bucket: str) -> tuple[float, bytes, str] | None:
    row = conn.execute(
        "SELECT cutoff, after_key, after_version FROM replication_backfill WHERE bucket = ?",
        (bucket,),
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def backfill_remaining(conn: sqlite3.Connection, bucket: str) -> int:
    """How many versions the bucket's backfill has yet to consider (0: none in progress)."""
    cursor = _cursor(conn, bucket)
    if cursor is None:
        return 0
    return int(conn.execute(f"SELECT count(*) FROM ({_EXISTING})", (bucket, *cursor)).fetchone()[0])


def existing_versions(conn: sqlite3.Connection, bucket: str, limit: int) -> list[ExistingVersion]:
    """The next versions after the backfill's cursor that existed before its cutoff and
    never had a replication status, in key order."""
    cursor = _cursor(conn, bucket)
    if cursor is None:
        return []
    rows = conn.execute(
        f"{_EXISTING} ORDER BY key, version_id LIMIT ?5", (bucket, *cursor, limit)
    ).fetchall()
    return [
        ExistingVersion(
            r[0].decode(), r[1], bool(r[2]), r[3], dict(json.loads(r[4]).get("tags") or {})
        )
        for r in rows
    ]


def backfill_batch(
    conn: sqlite3.Connection,
    bucket: str,
    batch: Sequence[tuple[ExistingVersion, Replicate | None]],
) -> None:
    """Queue a batch of existing versions and move the cursor past it; none: done.

    A batch the cursor has already passed (another process queued it first) is dropped, so
    each version is queued once.
    """
    if not batch:
        conn.execute("DELETE FROM replication_backfill WHERE bucket = ?", (bucket,))
        return
    first = batch[0][0]
    ahead = conn.execute(
        "SELECT 1 FROM replication_backfill WHERE bucket = ?"
        " AND (after_key, after_version) < (?, ?)",
        (bucket, first.key.encode(), first.version_id),
    ).fetchone()
    if ahead is None:
        return
    for version, replicate in batch:
        if replicate is None:
            continue
        kind = "marker" if version.marker else "object"
        enqueue(conn, bucket, version.key, version.version_id, replicate, kind, version.size)
        if not version.marker:
            task = ReplicationTask(0, bucket, version.key, version.version_id, "", kind, 0, 0, 0)
            _set_status(conn, task, PENDING)
    last = batch[-1][0]
    conn.execute(
        "UPDATE replication_backfill SET after_key = ?, after_version = ? WHERE bucket = ?",
        (last.key.encode(), last.version_id, bucket),
    )
