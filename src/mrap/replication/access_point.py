"""Two-way replication among the buckets of a Multi-Region Access Point, in one step.

What the AWS console offers on an access point's page: versioning enabled on every bucket,
and each bucket replicating everything (delete markers and replica modifications included)
to every other, so the access point's regions stay in sync whichever one takes a write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from mrap import errors
from mrap.iam import non_whitespace_length
from mrap.replication.backfill import store_configuration
from mrap.replication.checks import check_configuration
from mrap.replication.model import Destination, ReplicationConfig, Rule, RuleFilter
from mrap.replication.permissions import REPLICATION_ACTIONS
from mrap.services import Services
from mrap.storage.base import Versioning
from mrap.store.control_records import BucketRecord
from mrap.store.iam_tables import InlinePolicy, Kind, RoleRecord, iam_arn, new_unique_id

ROLE_NAME = "mrap-replication"
ROLE_PATH = "/service-role/"
_POLICY_CHARS = 10240  # IAM's limit on a role's inline policies together
_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _ensure_role(services: Services, account_id: str) -> str:
    """The ARN of the account's replication role, created the first time."""
    found = services.identities.get_role(account_id, ROLE_NAME)
    if found is not None:
        return found.arn
    role = RoleRecord(
        arn=iam_arn(account_id, "role", ROLE_PATH, ROLE_NAME),
        role_id=new_unique_id("AROA"),
        name=ROLE_NAME,
        path=ROLE_PATH,
        trust_policy=_TRUST,
        max_session_duration=3600,
        account_id=account_id,
        description="Replication among the buckets of Multi-Region Access Points",
        created=time.time(),
    )
    services.identities.repo.create_role(role)
    return role.arn


def _grant(services: Services, account_id: str, buckets: list[BucketRecord]) -> None:
    """Let the role replicate among these buckets (its inline policy, replaced)."""
    statement = {
        "Effect": "Allow",
        "Action": list(REPLICATION_ACTIONS),
        "Resource": [f"arn:aws:s3:::{b.name}/*" for b in buckets],
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    policy = InlinePolicy(f"replicate-{'-'.join(sorted(b.name for b in buckets))}"[:128], document)
    repo = services.identities.repo
    repo.put_inline(account_id, Kind.ROLE, ROLE_NAME, policy, _POLICY_CHARS, non_whitespace_length)


def two_way_rules(bucket: str, others: list[BucketRecord]) -> tuple[Rule, ...]:
    """Rules replicating everything in `bucket` to each of `others`."""
    return tuple(
        Rule(
            id=f"mrap-to-{other.name}",
            status="Enabled",
            filter=RuleFilter("empty"),
            destination=Destination(other.name, account=other.account_id),
            priority=index,
            delete_marker_replication="Enabled",
            replica_modifications="Enabled",
            # The objects already in the buckets too: after a failover every region must
            # serve what was written before `mrap replicate`.
            existing_object_replication="Enabled",
        )
        for index, other in enumerate(others, start=1)
        if other.name != bucket
    )


async def replicate_access_point(
    services: Services,
    account_id: str,
    name: str,
    check: Callable[[BucketRecord], None] | None = None,
) -> list[str]:
    """Enable versioning on the access point's buckets and make them replicate to each
    other, the versions already in them included (the gateway's workers run their
    backfill); the names of the buckets configured.

    `mrap replicate` and the S3 Control extension both come here. `check` (the extension's
    authorization) sees every bucket first and raises to refuse, before anything changes.
    """
    point = services.mraps.get(account_id, name)
    if point is None:
        raise errors.NoSuchMultiRegionAccessPoint()
    records: list[BucketRecord] = []
    for region in point.regions:
        record = services.control.get_bucket(region.bucket)
        if record is None:
            raise errors.NoSuchBucket(BucketName=region.bucket)
        records.append(record)
    if check is not None:
        for record in records:
            check(record)
    for record in records:
        store = services.regions[record.region]
        current = store.get_versioning(record.name)
        await store.set_versioning(record.name, Versioning("Enabled", current.mfa_delete))
    configured: list[str] = []
    for record in records:
        rules = two_way_rules(record.name, records)
        if not rules:
            continue  # a one-bucket access point has nothing to replicate to
        config = ReplicationConfig(_ensure_role(services, record.account_id), rules)
        _grant(services, record.account_id, records)
        check_configuration(services, record, config)
        await store_configuration(services, record, config)
        configured.append(record.name)
    return configured
