"""What replication still owes a set of buckets: queued tasks and backfills not yet queued."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from mrap.replication.backfill import Backfill, backfills
from mrap.replication.metrics import all_figures
from mrap.services import Services
from mrap.storage.replication_records import ReplicationFigures


@dataclass(frozen=True)
class Backlog:
    """Replication owed by some source buckets, and what it has done."""

    pending: int  # tasks waiting (a dead worker's claims included)
    in_flight: int  # tasks a live worker is copying
    backfill: int  # existing versions not yet considered by their backfill
    failed: int  # tasks that gave up
    copied: int  # copies done, ever

    @property
    def total(self) -> int:
        """Everything still to do."""
        return self.pending + self.in_flight + self.backfill

    def describe(self) -> str:
        """The backlog in one line, for people."""
        return (
            f"backlog {self.total} (pending {self.pending}, in flight {self.in_flight},"
            f" backfill {self.backfill})"
        )


def backlog(
    services: Services, buckets: Collection[str]
) -> tuple[Backlog, list[tuple[str, ReplicationFigures]], list[Backfill]]:
    """The backlog of these source buckets, with the figures and backfills it sums."""
    # Backfills before the queues: a batch moving from one to the other between the two
    # reads is then counted twice rather than not at all, so a backlog of 0 is never early.
    running = backfills(services, buckets)
    figures = [(r, f) for r, f in all_figures(services) if f.bucket in buckets]
    total = Backlog(
        pending=sum(f.pending_operations for _, f in figures),
        in_flight=sum(f.in_flight for _, f in figures),
        backfill=sum(b.remaining for b in running),
        failed=sum(f.failed_operations for _, f in figures),
        copied=sum(f.operations for _, f in figures),
    )
    return total, figures, running
