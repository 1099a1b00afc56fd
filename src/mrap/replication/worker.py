"""Replication workers: copy queued versions from their region store to the destinations.

Each gateway process runs one `ReplicationWorker`. Tasks are claimed atomically with a lease,
so workers of several processes never copy the same task at once. A worker beats a heartbeat
into every region store; a task claimed by a process that died is taken again once its
heartbeat stops (or its lease runs out). Copies are idempotent (a replica that already
exists is left alone), so a copy repeated after a crash is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import replace

from mrap.replication.backfill import belongs
from mrap.replication.model import ReplicationConfig
from mrap.replication.permissions import denial
from mrap.replication.rules import plan
from mrap.services import Services
from mrap.storage.base import MAX_PART_NUMBER, ObjectInfo, PartInfo, RegionStore, iter_file
from mrap.storage.replication_records import (
    ExistingVersion,
    Replicate,
    ReplicationTask,
    new_worker_id,
)

log = logging.getLogger(__name__)

BATCH = 64  # tasks claimed at a time per region
BACKFILL_BATCH = 256  # existing versions queued per transaction
LEASE = 15.0  # seconds a claim holds before another worker may take the task
IDLE = 0.05  # seconds between polls of empty queues
DOWN_RETRY = 1.0  # seconds a destination whose region is down is left alone
MAX_ATTEMPTS = 10  # failed attempts (a down region costs none) before a task gives up
MAX_BACKOFF = 60.0
HEARTBEAT = 1.0  # seconds between a worker's heartbeats
ALIVE = 5.0  # seconds a heartbeat vouches for its worker


class PermanentFailure(Exception):
    """A copy that retrying cannot fix (the destination is gone or unversioned)."""


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts + 1`: exponential, jittered, capped."""
    return float(min(MAX_BACKOFF, 0.25 * 2**attempts) * random.uniform(0.5, 1.0))


class ReplicationWorker:
    """Drains the replication queues of every region store of this process."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._health = services.health
        self.id = new_worker_id()

    async def run(self) -> None:
        """Copy forever (until cancelled)."""
        await self.beat()  # before any claim names this worker
        beating = asyncio.create_task(self._beat_forever())
        try:
            await self._copy_forever()
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def beat(self) -> None:
        """Tell every region store this worker is alive for the next ALIVE seconds."""
        until = time.time() + ALIVE
        for region, store in self._services.regions.items():
            try:
                await store.replication_heartbeat(self.id, until)
            except Exception:  # one unwritable region must not silence the others
                log.exception("replication heartbeat to %s failed", region)

    async def _beat_forever(self) -> None:
        # Apart from the copies, so that a long batch does not make the worker look dead.
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.beat()

    async def _copy_forever(self) -> None:
        while True:
            try:
                busy = await self.step()
            except Exception:  # a broken pass must not stop replication for good
                log.exception("replication pass failed")
                busy = False
            if not busy:
                await asyncio.sleep(IDLE)

    async def step(self) -> bool:
        """One pass over the regions' queues; whether there was anything to do."""
        busy = False
        for region, store in self._services.regions.items():
            if not self._health.healthy(region):
                continue  # its queue waits; nothing written there is lost
            busy = await self._backfill(store) or busy
            tasks = await store.claim_replication(BATCH, LEASE, self.id)
            if tasks:
                busy = True
                down: set[str] = set()
                await asyncio.gather(*(self._handle(store, t, down) for t in tasks))
        return busy

    async def _backfill(self, store: RegionStore) -> bool:
        """Queue one batch of each bucket's existing versions; whether there were any.

        Processes of one gateway may read the same batch; the store queues it only once.
        """
        busy = False
        for bucket, config in store.backfills():
            record = self._services.control.get_bucket(bucket)
            if record is not None and not belongs(record, config):
                continue  # its configuration is not stored (yet); see `backfill`
            batch: list[tuple[ExistingVersion, Replicate | None]] = []
            if record is not None:  # a bucket gone since gets an empty batch: the end
                batch = [
                    (v, plan(record, v.key, v.tags, delete_marker=v.marker, existing=True))
                    for v in store.existing_versions(bucket, BACKFILL_BATCH)
                ]
            await store.backfill_batch(bucket, batch)
            busy = busy or bool(batch)
        return busy

    async def _handle(self, source: RegionStore, task: ReplicationTask, down: set[str]) -> None:
        record = self._services.control.get_bucket(task.destination)
        try:
            if record is None:
                raise PermanentFailure(f"destination bucket {task.destination} does not exist")
            self._check_role(task, record.account_id)
            if not self._health.healthy(record.region):
                if task.destination not in down:
                    down.add(task.destination)
                    await source.defer_replication(task.destination, time.time() + DOWN_RETRY)
                return
            destination = self._services.regions[record.region]
            if destination.get_versioning(task.destination).status != "Enabled":
                raise PermanentFailure(f"versioning is not enabled on {task.destination}")
            await self._copy(source, destination, task)
        except PermanentFailure as exc:
            await source.replication_failed(task, str(exc))
            return
        except Exception as exc:
            if task.attempts + 1 >= MAX_ATTEMPTS:
                await source.replication_failed(task, repr(exc))
            else:
                at = time.time() + backoff(task.attempts)
                await source.replication_retry(task, at, repr(exc))
            return
        await source.replication_succeeded(task)

    def _check_role(self, task: ReplicationTask, destination_account: str) -> None:
        """PermanentFailure unless the source's configuration names a role allowed to copy."""
        source = self._services.control.get_bucket(task.bucket)
        if source is None or source.replication is None:
            raise PermanentFailure(f"{task.bucket} has no replication configuration any more")
        role = ReplicationConfig.from_json(source.replication).role
        refused = denial(self._services, role, task, source.account_id, destination_account)
        if refused is not None:
            raise PermanentFailure(refused)

    async def _copy(
        self, source: RegionStore, destination: RegionStore, task: ReplicationTask
    ) -> None:
        if task.kind == "object":
            await _copy_object(source, destination, task, self._replica_class(task))
        elif task.kind == "marker":
            found = source.head_object(task.bucket, task.key, task.version_id)
            if found is not None:  # a marker removed since needs no replica
                marker = ObjectInfo(
                    task.key, 0, "", found.last_modified, version_id=task.version_id
                )
                await destination.write_replica(task.destination, marker, None)
        else:
            found = source.head_object(task.bucket, task.key, task.version_id)
            if found is not None and not await destination.replica_tags(
                task.destination, task.key, task.version_id, found.tags
            ):
                # The version itself has not arrived yet: its copy will carry the tags,
                # but do this again in case it was read before the change.
                raise RuntimeError("replica not there yet")

    def _replica_class(self, task: ReplicationTask) -> str | None:
        """The storage class the task's rule gives replicas (None: the source's)."""
        source = self._services.control.get_bucket(task.bucket)
        if source is None or source.replication is None:
            return None
        for rule in ReplicationConfig.from_json(source.replication).rules:
            if rule.id == task.rule and rule.destination.bucket == task.destination:
                return rule.destination.storage_class
        return None


async def _copy_object(
    source: RegionStore,
    destination: RegionStore,
    task: ReplicationTask,
    storage_class: str | None = None,
) -> None:
    """Copy a version's bytes and metadata, keeping its version id and last-modified time,
    and its storage class unless the rule's Destination names one."""
    opened = source.open_object(task.bucket, task.key, task.version_id)
    if opened is None:
        return  # the version was deleted (by version id) before it could be copied
    info, fh = opened
    if fh is None:
        return
    parts: list[PartInfo] = []
    if info.parts_count:
        found = source.object_parts(
            task.bucket, task.key, task.version_id, after=0, limit=MAX_PART_NUMBER
        )
        parts = found[1] if found is not None else []
    with contextlib.closing(fh):
        blob = await destination.write_blob(iter_file(fh, 0, info.size))
    replica = replace(
        info,
        tags=dict(info.tags),
        version_id=task.version_id,
        storage_class=storage_class or info.storage_class,
        # A restored copy is the source's; the replica of an archived version is archived.
        restore_ready=0.0,
        restore_expiry=0.0,
    )
    # frees the blob on failure
    await destination.write_replica(task.destination, replica, blob, parts)


def replication_worker(services: Services) -> ReplicationWorker:
    """The worker of a gateway process, seeing regions marked down as routing does."""
    return ReplicationWorker(services)
