"""What a replication configuration's role may do: its identity policies are evaluated for
every copy, with the actions S3 checks for replication (reading the source version,
writing the replica)."""

from __future__ import annotations

from mrap.authz.identity import identity_of
from mrap.iam import RequestContext, evaluate
from mrap.replication.parse import role_arn
from mrap.services import Services
from mrap.storage.replication_records import ReplicationTask

SESSION = "s3-replication"  # the session name the role's calls are evaluated under

_ACTIONS = {
    "object": ("s3:GetObjectVersionForReplication", "s3:ReplicateObject"),
    "marker": (None, "s3:ReplicateDelete"),
    "tags": ("s3:GetObjectVersionTagging", "s3:ReplicateTags"),
}
"""(action on the source version, action on the replica) per task kind."""

REPLICATION_ACTIONS = (
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
)
"""The object actions a replication role needs (for policies that grant them)."""


def denial(
    services: Services, role: str, task: ReplicationTask, source_account: str, dest_account: str
) -> str | None:
    """Why the role may not perform this copy (None: it may)."""
    account, name = role_arn(role)
    arn = f"arn:aws:sts::{account}:assumed-role/{name}/{SESSION}"
    identity = identity_of(services.identities, arn)
    if identity is None:
        return f"the replication role {role} does not exist"
    read, write = _ACTIONS[task.kind]
    checks = [(write, f"arn:aws:s3:::{task.destination}/{task.key}", dest_account)]
    if read is not None:
        checks.insert(0, (read, f"arn:aws:s3:::{task.bucket}/{task.key}", source_account))
    for action, resource, owner in checks:
        ctx = RequestContext(identity.caller, action, resource, owner)
        if not evaluate(ctx, identity.policies).allowed:
            return f"the replication role may not perform {action} on {resource}"
    return None
