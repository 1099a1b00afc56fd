"""Multi-Region Access Points, their routes and policies, the asynchronous operations on them,
and the account-level Block Public Access settings.

The tables live in the control database next to accounts and buckets. Every change that
checks and then writes runs in one `BEGIN IMMEDIATE` transaction, so gateway processes that
share the file cannot interleave (two creates of one name, two runners claiming one operation).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mrap import errors

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
CREATE TABLE IF NOT EXISTS account_public_access_blocks (
    account_id TEXT PRIMARY KEY,
    flags TEXT NOT NULL
);
"""

CREATE = "CreateMultiRegionAccessPoint"
DELETE = "DeleteMultiRegionAccessPoint"
PUT_POLICY = "PutMultiRegionAccessPointPolicy"
TOKEN_SEGMENTS = {CREATE: "create", DELETE: "delete", PUT_POLICY: "put-policy"}
"""The operation segment of a request token ARN, as in AWS's examples."""

IN_PROGRESS = "INPROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REGION_COMPLETED = "COMPLETED"

MAX_PER_ACCOUNT = 100
_ALIAS_ALPHABET = string.ascii_lowercase + string.digits
_LEASE_SECONDS = 30.0  # a claimed operation whose runner died is taken over after this


@dataclass(frozen=True)
class MrapRegion:
    """One bucket of an access point: its region, owner and traffic dial (0 or 100)."""

    region: str
    bucket: str
    bucket_account_id: str
    dial: int


@dataclass(frozen=True)
class AccessPoint:
    """A Multi-Region Access Point as stored."""

    account_id: str
    name: str
    alias: str
    created: float
    status: str
    # Block Public Access: four "0"/"1" flags (BlockPublicAcls, IgnorePublicAcls,
    # BlockPublicPolicy, RestrictPublicBuckets), fixed at creation.
    public_access_block: str
    established_policy: str | None
    proposed_policy: str | None
    regions: tuple[MrapRegion, ...]

    @property
    def arn(self) -> str:
        """`arn:aws:s3::{account}:accesspoint/{alias}` (global: empty region)."""
        return mrap_arn(self.account_id, self.alias)


@dataclass(frozen=True)
class AsyncOperation:
    """A Create, Delete or PutPolicy request and how far it got."""

    token_id: str
    account_id: str
    operation: str
    client_token: str
    parameters: dict[str, Any]
    alias: str
    status: str
    created: float
    due: float
    regions: list[dict[str, str]]
    error: dict[str, str] | None
    request_id: str

    @property
    def token_arn(self) -> str:
        """The request token ARN clients pass to DescribeMultiRegionAccessPointOperation."""
        segment = TOKEN_SEGMENTS[self.operation]
        return (
            f"arn:aws:s3:us-west-2:{self.account_id}:async-request/mrap/{segment}/{self.token_id}"
        )


def mrap_arn(account_id: str, alias: str) -> str:
    """The ARN of a Multi-Region Access Point."""
    return f"arn:aws:s3::{account_id}:accesspoint/{alias}"


def new_alias() -> str:
    """A random alias shaped like AWS's: a letter, twelve letters or digits, `.mrap`."""
    head = secrets.choice(string.ascii_lowercase)
    return head + "".join(secrets.choice(_ALIAS_ALPHABET) for _ in range(12)) + ".mrap"


_MRAP_COLUMNS = (
    "account_id, name, alias, created, status, public_access_block,"
    " established_policy, proposed_policy"
)
_OP_COLUMNS = (
    "token_id, account_id, operation, client_token, parameters, alias, status, created, due,"
    " regions, error, request_id"
)


class MrapStore:
    """Repository of access points and their operations over the control database."""

    def __init__(self, conn: sqlite3.Connection, write_lock: threading.Lock) -> None:
        self._conn = conn
        self._write_lock = write_lock
        with self._write_lock:
            self._conn.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

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
            f"SELECT {_MRAP_COLUMNS} FROM mraps WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        return self._point(row)

    def by_alias(self, alias: str) -> AccessPoint | None:
        """An access point by its globally unique alias (the data plane's lookup)."""
        row = self._conn.execute(
            f"SELECT {_MRAP_COLUMNS} FROM mraps WHERE alias = ?", (alias,)
        ).fetchone()
        return self._point(row)

    def list_points(
        self, account_id: str, *, after: str = "", limit: int = MAX_PER_ACCOUNT
    ) -> list[AccessPoint]:
        """An account's access points in name order, from just after `after`."""
        rows = self._conn.execute(
            f"SELECT {_MRAP_COLUMNS} FROM mraps WHERE account_id = ? AND name > ?"
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

    def _operation(self, row: tuple[Any, ...] | None) -> AsyncOperation | None:
        if row is None:
            return None
        values = list(row)
        values[4] = json.loads(values[4])
        values[9] = json.loads(values[9])
        values[10] = json.loads(values[10]) if values[10] else None
        return AsyncOperation(*values)

    def get_operation(self, token_id: str) -> AsyncOperation | None:
        """An asynchronous operation by the id part of its token."""
        row = self._conn.execute(
            f"SELECT {_OP_COLUMNS} FROM mrap_operations WHERE token_id = ?", (token_id,)
        ).fetchone()
        return self._operation(row)

    # starting operations

    def _idempotent(
        self, conn: sqlite3.Connection, account_id: str, operation: str, client_token: str,
        parameters: dict[str, Any],
    ) -> AsyncOperation | None:  # fmt: skip
        """The operation a retried request already started, or None for a new token."""
        row = conn.execute(
            f"SELECT {_OP_COLUMNS} FROM mrap_operations WHERE account_id = ? AND client_token = ?",
            (account_id, client_token),
        ).fetchone()
        previous = self._operation(row)
        if previous is None:
            return None
        if previous.operation != operation or previous.parameters != parameters:
            raise errors.ClientTokenConflict()
        return previous

    def _insert_operation(
        self, conn: sqlite3.Connection, account_id: str, operation: str, client_token: str,
        parameters: dict[str, Any], alias: str, due: float, request_id: str,
        regions: list[dict[str, str]],
    ) -> AsyncOperation:  # fmt: skip
        token_id = secrets.token_hex(16)
        now = time.time()
        conn.execute(
            f"INSERT INTO mrap_operations({_OP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (token_id, account_id, operation, client_token, json.dumps(parameters), alias,
             IN_PROGRESS, now, due, json.dumps(regions), None, request_id),
        )  # fmt: skip
        return AsyncOperation(
            token_id, account_id, operation, client_token, parameters, alias, IN_PROGRESS,
            now, due, regions, None, request_id,
        )  # fmt: skip

    def start_create(
        self,
        account_id: str,
        client_token: str,
        parameters: dict[str, Any],
        regions: list[MrapRegion],
        public_access_block: str,
        due: float,
        request_id: str,
    ) -> AsyncOperation:
        """Record a new access point (CREATING) and its create operation, atomically.

        A retry with the same client token and parameters returns the first operation.
        """
        name = parameters["Name"]
        with self._transaction() as conn:
            previous = self._idempotent(conn, account_id, CREATE, client_token, parameters)
            if previous is not None:
                return previous
            taken = conn.execute(
                "SELECT alias, status FROM mraps WHERE account_id = ? AND name = ?",
                (account_id, name),
            ).fetchone()
            if taken is not None and taken[1] != "PARTIALLY_CREATED":
                raise errors.InvalidRequest(
                    f"A Multi-Region Access Point named {name} already exists in this account."
                )
            if taken is not None:
                # Retrying a partly failed create: same access point, the regions as now asked.
                alias = taken[0]
                conn.execute(
                    "UPDATE mraps SET status = 'CREATING', public_access_block = ? WHERE alias = ?",
                    (public_access_block, alias),
                )
                conn.execute("DELETE FROM mrap_regions WHERE alias = ?", (alias,))
            else:
                (count,) = conn.execute(
                    "SELECT count(*) FROM mraps WHERE account_id = ?", (account_id,)
                ).fetchone()
                if count >= MAX_PER_ACCOUNT:
                    raise errors.InvalidRequest(
                        f"An account can have at most {MAX_PER_ACCOUNT} Multi-Region Access Points."
                    )
                alias = self._claim_alias(conn)
                conn.execute(
                    "INSERT INTO mraps(account_id, name, alias, created, status,"
                    " public_access_block) VALUES (?, ?, ?, ?, 'CREATING', ?)",
                    (account_id, name, alias, time.time(), public_access_block),
                )
            conn.executemany(
                "INSERT INTO mrap_regions(alias, region, bucket, bucket_account_id, dial)"
                " VALUES (?, ?, ?, ?, ?)",
                [(alias, r.region, r.bucket, r.bucket_account_id, r.dial) for r in regions],
            )
            pending = [{"Name": r.region, "RequestStatus": IN_PROGRESS} for r in regions]
            return self._insert_operation(
                conn, account_id, CREATE, client_token, parameters, alias, due, request_id,
                pending,
            )  # fmt: skip

    def _claim_alias(self, conn: sqlite3.Connection) -> str:
        # Aliases are never reused: every alias ever issued stays in mrap_aliases.
        while True:
            alias = new_alias()
            try:
                conn.execute("INSERT INTO mrap_aliases(alias) VALUES (?)", (alias,))
            except sqlite3.IntegrityError:
                continue
            return alias

    def _existing(self, conn: sqlite3.Connection, account_id: str, name: str) -> tuple[str, str]:
        row = conn.execute(
            "SELECT alias, status FROM mraps WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        if row is None:
            raise errors.NoSuchMultiRegionAccessPoint()
        return row[0], row[1]

    def start_delete(
        self, account_id: str, client_token: str, name: str, due: float, request_id: str
    ) -> AsyncOperation:
        """Mark an access point DELETING and record the delete operation."""
        parameters = {"Name": name}
        with self._transaction() as conn:
            previous = self._idempotent(conn, account_id, DELETE, client_token, parameters)
            if previous is not None:
                return previous
            alias, _ = self._existing(conn, account_id, name)
            conn.execute("UPDATE mraps SET status = 'DELETING' WHERE alias = ?", (alias,))
            pending = [
                {"Name": r.region, "RequestStatus": IN_PROGRESS} for r in self._regions(alias)
            ]
            return self._insert_operation(
                conn, account_id, DELETE, client_token, parameters, alias, due, request_id,
                pending,
            )  # fmt: skip

    def start_put_policy(
        self,
        account_id: str,
        client_token: str,
        name: str,
        policy: str,
        check: Callable[[AccessPoint], None],
        due: float,
        request_id: str,
    ) -> AsyncOperation:
        """Propose a policy (after `check` accepts it for the access point) and record the
        operation that will establish it."""
        parameters = {"Name": name, "Policy": policy}
        with self._transaction() as conn:
            previous = self._idempotent(conn, account_id, PUT_POLICY, client_token, parameters)
            if previous is not None:
                return previous
            point = self.get(account_id, name)
            if point is None:
                raise errors.NoSuchMultiRegionAccessPoint()
            check(point)
            conn.execute(
                "UPDATE mraps SET proposed_policy = ? WHERE alias = ?", (policy, point.alias)
            )
            pending = [{"Name": r.region, "RequestStatus": IN_PROGRESS} for r in point.regions]
            return self._insert_operation(
                conn, account_id, PUT_POLICY, client_token, parameters, point.alias, due,
                request_id, pending,
            )  # fmt: skip

    # running operations

    def next_due(self) -> float | None:
        """When the earliest unfinished operation becomes due (None: nothing to do)."""
        row = self._conn.execute(
            "SELECT min(max(due, claimed_until)) FROM mrap_operations WHERE status = ?",
            (IN_PROGRESS,),
        ).fetchone()
        return row[0] if row and row[0] is not None else None

    def claim_due(self, now: float) -> AsyncOperation | None:
        """Take one due operation for this runner; no other runner gets it while leased."""
        with self._transaction() as conn:
            row = conn.execute(
                f"SELECT {_OP_COLUMNS} FROM mrap_operations"
                " WHERE status = ? AND due <= ? AND claimed_until <= ? ORDER BY due LIMIT 1",
                (IN_PROGRESS, now, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE mrap_operations SET claimed_until = ? WHERE token_id = ?",
                (now + _LEASE_SECONDS, row[0]),
            )
        return self._operation(row)

    def _finish(
        self,
        op: AsyncOperation,
        regions: list[dict[str, str]],
        error: dict[str, str] | None,
        effect: tuple[str, tuple[Any, ...]] | None,
    ) -> None:
        """Apply an operation's effect (one statement) and record its outcome, atomically."""
        status = FAILED if error is not None else SUCCEEDED
        with self._transaction() as conn:
            if effect is not None:
                conn.execute(*effect)
            conn.execute(
                "UPDATE mrap_operations SET status = ?, regions = ?, error = ? WHERE token_id = ?",
                (status, json.dumps(regions), json.dumps(error) if error else None, op.token_id),
            )

    def finish_create(
        self, op: AsyncOperation, regions: list[dict[str, str]], error: dict[str, str] | None
    ) -> None:
        """READY, or PARTIALLY_CREATED when a region failed (unless a delete took over)."""
        status = "PARTIALLY_CREATED" if error is not None else "READY"
        effect = (
            "UPDATE mraps SET status = ? WHERE alias = ? AND status = 'CREATING'",
            (status, op.alias),
        )
        self._finish(op, regions, error, effect)

    def finish_delete(
        self, op: AsyncOperation, regions: list[dict[str, str]], error: dict[str, str] | None
    ) -> None:
        """Remove the access point (its alias stays reserved forever), or mark it
        PARTIALLY_DELETED when a region failed."""
        effect: tuple[str, tuple[Any, ...]] = ("DELETE FROM mraps WHERE alias = ?", (op.alias,))
        if error is not None:
            effect = (
                "UPDATE mraps SET status = 'PARTIALLY_DELETED' WHERE alias = ?",
                (op.alias,),
            )
        self._finish(op, regions, error, effect)

    def finish_put_policy(
        self, op: AsyncOperation, regions: list[dict[str, str]], error: dict[str, str] | None
    ) -> None:
        """Establish the policy the operation proposed."""
        sql = "UPDATE mraps SET established_policy = ? WHERE alias = ?"
        effect = (sql, (op.parameters["Policy"], op.alias)) if error is None else None
        self._finish(op, regions, error, effect)

    # routes

    def submit_routes(self, alias: str, dials: dict[str, int], hold: float) -> None:
        """Apply new dials (region -> 0/100) and keep further submits out for `hold` seconds.

        OperationAborted while another submit for the access point is still in progress;
        InvalidRequest if no region would stay active. Regions left out keep their dials.
        """
        now = time.time()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT routes_busy_until FROM mraps WHERE alias = ?", (alias,)
            ).fetchone()
            if row is None:
                raise errors.NoSuchMultiRegionAccessPoint()
            if row[0] > now:
                raise errors.OperationAborted()
            current = {r.region: r.dial for r in self._regions(alias)}
            current.update(dials)
            if not any(current.values()):
                raise errors.InvalidRequest(
                    "At least one Region must be active in the route configuration."
                )
            conn.executemany(
                "UPDATE mrap_regions SET dial = ? WHERE alias = ? AND region = ?",
                [(dial, alias, region) for region, dial in dials.items()],
            )
            conn.execute(
                "UPDATE mraps SET routes_busy_until = ? WHERE alias = ?", (now + hold, alias)
            )

    def release_routes(self, alias: str) -> None:
        """End a route submission's hold."""
        with self._write_lock:
            self._conn.execute("UPDATE mraps SET routes_busy_until = 0 WHERE alias = ?", (alias,))

    # account-level Block Public Access

    def account_public_access_block(self, account_id: str) -> str | None:
        """An account's four Block Public Access flags ("0"/"1"), or None when not configured."""
        row = self._conn.execute(
            "SELECT flags FROM account_public_access_blocks WHERE account_id = ?", (account_id,)
        ).fetchone()
        return row[0] if row else None

    def set_account_public_access_block(self, account_id: str, flags: str | None) -> None:
        """Store (or with None remove) an account's Block Public Access flags."""
        with self._write_lock:
            if flags is None:
                self._conn.execute(
                    "DELETE FROM account_public_access_blocks WHERE account_id = ?", (account_id,)
                )
            else:
                self._conn.execute(
                    "INSERT INTO account_public_access_blocks(account_id, flags) VALUES (?, ?)"
                    " ON CONFLICT(account_id) DO UPDATE SET flags = excluded.flags",
                    (account_id, flags),
                )
