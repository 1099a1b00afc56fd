"""SQLite connections set up the way every store of the project uses them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """Open a database in WAL mode with full durability on commit.

    Several gateway processes may open the same file: WAL lets readers proceed while one
    writer commits, and the busy timeout makes writers queue instead of failing.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, lock: AbstractContextManager[object] | None = None
) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises.

    IMMEDIATE takes the database's write lock at the start, so the checks a block makes and
    the changes it writes cannot interleave with another process's. `lock` serializes the
    threads of this process that share the connection.
    """
    with lock if lock is not None else nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
