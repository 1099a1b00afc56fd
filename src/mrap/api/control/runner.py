"""The background half of Create, Delete and PutPolicy.

Every gateway process runs one runner. Operations live in the control store with the time
they become due (request time + propagation delay); a runner claims a due one atomically, so
with several worker processes each operation runs once, and one left unfinished by a stopped
gateway runs when any gateway next starts. A region marked down when the change reaches it
fails: the operation ends FAILED, the access point PARTIALLY_CREATED or PARTIALLY_DELETED
(retry the create or delete), and a policy stays Proposed.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mrap.services import Services
from mrap.store.mrap_records import (
    CREATE,
    DELETE,
    FAILED,
    PUT_POLICY,
    REGION_COMPLETED,
    AsyncOperation,
    mrap_arn,
)
from mrap.store.mraps import MrapStore

_POLL_SECONDS = 0.1  # how often a runner looks for work queued by other processes
log = logging.getLogger("mrap.error")


class Runner:
    """Runs due MRAP operations of one gateway process until cancelled."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store: MrapStore = services.mraps
        # Regions an operator marked down (`mrap region down`) cannot apply a change.
        self.marks = services.marks

    async def run(self) -> None:
        """Loop forever: run what is due, then sleep until the next due time (or a poll)."""
        while True:
            try:
                self.run_due()
            except Exception:  # a bad row must not stop the runner; the lease retries it
                log.exception("MRAP operation runner failed")
            next_due = self.store.next_due()
            wait = _POLL_SECONDS if next_due is None else next_due - time.time()
            await asyncio.sleep(min(max(wait, 0.0), _POLL_SECONDS))

    def run_due(self) -> None:
        """Run every operation that is due now."""
        while (op := self.store.claim_due(time.time())) is not None:
            self.execute(op)

    def execute(self, op: AsyncOperation) -> None:
        """Apply one operation in every region of its access point."""
        if op.operation == PUT_POLICY and self.store.by_alias(op.alias) is None:
            gone = _error(op, "NoSuchMultiRegionAccessPoint",
                          "The specified Multi-Region Access Point does not exist.",
                          mrap_arn(op.account_id, op.alias))  # fmt: skip
            self.store.finish_put_policy(op, [], gone)
            return
        down = self.marks.marked_down()
        regions: list[dict[str, str]] = []
        error: dict[str, str] | None = None
        buckets = op.parameters.get("Regions") or [None] * len(op.regions)
        for pending, item in zip(op.regions, buckets, strict=True):
            name = pending["Name"]
            failure = None
            if name in down:
                failure = ("ServiceUnavailable", f"The Region {name} is unavailable.",
                           f"arn:aws:s3:{name}:{op.account_id}")  # fmt: skip
            elif item is not None and not self._bucket_intact(item):
                failure = ("NoSuchBucket", "The specified bucket does not exist",
                           f"arn:aws:s3:::{item['Bucket']}")  # fmt: skip
            regions.append({"Name": name, "RequestStatus": FAILED if failure else REGION_COMPLETED})
            if failure is not None and error is None:
                error = _error(op, *failure)
        if op.operation == CREATE:
            self.store.finish_create(op, regions, error)
        elif op.operation == DELETE:
            self.store.finish_delete(op, regions, error)
        else:
            self.store.finish_put_policy(op, regions, error)

    def _bucket_intact(self, item: dict[str, str]) -> bool:
        """Whether a create's bucket still exists with the owner it had when requested."""
        record = self.services.control.get_bucket(item["Bucket"])
        return record is not None and record.account_id == item["BucketAccountId"]


def _error(op: AsyncOperation, code: str, message: str, resource: str) -> dict[str, str]:
    return {"Code": code, "Message": message, "Resource": resource, "RequestId": op.request_id}
