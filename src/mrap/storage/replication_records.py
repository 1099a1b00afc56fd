"""What region stores and the replication workers exchange: which writes to replicate, the
queued tasks, versions to backfill, and the figures of each rule."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Replicate:
    """Where a write must be replicated: the destination buckets its rules chose, and the ID
    of the rule that chose each (in the same order, for the per-rule figures)."""

    destinations: tuple[str, ...]
    rules: tuple[str, ...] = ()

    def targets(self) -> list[tuple[str, str]]:
        """(destination bucket, rule ID) pairs; the ID is empty where none was given."""
        rules = self.rules + ("",) * (len(self.destinations) - len(self.rules))
        return list(zip(self.destinations, rules, strict=True))


@dataclass(frozen=True)
class ReplicationTask:
    """One version to copy to one destination bucket, as claimed from a region's queue."""

    id: int
    bucket: str
    key: str
    version_id: str
    destination: str
    kind: str  # "object", "marker" (a delete marker) or "tags" (a tag change)
    size: int
    enqueued: float
    attempts: int
    rule: str = ""  # the ID of the rule that queued it


@dataclass(frozen=True)
class ExistingVersion:
    """A version written before its bucket's replication configuration, to be backfilled."""

    key: str
    version_id: str
    marker: bool
    size: int
    tags: dict[str, str]


@dataclass(frozen=True)
class ReplicationFigures:
    """Replication by one rule of a source bucket to one destination bucket, in a region:
    what waits, and what was done (by every process)."""

    bucket: str
    destination: str
    rule: str = ""
    pending_operations: int = 0  # tasks waiting, including those a dead worker had claimed
    pending_bytes: int = 0  # bytes of the versions waiting or being copied
    failed_operations: int = 0  # tasks that gave up (their versions show FAILED)
    operations: int = 0  # copies done
    bytes: int = 0
    failures: int = 0  # failed attempts
    last_latency: float = 0.0  # seconds from the write to its copy, for the last copy
    latencies: tuple[float, ...] = ()  # of the last copies, sorted
    in_flight: int = 0  # tasks a live worker is copying (not counted in pending_operations)


def new_worker_id() -> str:
    """A replication worker's name: its host and process (so that a store can tell a dead
    worker on its own host at once) and a random part."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
