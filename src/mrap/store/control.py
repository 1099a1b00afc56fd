"""The global control store: accounts, access keys and the bucket namespace.

Buckets are global: one name lives in exactly one region, and this registry says which.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from pathlib import Path

from mrap import errors
from mrap.db.sqlite import connect, write_transaction
from mrap.store.control_records import (
    DEFAULT_OBJECT_OWNERSHIP,
    DEFAULT_PUBLIC_ACCESS_BLOCK,
    AccessKey,
    Account,
    AccountExists,
    BucketRecord,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    canonical_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    principal_arn TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'Active',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    region TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS buckets_by_account ON buckets(account_id, name);
CREATE TABLE IF NOT EXISTS session_keys (
    access_key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    principal_arn TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    expires REAL NOT NULL,
    source_identity TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS session_keys_by_expiry ON session_keys(expires);
"""

# Columns added after the first release: (table, column, declaration). Data directories made
# before them get the columns added on open; their buckets read as having none of the settings.
_ADDED_COLUMNS = (
    ("buckets", "policy", "TEXT"),
    ("buckets", "public_access_block", "TEXT"),
    ("buckets", "object_ownership", "TEXT"),
    ("buckets", "acl", "TEXT"),
    ("buckets", "request_payer", "TEXT"),
    ("buckets", "replication", "TEXT"),
    ("buckets", "object_lock", "TEXT"),
)

_BUCKET_COLUMNS = (
    "name, account_id, region, created, policy, public_access_block, object_ownership, acl,"
    " request_payer, replication, object_lock"
)


class ControlStore:
    """Repository over the control database; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path)
        self._conn.executescript(_SCHEMA)
        self._write_lock = threading.Lock()
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns that data directories from older versions lack."""
        with self._write_lock:
            for table, column, decl in _ADDED_COLUMNS:
                present = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    try:
                        self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
                    except sqlite3.OperationalError as exc:  # another process added it first
                        if "duplicate column" not in str(exc):
                            raise

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def shared_connection(self) -> tuple[sqlite3.Connection, threading.Lock]:
        """The connection and its write lock, for repositories whose tables share this file."""
        return self._conn, self._write_lock

    # accounts and keys

    def ensure_account(self, account_id: str) -> Account:
        """Return the account, creating it with a fresh canonical id if needed."""
        with self._write_lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO accounts(id, canonical_id, created) VALUES (?, ?, ?)",
                (account_id, secrets.token_hex(32), time.time()),
            )
        account = self.get_account(account_id)
        assert account is not None
        return account

    def create_account(
        self, account_id: str, root_arn: str, access_key_id: str, secret: str
    ) -> AccessKey:
        """Create a new account and its root user's access key in one transaction.

        Raises AccountExists when the id is taken and ValueError when the access key id is;
        either way nothing is stored. Safe against other processes sharing the database.
        """
        # The existence check and the inserts cannot interleave with another process
        # creating the same account.
        with write_transaction(self._conn, self._write_lock) as conn:
            if self.get_account(account_id) is not None:
                raise AccountExists(f"account {account_id} already exists")
            now = time.time()
            conn.execute(
                "INSERT INTO accounts(id, canonical_id, created) VALUES (?, ?, ?)",
                (account_id, secrets.token_hex(32), now),
            )
            try:
                conn.execute(
                    "INSERT INTO access_keys(access_key_id, secret, account_id,"
                    " principal_arn, created) VALUES (?, ?, ?, ?, ?)",
                    (access_key_id, secret, account_id, root_arn, now),
                )
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"access key {access_key_id} already exists") from exc
        return AccessKey(access_key_id, secret, account_id, root_arn, True)

    def list_accounts(self) -> list[Account]:
        """Every account, in id order."""
        rows = self._conn.execute("SELECT id, canonical_id FROM accounts ORDER BY id").fetchall()
        return [Account(*row) for row in rows]

    def get_account(self, account_id: str) -> Account | None:
        """Look an account up by id."""
        row = self._conn.execute(
            "SELECT id, canonical_id FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return Account(*row) if row else None

    def add_access_key(
        self, account_id: str, principal_arn: str, access_key_id: str, secret: str
    ) -> AccessKey:
        """Store a new active access key for a principal of an account."""
        with self._write_lock:
            try:
                self._conn.execute(
                    "INSERT INTO access_keys(access_key_id, secret, account_id, principal_arn,"
                    " created) VALUES (?, ?, ?, ?, ?)",
                    (access_key_id, secret, account_id, principal_arn, time.time()),
                )
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"access key {access_key_id} already exists") from exc
        return AccessKey(access_key_id, secret, account_id, principal_arn, True)

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        """Look a credential up by its access key id: long-term keys and STS sessions alike."""
        row = self._conn.execute(
            "SELECT access_key_id, secret, account_id, principal_arn, status = 'Active',"
            " NULL, NULL, NULL FROM access_keys WHERE access_key_id = ?1"
            " UNION ALL SELECT access_key_id, secret, account_id, principal_arn, 1,"
            " token_sha256, expires, source_identity FROM session_keys WHERE access_key_id = ?1",
            (access_key_id,),
        ).fetchone()
        return AccessKey(row[0], row[1], row[2], row[3], bool(row[4]), *row[5:]) if row else None

    def add_session_key(self, key: AccessKey, purge_before: float) -> None:
        """Store STS session credentials (`key` with its token hash and expiry).

        Sessions that expired before `purge_before` are deleted in the same transaction, so
        the table holds only live sessions and recently expired ones (which still answer
        `ExpiredToken` rather than an unknown key).
        """
        if key.session_token_sha256 is None or key.expires is None:
            raise ValueError("a session key needs a token hash and an expiry")
        with write_transaction(self._conn, self._write_lock) as conn:
            conn.execute("DELETE FROM session_keys WHERE expires < ?", (purge_before,))
            conn.execute(
                "INSERT INTO session_keys(access_key_id, secret, account_id, principal_arn,"
                " token_sha256, expires, source_identity, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.access_key_id,
                    key.secret,
                    key.account_id,
                    key.principal_arn,
                    key.session_token_sha256,
                    key.expires,
                    key.source_identity,
                    time.time(),
                ),
            )

    def keys_of(self, principal_arn: str) -> list[AccessKey]:
        """Every access key of a principal, oldest first."""
        rows = self._conn.execute(
            "SELECT access_key_id, secret, account_id, principal_arn, status = 'Active'"
            " FROM access_keys WHERE principal_arn = ? ORDER BY created",
            (principal_arn,),
        ).fetchall()
        return [AccessKey(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    def set_access_key_status(self, access_key_id: str, principal_arn: str, active: bool) -> bool:
        """Activate or deactivate a principal's long-term key; False when it has no such key."""
        with self._write_lock:
            changed = self._conn.execute(
                "UPDATE access_keys SET status = ? WHERE access_key_id = ? AND principal_arn = ?",
                ("Active" if active else "Inactive", access_key_id, principal_arn),
            ).rowcount
        return bool(changed)

    def delete_access_key(self, access_key_id: str, principal_arn: str) -> bool:
        """Delete a principal's long-term key; False when it has no such key."""
        with self._write_lock:
            gone = self._conn.execute(
                "DELETE FROM access_keys WHERE access_key_id = ? AND principal_arn = ?",
                (access_key_id, principal_arn),
            ).rowcount
        return bool(gone)

    # bucket namespace

    def register_bucket(
        self,
        name: str,
        account_id: str,
        region: str,
        *,
        object_ownership: str | None = DEFAULT_OBJECT_OWNERSHIP,
        acl: str | None = None,
    ) -> BucketRecord:
        """Claim a bucket name for an account in a region, or explain who has it."""
        created = time.time()
        with self._write_lock:
            try:
                self._conn.execute(
                    "INSERT INTO buckets(name, account_id, region, created, public_access_block,"
                    " object_ownership, acl) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        account_id,
                        region,
                        created,
                        DEFAULT_PUBLIC_ACCESS_BLOCK,
                        object_ownership,
                        acl,
                    ),
                )
            except sqlite3.IntegrityError:
                existing = self.get_bucket(name)
                if existing is not None and existing.account_id == account_id:
                    raise errors.BucketAlreadyOwnedByYou(BucketName=name) from None
                raise errors.BucketAlreadyExists(BucketName=name) from None
        return BucketRecord(
            name,
            account_id,
            region,
            created,
            None,
            DEFAULT_PUBLIC_ACCESS_BLOCK,
            object_ownership,
            acl,
        )

    def unregister_bucket(self, name: str) -> None:
        """Release a bucket name."""
        with self._write_lock:
            self._conn.execute("DELETE FROM buckets WHERE name = ?", (name,))

    def get_bucket(self, name: str) -> BucketRecord | None:
        """Where a bucket lives, or None."""
        row = self._conn.execute(
            f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE name = ?", (name,)
        ).fetchone()
        return BucketRecord(*row) if row else None

    def list_buckets(
        self, account_id: str, *, after: str = "", prefix: str = "", limit: int = 10000
    ) -> list[BucketRecord]:
        """An account's buckets in name order, from just after `after`."""
        rows = self._conn.execute(
            f"SELECT {_BUCKET_COLUMNS} FROM buckets"
            " WHERE account_id = ? AND name > ? AND substr(name, 1, ?) = ?"
            " ORDER BY name LIMIT ?",
            (account_id, after, len(prefix), prefix, limit),
        ).fetchall()
        return [BucketRecord(*r) for r in rows]

    def set_bucket_policy(self, name: str, policy: str | None) -> None:
        """Store (or with None remove) a bucket's policy, validated by the caller."""
        with self._write_lock:
            self._conn.execute("UPDATE buckets SET policy = ? WHERE name = ?", (policy, name))

    def set_public_access_block(self, name: str, flags: str | None) -> None:
        """Store (or with None remove) a bucket's Block Public Access flags."""
        with self._write_lock:
            self._conn.execute(
                "UPDATE buckets SET public_access_block = ? WHERE name = ?", (flags, name)
            )

    def set_object_ownership(self, name: str, ownership: str | None) -> None:
        """Store (or with None remove) a bucket's Object Ownership setting."""
        with self._write_lock:
            self._conn.execute(
                "UPDATE buckets SET object_ownership = ? WHERE name = ?", (ownership, name)
            )

    def set_bucket_acl(self, name: str, acl: str | None) -> None:
        """Store a bucket's ACL (None: the default, full control to the owner)."""
        with self._write_lock:
            self._conn.execute("UPDATE buckets SET acl = ? WHERE name = ?", (acl, name))

    def set_request_payer(self, name: str, payer: str | None) -> None:
        """Store who pays for a bucket's requests: "Requester", or None for the owner."""
        with self._write_lock:
            self._conn.execute("UPDATE buckets SET request_payer = ? WHERE name = ?", (payer, name))

    def set_object_lock(self, name: str, config: str) -> None:
        """Store a bucket's Object Lock configuration (once enabled it stays enabled)."""
        with self._write_lock:
            self._conn.execute("UPDATE buckets SET object_lock = ? WHERE name = ?", (config, name))

    def set_bucket_replication(self, name: str, config: str | None) -> None:
        """Store (or with None remove) a bucket's replication configuration, validated."""
        with self._write_lock:
            self._conn.execute("UPDATE buckets SET replication = ? WHERE name = ?", (config, name))
