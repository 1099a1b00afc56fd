"""The tables of the Multi-Region Access Point store, and reading access points from them.

`MrapStore` (in `mraps`) adds the writes: asynchronous operations, routes, account settings.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any

from mrap.db.sqlite import write_transaction
from mrap.store.mrap_records import MAX_PER_ACCOUNT, AccessPoint, MrapRegion

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mrap_aliases (
    alias TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS mraps (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL UNIQUE REFERENCES mrap_aliases(alias),
    created REAL NOT NULL,
    status TEXT NOT NULL,
    public_access_block TEXT NOT NULL,
    established_policy TEXT,
    proposed_policy TEXT,
    routes_busy_until REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS mrap_regions (
    alias TEXT NOT NULL REFERENCES mraps(alias) ON DELETE CASCADE,
    region TEXT NOT NULL,
    bucket TEXT NOT NULL,
    bucket_account_id TEXT NOT NULL,
    dial INTEGER NOT NULL,
    PRIMARY KEY (alias, region)
);
CREATE INDEX IF NOT EXISTS mrap_regions_by_bucket ON mrap_regions(bucket);
CREATE TABLE IF NOT EXISTS mrap_operations (
    token_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    client_token TEXT NOT NULL,
    parameters TEXT NOT NULL,
    alias TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    due REAL NOT NULL,
    claimed_until REAL NOT NULL DEFAULT 0,
    regions TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    request_id TEXT NOT NULL,
    UNIQUE (account_id, client_token)
);
CREATE INDEX IF NOT EXISTS mrap_operations_due ON mrap_operations(status, due);
-- The operations of one access point name, deleted ones' included (their history stays).
CREATE INDEX IF NOT EXISTS mrap_operations_by_name
    ON mrap_operations(account_id, json_extract(parameters, '$.Name'), created);
CREATE TABLE IF NOT EXISTS account_public_access_blocks (
    account_id TEXT PRIMARY KEY,
    flags TEXT NOT NULL
);
"""


MRAP_COLUMNS = (
    "account_id, name, alias, created, status, public_access_block,"
    " established_policy, proposed_policy"
)
OP_COLUMNS = (
    "token_id, account_id, operation, client_token, parameters, alias, status, created, due,"
    " regions, error, request_id"
)


class AccessPointTables:
    """The connection and write lock the store shares with the control store, the schema, and
    the reads the data plane and the control plane make."""

    def __init__(self, conn: sqlite3.Connection, write_lock: threading.Lock) -> None:
        self._conn = conn
        self._write_lock = write_lock
        with self._write_lock:
            self._conn.executescript(_SCHEMA)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._conn, self._write_lock)

    # reading

    def _regions(self, alias: str) -> tuple[MrapRegion, ...]:
        rows = self._conn.execute(
            "SELECT region, bucket, bucket_account_id, dial FROM mrap_regions"
            " WHERE alias = ? ORDER BY region",
            (alias,),
        ).fetchall()
        return tuple(MrapRegion(*r) for r in rows)

    def _point(self, row: tuple[Any, ...] | None) -> AccessPoint | None:
        if row is None:
            return None
        account_id, name, alias, created, status, flags, established, proposed = row
        return AccessPoint(
            account_id, name, alias, created, status, flags, established, proposed,
            self._regions(alias),
        )  # fmt: skip

    def get(self, account_id: str, name: str) -> AccessPoint | None:
        """An account's access point by name."""
        row = self._conn.execute(
            f"SELECT {MRAP_COLUMNS} FROM mraps WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        return self._point(row)

    def by_alias(self, alias: str) -> AccessPoint | None:
        """An access point by its globally unique alias (the data plane's lookup)."""
        row = self._conn.execute(
            f"SELECT {MRAP_COLUMNS} FROM mraps WHERE alias = ?", (alias,)
        ).fetchone()
        return self._point(row)

    def list_points(
        self, account_id: str, *, after: str = "", limit: int = MAX_PER_ACCOUNT
    ) -> list[AccessPoint]:
        """An account's access points in name order, from just after `after`."""
        rows = self._conn.execute(
            f"SELECT {MRAP_COLUMNS} FROM mraps WHERE account_id = ? AND name > ?"
            " ORDER BY name LIMIT ?",
            (account_id, after, limit),
        ).fetchall()
        return [p for p in (self._point(r) for r in rows) if p is not None]

    def bucket_in_use(self, bucket: str) -> bool:
        """Whether any access point (in any state) includes the bucket."""
        row = self._conn.execute(
            "SELECT 1 FROM mrap_regions WHERE bucket = ? LIMIT 1", (bucket,)
        ).fetchone()
        return row is not None
