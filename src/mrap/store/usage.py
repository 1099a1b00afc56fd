"""What requesters owe: requests and bytes charged to an account, per bucket (Requester Pays).

The counts live in the control database. Recording is on the request path, so it must not
cost a durable SQLite commit per request: `UsageRecorder` adds into a dictionary in memory,
and a background thread moves the sums into the table about once a second (and once more
when the gateway stops). Several worker processes add into the same rows (`+=` upserts).

What a crash can lose: a `kill -9` (or power loss) drops the counts recorded since the last
flush, at most about the last `interval` (one second) of charged requests of each killed
process. A clean stop (SIGINT, SIGTERM) loses nothing. A flush that fails (the database busy
longer than its timeout) keeps its counts in memory for the next one.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from mrap.db.sqlite import write_transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requester_usage (
    account_id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    bytes_in INTEGER NOT NULL DEFAULT 0,
    bytes_out INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, bucket)
);
"""

FLUSH_INTERVAL = 1.0
"""Seconds between flushes of the in-memory counts."""

log = logging.getLogger("mrap.error")

# (requests, bytes in, bytes out) keyed by (requester account, bucket).
Counts = dict[tuple[str, str], tuple[int, int, int]]


@dataclass(frozen=True)
class Usage:
    """What one account's requests to one bucket amount to."""

    account_id: str
    bucket: str
    requests: int
    bytes_in: int  # request bodies
    bytes_out: int  # response bodies


class UsageStore:
    """The usage table in the control database (connection and lock shared with it)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock
        with lock:
            conn.executescript(_SCHEMA)

    def add(self, counts: Mapping[tuple[str, str], tuple[int, int, int]]) -> None:
        """Add the counts to the stored sums, all in one transaction."""
        if not counts:
            return
        rows = [(a, b, r, i, o) for (a, b), (r, i, o) in counts.items()]
        with write_transaction(self._conn, self._lock) as conn:
            conn.executemany(
                "INSERT INTO requester_usage(account_id, bucket, requests, bytes_in,"
                " bytes_out) VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, bucket) DO UPDATE"
                " SET requests = requests + excluded.requests,"
                " bytes_in = bytes_in + excluded.bytes_in,"
                " bytes_out = bytes_out + excluded.bytes_out",
                rows,
            )

    def totals(self, account_id: str | None = None) -> list[Usage]:
        """Every account's usage (or one account's), by account and bucket."""
        sql = "SELECT account_id, bucket, requests, bytes_in, bytes_out FROM requester_usage"
        params: tuple[str, ...] = ()
        if account_id is not None:
            sql += " WHERE account_id = ?"
            params = (account_id,)
        rows = self._conn.execute(sql + " ORDER BY account_id, bucket", params).fetchall()
        return [Usage(*row) for row in rows]


class UsageRecorder:
    """Counts charged requests in memory and flushes them to a `UsageStore` in batches."""

    def __init__(self, store: UsageStore, interval: float = FLUSH_INTERVAL) -> None:
        self._store = store
        self._interval = interval
        self._pending: Counts = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usage-flush", daemon=True)
        self._thread.start()

    def record(self, account_id: str, bucket: str, bytes_in: int, bytes_out: int) -> None:
        """Count one request charged to `account_id` (cheap: no I/O)."""
        key = (account_id, bucket)
        with self._lock:
            requests, sent, received = self._pending.get(key, (0, 0, 0))
            self._pending[key] = (requests + 1, sent + bytes_in, received + bytes_out)

    def flush(self) -> None:
        """Move the counts recorded so far into the store."""
        with self._lock:
            batch, self._pending = self._pending, {}
        try:
            self._store.add(batch)
        except Exception:
            with self._lock:  # keep them for the next flush
                for key, (r, i, o) in batch.items():
                    r0, i0, o0 = self._pending.get(key, (0, 0, 0))
                    self._pending[key] = (r0 + r, i0 + i, o0 + o)
            raise

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:
                log.exception("usage flush failed; retrying")

    def close(self) -> None:
        """Stop the flushing thread and flush what is left."""
        self._stop.set()
        self._thread.join()
        self.flush()
