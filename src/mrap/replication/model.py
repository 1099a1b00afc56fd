"""A bucket's replication configuration as plain data: what PutBucketReplication stored.

No XML here (see `mrap.replication.parse`): the model is stored as JSON in the control store
and evaluated against writes to decide where they replicate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FilterKind = Literal["legacy", "empty", "prefix", "tag", "and"]
"""How a rule selected its objects: the V1 rule-level Prefix, or a V2 Filter's form."""


@dataclass(frozen=True)
class RuleFilter:
    """The objects a rule applies to: a key prefix and tags that must all be present."""

    kind: FilterKind
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    def matches(self, key: str, tags: dict[str, str]) -> bool:
        """Whether an object with this key and these tags is selected."""
        return key.startswith(self.prefix) and all(tags.get(k) == v for k, v in self.tags)


@dataclass(frozen=True)
class TimeSetting:
    """ReplicationTime or Metrics of a destination: a status and a threshold in minutes."""

    status: str
    minutes: int | None = None


@dataclass(frozen=True)
class Destination:
    """Where a rule replicates to."""

    bucket: str  # the bucket's name (the configuration carries its ARN)
    account: str | None = None
    storage_class: str | None = None
    owner_override: bool = False  # AccessControlTranslation Owner=Destination
    replication_time: TimeSetting | None = None
    metrics: TimeSetting | None = None

    @property
    def arn(self) -> str:
        """The destination bucket's ARN, as the configuration names it."""
        return f"arn:aws:s3:::{self.bucket}"


@dataclass(frozen=True)
class Rule:
    """One replication rule."""

    id: str
    status: str  # Enabled | Disabled
    filter: RuleFilter
    destination: Destination
    priority: int | None = None
    delete_marker_replication: str | None = None  # Enabled | Disabled (V2 rules)
    replica_modifications: str | None = None
    sse_kms_encrypted_objects: str | None = None
    existing_object_replication: str | None = None

    @property
    def enabled(self) -> bool:
        """Whether the rule is in force."""
        return self.status == "Enabled"

    @property
    def replicates_delete_markers(self) -> bool:
        """Delete markers replicate when the V2 element enables it; V1 rules always do."""
        if self.filter.kind == "legacy":
            return True
        return self.delete_marker_replication == "Enabled"


@dataclass(frozen=True)
class ReplicationConfig:
    """A bucket's replication configuration."""

    role: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        """The configuration as stored in the control store."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ReplicationConfig:
        """A configuration stored by `to_json`."""
        data = json.loads(text)
        return cls(data["role"], tuple(_rule(r) for r in data["rules"]))


def _time(data: dict[str, Any] | None) -> TimeSetting | None:
    return None if data is None else TimeSetting(data["status"], data["minutes"])


def _rule(data: dict[str, Any]) -> Rule:
    flt = data["filter"]
    dest = data["destination"]
    return Rule(
        id=data["id"],
        status=data["status"],
        filter=RuleFilter(flt["kind"], flt["prefix"], tuple((k, v) for k, v in flt["tags"])),
        destination=Destination(
            bucket=dest["bucket"],
            account=dest["account"],
            storage_class=dest["storage_class"],
            owner_override=dest["owner_override"],
            replication_time=_time(dest["replication_time"]),
            metrics=_time(dest["metrics"]),
        ),
        priority=data["priority"],
        delete_marker_replication=data["delete_marker_replication"],
        replica_modifications=data["replica_modifications"],
        sse_kms_encrypted_objects=data["sse_kms_encrypted_objects"],
        existing_object_replication=data["existing_object_replication"],
    )
