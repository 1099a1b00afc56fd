"""Which replication workers are alive, so that a task claimed by a dead one is pending.

A claim holds for a lease (15 s); a process killed mid-copy would otherwise keep its tasks
"in flight" until the lease ran out. Each worker writes a heartbeat into every region
database it drains, and claims name their worker: a task whose worker stopped beating (or,
on this host, whose process is gone) counts as pending and may be claimed again at once.
"""

from __future__ import annotations

import os
import socket
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS replication_workers (
    id TEXT PRIMARY KEY,
    alive_until REAL NOT NULL
) WITHOUT ROWID;
"""

_FORGET = 3600.0  # seconds after its last beat a dead worker's row is dropped


def _gone(worker: str) -> bool:
    """Whether the worker's process is known to have ended (only knowable on this host)."""
    host, _, rest = worker.partition("/")
    pid, _, _ = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user has that pid: it exists
        return False
    return False


def heartbeat(conn: sqlite3.Connection, worker: str, until: float, now: float) -> None:
    """The worker is alive until `until`; rows of workers long dead are dropped."""
    conn.execute(
        "INSERT INTO replication_workers(id, alive_until) VALUES (?, ?)"
        " ON CONFLICT(id) DO UPDATE SET alive_until = excluded.alive_until",
        (worker, until),
    )
    conn.execute("DELETE FROM replication_workers WHERE alive_until < ?", (now - _FORGET,))


def live(conn: sqlite3.Connection, now: float) -> list[str]:
    """The workers whose heartbeat has not run out and whose process is not gone."""
    rows = conn.execute("SELECT id FROM replication_workers WHERE alive_until > ?", (now,))
    return [r[0] for r in rows if not _gone(r[0])]
