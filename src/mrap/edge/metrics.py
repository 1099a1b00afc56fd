"""Counters of the HTTP front, for Prometheus.

They live in the memory of one gateway process (a scrape sees the process that answers it):
they count events of connections, which no store records.
"""

from __future__ import annotations

from typing import Literal

SlowPhase = Literal["head", "body"]

_slow_clients_closed: dict[SlowPhase, int] = {"head": 0, "body": 0}


def count_slow_client(phase: SlowPhase) -> None:
    """A connection was closed because its request head or body came too slowly."""
    _slow_clients_closed[phase] += 1


def prometheus_text() -> str:
    """The edge's series in the Prometheus text exposition format."""
    lines = [
        "# HELP mrap_slow_clients_closed_total Connections closed because the request head "
        "or body came too slowly.",
        "# TYPE mrap_slow_clients_closed_total counter",
    ]
    lines += [
        f'mrap_slow_clients_closed_total{{phase="{phase}"}} {count}'
        for phase, count in _slow_clients_closed.items()
    ]
    return "\n".join(lines) + "\n"
