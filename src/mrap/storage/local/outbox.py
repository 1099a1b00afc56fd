"""The write side of a region's replication queue: a write transaction queues its tasks here,
so that the write and its replication tasks commit together; and the statuses a version shows.
"""

from __future__ import annotations

import sqlite3
import time

from mrap.storage.replication_records import Replicate

PENDING = "PENDING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
REPLICA = "REPLICA"


def enqueue(
    conn: sqlite3.Connection,
    bucket: str,
    key: str,
    version_id: str,
    replicate: Replicate,
    kind: str,
    size: int,
) -> None:
    """Queue one task per destination for a version just written in this transaction."""
    now = time.time()
    conn.executemany(
        "INSERT INTO replication_queue(bucket, key, version_id, destination, kind, size,"
        " enqueued, rule) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (bucket, key.encode(), version_id, destination, kind, size, now, rule)
            for destination, rule in replicate.targets()
        ],
    )
