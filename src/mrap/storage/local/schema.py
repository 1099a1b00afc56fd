"""The region database: tables, their upgrade, and rows ↔ ObjectInfo.

Objects live in two tables so that the common reads stay single index lookups:

- `objects` holds, for each key, its latest version when that is an object (not a delete
  marker). GET of the latest version, HEAD and ListObjects(V2) read only this table, so a
  listing page is a range scan of one primary key whatever the versions behind it.
- `versions` holds every other version: noncurrent ones and delete markers, clustered by
  (bucket, key, seq DESC) so that ListObjectVersions walks it in its own order. `seq` grows
  with each version of a key; the row in `objects` always has the highest.

A bucket that never had versioning only ever touches `objects`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mrap.db.sqlite import write_transaction
from mrap.storage.base import LOCK_FIELDS, NULL_VERSION, ObjectInfo
from mrap.storage.local import object_parts, replication_workers

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    versioning TEXT NOT NULL DEFAULT '',
    mfa_delete TEXT NOT NULL DEFAULT '',
    tags TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    file TEXT NOT NULL,
    meta TEXT NOT NULL,
    version_id TEXT NOT NULL DEFAULT 'null',
    seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    seq INTEGER NOT NULL,
    version_id TEXT NOT NULL,
    marker INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    file TEXT,
    meta TEXT NOT NULL,
    PRIMARY KEY (bucket, key, seq DESC)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_id ON versions(bucket, key, version_id);
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
-- Replication tasks, written in the transaction of the write they copy: one row per version
-- and destination bucket, deleted when the copy is done. A worker claims a row by setting
-- `claimed_until`; a claim that outlives a crashed worker expires and the row is retried.
CREATE TABLE IF NOT EXISTS replication_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    version_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    enqueued REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    rule TEXT NOT NULL DEFAULT '',
    claimed_by TEXT NOT NULL DEFAULT ''  -- the worker holding the claim
);
CREATE INDEX IF NOT EXISTS replication_due ON replication_queue(next_try, claimed_until);
CREATE INDEX IF NOT EXISTS replication_by_version
    ON replication_queue(bucket, key, version_id);
-- What replication did per (source bucket, destination bucket, rule ID), kept by every
-- process that copies: counters, and the latencies of the last copies in a ring of slots.
CREATE TABLE IF NOT EXISTS replication_counts (
    bucket TEXT NOT NULL,
    destination TEXT NOT NULL,
    rule TEXT NOT NULL,
    operations INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_latency REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, destination, rule)
) WITHOUT ROWID;
-- Existing-object replication of a bucket in progress: the versions last modified before
-- `cutoff` (when the configuration was put) are queued in key order, a batch per
-- transaction that also moves the cursor, so a restart resumes where it stopped. `config`
-- is the digest of the configuration it was started for: it runs once that is stored.
CREATE TABLE IF NOT EXISTS replication_backfill (
    bucket TEXT PRIMARY KEY,
    cutoff REAL NOT NULL,
    after_key BLOB NOT NULL DEFAULT x'',
    after_version TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replication_latencies (
    bucket TEXT NOT NULL,
    destination TEXT NOT NULL,
    rule TEXT NOT NULL,
    slot INTEGER NOT NULL,
    latency REAL NOT NULL,
    PRIMARY KEY (bucket, destination, rule, slot)
) WITHOUT ROWID;
"""

# Columns added since the first schema; databases made before them gain them at start.
_ADDED_COLUMNS = {
    "buckets": (
        "versioning TEXT NOT NULL DEFAULT ''",
        "mfa_delete TEXT NOT NULL DEFAULT ''",
        "tags TEXT",
    ),
    "objects": ("version_id TEXT NOT NULL DEFAULT 'null'", "seq INTEGER NOT NULL DEFAULT 0"),
    "replication_queue": (
        "rule TEXT NOT NULL DEFAULT ''",
        "claimed_by TEXT NOT NULL DEFAULT ''",
    ),
    "replication_backfill": ("config TEXT NOT NULL DEFAULT ''",),
}

# The columns `row_info` reads, in its order, for both object tables.
OBJECT_COLUMNS = "key, size, etag, last_modified, meta, version_id"
VERSION_COLUMNS = f"{OBJECT_COLUMNS}, marker"


def create(conn: sqlite3.Connection) -> None:
    """Create the tables, and add the columns an older database lacks."""
    conn.executescript(SCHEMA)
    conn.executescript(object_parts.SCHEMA)
    conn.executescript(replication_workers.SCHEMA)
    # Several gateway workers may start at once: look and add in one write transaction.
    with write_transaction(conn):
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def meta_json(info: ObjectInfo) -> str:
    """The metadata column of a version (everything but key, size, ETag and time)."""
    fields: dict[str, Any] = {
        "content_type": info.content_type,
        "headers": info.headers,
        "user_metadata": info.user_metadata,
        "checksums": info.checksums,
        "parts_count": info.parts_count,
    }
    if info.checksum_type:
        fields["checksum_type"] = info.checksum_type
    if info.tags:
        fields["tags"] = info.tags
    if info.acl:
        fields["acl"] = info.acl
    if info.replication_status:
        fields["replication_status"] = info.replication_status
    fields.update((name, getattr(info, name)) for name in LOCK_FIELDS if getattr(info, name))
    # Absent means STANDARD, so versions written before storage classes read as STANDARD.
    if info.storage_class != "STANDARD":
        fields["storage_class"] = info.storage_class
    if info.restore_ready:
        fields["restore_ready"] = info.restore_ready
        fields["restore_expiry"] = info.restore_expiry
    if info.upload_id:
        fields["upload_id"] = info.upload_id
    return json.dumps(fields, separators=(",", ":"))


def info_from(key: bytes, size: int, etag: str, last_modified: float, meta: str) -> ObjectInfo:
    """An ObjectInfo from the columns every object row has."""
    fields: dict[str, Any] = json.loads(meta)
    return ObjectInfo(key.decode(), size, etag, last_modified, **fields)


def row_info(row: sqlite3.Row | tuple[Any, ...], versioned: bool) -> ObjectInfo:
    """An ObjectInfo from OBJECT_COLUMNS (or VERSION_COLUMNS) of a row.

    `versioned`: whether the bucket has (or had) versioning, which is when responses name
    versions; a bucket that never had it shows none, though its objects are version null.
    """
    key, size, etag, last_modified, meta, version_id = row[:6]
    marker = bool(row[6]) if len(row) > 6 else False
    if marker:
        info = ObjectInfo(key.decode(), 0, "", last_modified, delete_marker=True)
    else:
        info = info_from(key, size, etag, last_modified, meta)
    info.version_id = version_id if versioned else None
    return info


def listing_version(row: sqlite3.Row | tuple[Any, ...]) -> ObjectInfo:
    """An ObjectInfo for ListObjectVersions, which names the null version too."""
    info = row_info(row, versioned=True)
    info.version_id = info.version_id or NULL_VERSION
    return info
