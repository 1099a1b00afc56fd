"""Regions an operator has marked down: routing skips them until they are marked up again.

Kept in the control store so that every gateway process, and `mrap region` run beside them,
sees the same list.
"""

from __future__ import annotations

import sqlite3
import threading
import time

_SCHEMA = """
CREATE TABLE IF NOT EXISTS regions_down (
    region TEXT PRIMARY KEY,
    since REAL NOT NULL
);
"""


class RegionMarks:
    """The `regions_down` table."""

    def __init__(self, conn: sqlite3.Connection, write_lock: threading.Lock) -> None:
        self._conn = conn
        self._write_lock = write_lock
        with write_lock:
            conn.executescript(_SCHEMA)

    def marked_down(self) -> frozenset[str]:
        """The regions currently marked down."""
        return frozenset(r[0] for r in self._conn.execute("SELECT region FROM regions_down"))

    def mark(self, region: str, *, down: bool) -> None:
        """Mark a region down (routing skips it) or up again."""
        with self._write_lock:
            if down:
                self._conn.execute(
                    "INSERT OR IGNORE INTO regions_down(region, since) VALUES (?, ?)",
                    (region, time.time()),
                )
            else:
                self._conn.execute("DELETE FROM regions_down WHERE region = ?", (region,))
