"""SQLite connections set up the way every store of the project uses them."""

from __future__ import annotations

import sqlite3
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
