"""The S3 Control extension of `mrap replicate` (not an AWS operation):
`POST /v20180820/mrap/instances/{name}/replicate` for the account in `x-amz-account-id`.

It does what the command does (see `mrap.replication.access_point`), as the caller: the
caller needs s3:PutBucketVersioning and s3:PutReplicationConfiguration on every bucket of the
access point (their identity policies, and the bucket's policy for another account's bucket).
"""

from __future__ import annotations

from mrap.api.control import reports
from mrap.api.control.common import find
from mrap.authz.access import authorize
from mrap.operation import OpRequest, OpResponse
from mrap.replication.access_point import replicate_access_point
from mrap.services import Services
from mrap.store.control_records import BucketRecord

_ACTIONS = ("s3:PutBucketVersioning", "s3:PutReplicationConfiguration")


async def replicate_multi_region_access_point(services: Services, req: OpRequest) -> OpResponse:
    """POST .../mrap/instances/{name}/replicate: versioning and two-way replication among the
    access point's buckets; the buckets configured."""
    account_id = req.params["AccountId"]
    point = find(services, account_id, req.params["name"])

    def check(record: BucketRecord) -> None:
        for action in _ACTIONS:
            authorize(req, record, action=action, key="")

    configured = await replicate_access_point(services, account_id, point.name, check)
    return reports.result(
        "ReplicateMultiRegionAccessPointResult",
        [("Name", point.name), ("Buckets", [("Bucket", bucket) for bucket in configured])],
    )
