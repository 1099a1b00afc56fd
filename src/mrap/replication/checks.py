"""The checks a replication configuration must pass against the world: the role, and
versioning on the source and destination buckets."""

from __future__ import annotations

from mrap import errors
from mrap.replication.model import ReplicationConfig
from mrap.replication.parse import role_arn
from mrap.services import Services
from mrap.store.control_records import BucketRecord


def stored_configuration(record: BucketRecord) -> ReplicationConfig | None:
    """A bucket's replication configuration, if it has one."""
    return None if record.replication is None else ReplicationConfig.from_json(record.replication)


def _check_role(services: Services, record: BucketRecord, role: str) -> None:
    """The role must be one of the bucket owner's IAM roles."""
    account, name = role_arn(role)
    if account != record.account_id or services.identities.get_role(account, name) is None:
        raise errors.InvalidArgument(
            "Invalid Role specified in replication configuration",
            ArgumentName="Role",
            ArgumentValue=role,
        )


def _versioning_enabled(services: Services, record: BucketRecord) -> bool:
    return services.regions[record.region].get_versioning(record.name).status == "Enabled"


def check_configuration(
    services: Services, record: BucketRecord, config: ReplicationConfig
) -> None:
    """The checks that need state: the role, and versioning on the source and destinations."""
    _check_role(services, record, config.role)
    if not _versioning_enabled(services, record):
        raise errors.InvalidRequest(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
        )
    for name in sorted({rule.destination.bucket for rule in config.rules}):
        destination = services.control.get_bucket(name)
        if destination is None:
            raise errors.InvalidRequest("Destination bucket must exist.")
        if not _versioning_enabled(services, destination):
            raise errors.InvalidRequest("Destination bucket must have versioning enabled.")
