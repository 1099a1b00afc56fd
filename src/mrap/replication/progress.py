"""Following a backlog until it drains: what `mrap replicate` shows while it waits.

The CLI process only reads the stores; the copies are made by the running gateway's
workers. On a terminal one line is rewritten in place; otherwise a line is printed every
few seconds, so logs stay short.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TextIO

from mrap.replication.backlog import Backlog, backlog
from mrap.services import Services

POLL = 0.5  # seconds between looks at the backlog
EVERY = 5.0  # seconds between progress lines when not on a terminal


def _workers_alive(services: Services) -> bool:
    return any(store.live_replication_workers() for store in services.regions.values())


def _line(name: str, now: Backlog, start: Backlog) -> str:
    failed = f", {now.failed} FAILED" if now.failed else ""
    return f"{name}: {now.describe()}, {now.copied - start.copied} copied{failed}"


def wait_for_backlog(services: Services, name: str, buckets: Collection[str], out: TextIO) -> bool:
    """Show the backlog of `buckets` until it is 0; False if no gateway is running to drain
    it (the backlog is kept and drains once one runs)."""
    tty = out.isatty()
    start = now = backlog(services, buckets)[0]
    shown_at, shown = time.monotonic(), _line(name, now, start)
    print(shown, file=out, end="" if tty else "\n", flush=True)
    while now.total:
        if not _workers_alive(services):
            print(
                f"{chr(10) if tty else ''}{name}: no gateway is running;"
                " the backlog drains once `mrap serve` runs",
                file=out,
                flush=True,
            )
            return False
        time.sleep(POLL)
        now = backlog(services, buckets)[0]
        line = _line(name, now, start)
        if tty:
            print(f"\r{line}\x1b[K", file=out, end="", flush=True)
        elif line != shown and (not now.total or time.monotonic() - shown_at >= EVERY):
            shown_at, shown = time.monotonic(), line
            print(line, file=out, flush=True)
    if tty:
        print(file=out)
    return True
