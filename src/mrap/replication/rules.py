"""Which destinations a write replicates to, from the bucket's stored configuration.

The S3 handlers ask this before a write and hand the answer (a `Replicate`) to the region
store, which queues the tasks in the write's own transaction; the store never sees rules.
"""

from __future__ import annotations

from functools import lru_cache

from mrap.replication.model import ReplicationConfig, Rule
from mrap.storage.replication_records import Replicate
from mrap.store.control_records import BucketRecord


@lru_cache(maxsize=1024)
def _config(text: str) -> ReplicationConfig:
    return ReplicationConfig.from_json(text)


def _winners(config: ReplicationConfig, key: str, tags: dict[str, str]) -> dict[str, Rule]:
    """For each destination, the enabled rule with the highest priority that selects the
    object (S3's rule for overlapping rules)."""
    chosen: dict[str, Rule] = {}
    for rule in config.rules:
        if not rule.enabled or not rule.filter.matches(key, tags):
            continue
        current = chosen.get(rule.destination.bucket)
        if current is None or (rule.priority or 0) > (current.priority or 0):
            chosen[rule.destination.bucket] = rule
    return chosen


def plan(
    record: BucketRecord,
    key: str,
    tags: dict[str, str],
    *,
    delete_marker: bool = False,
    replica_change: bool = False,
    existing: bool = False,
) -> Replicate | None:
    """Where a write of `key` (with `tags`) in this bucket replicates; None: nowhere.

    `delete_marker`: the write is a delete marker (replicated only by rules that enable
    DeleteMarkerReplication). `replica_change`: the write changes a replica's metadata,
    which flows back only with ReplicaModifications enabled. `existing`: the version was
    written before the configuration, replicated only by rules with ExistingObjectReplication.
    """
    if record.replication is None:
        return None
    winners = _winners(_config(record.replication), key, tags)
    chosen = sorted(
        (bucket, rule.id)
        for bucket, rule in winners.items()
        if (not delete_marker or rule.replicates_delete_markers)
        and (not replica_change or rule.replica_modifications == "Enabled")
        and (not existing or rule.existing_object_replication == "Enabled")
    )
    if not chosen:
        return None
    return Replicate(tuple(b for b, _ in chosen), tuple(r for _, r in chosen))


def backfills_existing(config: ReplicationConfig) -> bool:
    """Whether putting this configuration replicates the versions already in the bucket."""
    return any(r.enabled and r.existing_object_replication == "Enabled" for r in config.rules)
