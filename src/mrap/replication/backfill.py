"""Storing a bucket's replication configuration together with its existing-object backfill.

The configuration lives in the control store and the backfill's cursor in the bucket's
region store: two stores, no shared transaction. So the backfill is started first, naming
the configuration it belongs to (by digest), and the workers run it only once that
configuration is the bucket's. A crash between the two writes leaves a backfill waiting for
a configuration that never came (harmless, and replaced by the next put), never a stored
configuration whose backfill was lost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection
from dataclasses import dataclass

from mrap.replication.model import ReplicationConfig
from mrap.replication.rules import backfills_existing
from mrap.services import Services
from mrap.store.control_records import BucketRecord


def digest(config_json: str) -> str:
    """The name a backfill gives the stored configuration it belongs to."""
    return hashlib.sha256(config_json.encode()).hexdigest()


def belongs(record: BucketRecord, config_digest: str) -> bool:
    """Whether a backfill started for `config_digest` runs under the bucket's current
    configuration (a backfill started before digests were kept runs under any)."""
    if record.replication is None:
        return False
    return config_digest in ("", digest(record.replication))


async def store_configuration(
    services: Services, record: BucketRecord, config: ReplicationConfig | None
) -> None:
    """Make `config` the bucket's replication configuration (None: remove it), starting the
    backfill of its existing versions when a rule asks for it, or ending one in progress."""
    store = services.regions[record.region]
    if config is None or not backfills_existing(config):
        services.control.set_bucket_replication(
            record.name, None if config is None else config.to_json()
        )
        await store.end_backfill(record.name)
        return
    text = config.to_json()
    # No cutoff yet: should the process die before the second start, every version without
    # a replication status is considered, which at worst queues a delete marker twice.
    await store.start_backfill(record.name, float("inf"), digest(text))
    services.control.set_bucket_replication(record.name, text)
    # Versions written from now on are queued by their own writes.
    await store.start_backfill(record.name, time.time(), digest(text))


@dataclass(frozen=True)
class Backfill:
    """A bucket's existing-object backfill in progress."""

    region: str
    bucket: str
    remaining: int  # versions it has yet to consider


def backfills(services: Services, buckets: Collection[str] | None = None) -> list[Backfill]:
    """The backfills running (under their bucket's current configuration), of `buckets` or of
    every bucket."""
    found: list[Backfill] = []
    for region, store in sorted(services.regions.items()):
        for bucket, config in store.backfills():
            if buckets is not None and bucket not in buckets:
                continue
            record = services.control.get_bucket(bucket)
            if record is None or not belongs(record, config):
                continue  # waiting for a configuration, or about to end: owes nothing
            found.append(Backfill(region, bucket, store.backfill_remaining(bucket)))
    return found
