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
import time
from collections.abc import Callable
from typing import Any

from mrap import errors
from mrap.store.mrap_records import (
    CREATE,
    DELETE,
    FAILED,
    IN_PROGRESS,
    MAX_PER_ACCOUNT,
    PUT_POLICY,
    SUCCEEDED,
    AccessPoint,
    AsyncOperation,
    MrapRegion,
    new_alias,
)
from mrap.store.mrap_tables import OP_COLUMNS, AccessPointTables

_LEASE_SECONDS = 30.0  # a claimed operation whose runner died is taken over after this


class MrapStore(AccessPointTables):
    """Repository of access points and their operations over the control database."""

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
            f"SELECT {OP_COLUMNS} FROM mrap_operations WHERE token_id = ?", (token_id,)
        ).fetchone()
        return self._operation(row)

    def operations_of(self, account_id: str, name: str) -> list[AsyncOperation]:
        """Every operation whose request names this access point in the account, newest
        first: those of earlier access points of the same name too."""
        rows = self._conn.execute(
            f"SELECT {OP_COLUMNS} FROM mrap_operations"
            " WHERE account_id = ? AND json_extract(parameters, '$.Name') = ?"
            " ORDER BY created DESC, rowid DESC",
            (account_id, name),
        ).fetchall()
        return [op for op in (self._operation(r) for r in rows) if op is not None]

    # starting operations

    def _idempotent(
        self, conn: sqlite3.Connection, account_id: str, operation: str, client_token: str,
        parameters: dict[str, Any],
    ) -> AsyncOperation | None:  # fmt: skip
        """The operation a retried request already started, or None for a new token."""
        row = conn.execute(
            f"SELECT {OP_COLUMNS} FROM mrap_operations WHERE account_id = ? AND client_token = ?",
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
            f"INSERT INTO mrap_operations({OP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                f"SELECT {OP_COLUMNS} FROM mrap_operations"
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
