"""The parts a completed multipart object was made of: their sizes, for GetObject with
`partNumber`, and their checksums, for GetObjectAttributes.

Their checksums are kept only for uploads that chose a checksum algorithm (those are what
GetObjectAttributes lists); other parts are kept with `{}`. In their own table so that
object rows stay small: a listing never reads them. Rows are keyed by the object's data
file, which names one version. Objects completed before sizes were kept for every upload
have rows only for parts with checksums.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from mrap.storage.base import PartInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS object_parts (
    file TEXT NOT NULL,
    number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    PRIMARY KEY (file, number)
) WITHOUT ROWID;
"""


def record(conn: sqlite3.Connection, file: str, parts: Sequence[PartInfo]) -> None:
    """Keep the parts of the object stored in `file`, in the order given."""
    conn.executemany(
        "INSERT OR REPLACE INTO object_parts(file, number, size, checksums) VALUES (?, ?, ?, ?)",
        [(file, p.number, p.size, json.dumps(p.checksums)) for p in parts],
    )


def forget(conn: sqlite3.Connection, files: Sequence[str]) -> None:
    """Drop the parts of objects whose data files are going away."""
    conn.executemany("DELETE FROM object_parts WHERE file = ?", [(f,) for f in files])


def read(conn: sqlite3.Connection, file: str, *, after: int, limit: int) -> list[PartInfo]:
    """The parts of the object in `file` after part number `after`, in number order."""
    rows = conn.execute(
        "SELECT number, size, checksums FROM object_parts WHERE file = ? AND number > ?"
        " ORDER BY number LIMIT ?",
        (file, after, limit),
    ).fetchall()
    return [PartInfo(r[0], r[1], "", 0.0, json.loads(r[2])) for r in rows]
