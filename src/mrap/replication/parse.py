"""PutBucketReplication's XML document → `ReplicationConfig`, with S3's structural checks.

Everything decidable from the document alone is checked here (schema, IDs, priorities, the
V1/V2 schema rules); what needs other state (the role, the buckets' versioning) is checked
by the handler.
"""

from __future__ import annotations

import re
import secrets
from xml.etree.ElementTree import Element

from mrap import errors
from mrap.names import check_bucket_name
from mrap.replication.model import Destination, ReplicationConfig, Rule, RuleFilter, TimeSetting
from mrap.storage.base import STORAGE_CLASSES

MAX_RULES = 1000
MAX_ID_LENGTH = 255
_STATUSES = ("Enabled", "Disabled")
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})")
_BUCKET_ARN = "arn:aws:s3:::"
_SCHEMA = (
    " for this version of Cross Region Replication configuration schema."
    " Please refer to S3 Developer Guide for more information."
)
_RULE_CHILDREN = frozenset(
    [
        "ID",
        "Priority",
        "Prefix",
        "Filter",
        "Status",
        "SourceSelectionCriteria",
        "ExistingObjectReplication",
        "Destination",
        "DeleteMarkerReplication",
    ]
)
_DESTINATION_CHILDREN = frozenset(
    [
        "Bucket",
        "Account",
        "StorageClass",
        "AccessControlTranslation",
        "EncryptionConfiguration",
        "ReplicationTime",
        "Metrics",
    ]
)


def role_arn(value: str) -> tuple[str, str]:
    """The (account, role name) of a replication Role ARN; InvalidArgument when malformed."""
    match = _ROLE_ARN.fullmatch(value)
    if match is None:
        raise errors.InvalidArgument(
            "Invalid Role specified in replication configuration",
            ArgumentName="Role",
            ArgumentValue=value,
        )
    return match.group(1), match.group(2)


def _children(element: Element, allowed: frozenset[str]) -> dict[str, Element]:
    """An element's children by name; MalformedXML for unknown or repeated ones."""
    found: dict[str, Element] = {}
    for child in element:
        if child.tag not in allowed or child.tag in found:
            raise errors.MalformedXML()
        found[child.tag] = child
    return found


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "").strip()


def _status(element: Element | None, required: bool = True) -> str | None:
    """The Status child of an element such as DeleteMarkerReplication."""
    if element is None:
        return None
    status = _text(_children(element, frozenset({"Status"})).get("Status"))
    if status not in _STATUSES and (required or status is not None):
        raise errors.MalformedXML()
    return status


def _tag(element: Element) -> tuple[str, str]:
    parts = _children(element, frozenset({"Key", "Value"}))
    key, value = _text(parts.get("Key")), _text(parts.get("Value"))
    if key is None or value is None:
        raise errors.MalformedXML()
    return key, value


def _filter(element: Element) -> RuleFilter:
    parts = _children(element, frozenset({"Prefix", "Tag", "And"}))
    if len(parts) > 1:
        raise errors.MalformedXML()
    if not parts:
        return RuleFilter("empty")
    if "Prefix" in parts:
        return RuleFilter("prefix", _text(parts["Prefix"]) or "")
    if "Tag" in parts:
        return RuleFilter("tag", tags=(_tag(parts["Tag"]),))
    prefix = ""
    tags: list[tuple[str, str]] = []
    for child in parts["And"]:
        if child.tag == "Prefix" and not prefix:
            prefix = _text(child) or ""
        elif child.tag == "Tag":
            tags.append(_tag(child))
        else:
            raise errors.MalformedXML()
    if len({k for k, _ in tags}) != len(tags):
        raise errors.InvalidRequest("Duplicate Tag Keys are not allowed.")
    return RuleFilter("and", prefix, tuple(tags))


def _time_setting(element: Element | None, threshold_name: str) -> TimeSetting | None:
    if element is None:
        return None
    parts = _children(element, frozenset({"Status", threshold_name}))
    status = _text(parts.get("Status"))
    if status not in _STATUSES:
        raise errors.MalformedXML()
    minutes: int | None = None
    if threshold_name in parts:
        value = _text(_children(parts[threshold_name], frozenset({"Minutes"})).get("Minutes"))
        if value is not None:
            if not value.isdigit():
                raise errors.MalformedXML()
            minutes = int(value)
    return TimeSetting(status, minutes)


def _destination(element: Element, source: str) -> Destination:
    parts = _children(element, _DESTINATION_CHILDREN)
    arn = _text(parts.get("Bucket"))
    if arn is None:
        raise errors.MalformedXML()
    name = arn[len(_BUCKET_ARN) :] if arn.startswith(_BUCKET_ARN) else ""
    try:
        check_bucket_name(name)
    except errors.InvalidBucketName:
        raise errors.InvalidArgument(
            "Invalid bucket ARN", ArgumentName="Bucket", ArgumentValue=arn
        ) from None
    if name == source:
        raise errors.InvalidRequest("Destination bucket cannot be the same as the source bucket.")
    storage_class = _text(parts.get("StorageClass"))
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        raise errors.MalformedXML()
    account = _text(parts.get("Account"))
    owner_override = False
    if "AccessControlTranslation" in parts:
        owner = _children(parts["AccessControlTranslation"], frozenset({"Owner"})).get("Owner")
        if _text(owner) != "Destination":
            raise errors.MalformedXML()
        if account is None:
            raise errors.InvalidRequest(
                "Account must be specified if the Owner in AccessControlTranslation has a value"
            )
        owner_override = True
    if "EncryptionConfiguration" in parts:
        # SSE-KMS does not exist here: nothing can select KMS-encrypted objects.
        raise errors.InvalidRequest(
            "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."
        )
    replication_time = _time_setting(parts.get("ReplicationTime"), "Time")
    metrics = _time_setting(parts.get("Metrics"), "EventThreshold")
    if replication_time is not None and metrics is None:
        raise errors.InvalidRequest(
            "Replication destination must contain both ReplicationTime and Metrics or neither."
        )
    return Destination(name, account, storage_class, owner_override, replication_time, metrics)


def _rule(element: Element, source: str, legacy: bool) -> Rule:
    parts = _children(element, _RULE_CHILDREN)
    status = _text(parts.get("Status"))
    if status not in _STATUSES or "Destination" not in parts:
        raise errors.MalformedXML()
    if ("Filter" in parts) == ("Prefix" in parts):
        raise errors.MalformedXML()
    for name in ("Priority", "DeleteMarkerReplication"):
        if legacy and name in parts:
            raise errors.InvalidRequest(f"{name} cannot be used{_SCHEMA}")
        if not legacy and name not in parts:
            raise errors.InvalidRequest(f"{name} must be specified{_SCHEMA}")
    rule_filter = (
        _filter(parts["Filter"])
        if "Filter" in parts
        else RuleFilter("legacy", _text(parts["Prefix"]) or "")
    )
    rule_id = _text(parts.get("ID")) or secrets.token_urlsafe(24)
    if len(rule_id) > MAX_ID_LENGTH:
        raise errors.InvalidArgument(
            "Rule Id cannot be greater than 255", ArgumentName="ID", ArgumentValue=rule_id
        )
    priority: int | None = None
    if "Priority" in parts:
        text = _text(parts["Priority"]) or ""
        if not text.lstrip("-").isdigit():
            raise errors.MalformedXML()
        priority = int(text)
        if not 0 <= priority <= 2**31 - 1:
            raise errors.InvalidRequest("Priority must be between 0 and 2147483647.")
    delete_markers = _status(parts.get("DeleteMarkerReplication"))
    if delete_markers == "Enabled" and rule_filter.tags:
        raise errors.InvalidRequest(
            "Delete marker replication is not supported if any Tag filter is specified."
            " Please refer to S3 Developer Guide for more information."
        )
    replica_modifications = sse_kms = None
    if "SourceSelectionCriteria" in parts:
        criteria = _children(
            parts["SourceSelectionCriteria"],
            frozenset({"SseKmsEncryptedObjects", "ReplicaModifications"}),
        )
        if not criteria:
            raise errors.InvalidRequest("SourceSelectionCriteria cannot be empty.")
        replica_modifications = _status(criteria.get("ReplicaModifications"))
        sse_kms = _status(criteria.get("SseKmsEncryptedObjects"))
    return Rule(
        id=rule_id,
        status=status,
        filter=rule_filter,
        destination=_destination(parts["Destination"], source),
        priority=priority,
        delete_marker_replication=delete_markers,
        replica_modifications=replica_modifications,
        sse_kms_encrypted_objects=sse_kms,
        existing_object_replication=_status(parts.get("ExistingObjectReplication")),
    )


def parse_configuration(doc: Element, source: str) -> ReplicationConfig:
    """The configuration a ReplicationConfiguration document describes for bucket `source`."""
    if doc.tag != "ReplicationConfiguration":
        raise errors.MalformedXML()
    role: str | None = None
    rule_elements: list[Element] = []
    for child in doc:
        if child.tag == "Role" and role is None:
            role = _text(child)
        elif child.tag == "Rule":
            rule_elements.append(child)
        else:
            raise errors.MalformedXML()
    if role is None or not rule_elements or len(rule_elements) > MAX_RULES:
        raise errors.MalformedXML()
    role_arn(role)
    # One rule without a Filter makes the whole document the V1 schema.
    legacy = any(r.find("Filter") is None for r in rule_elements)
    rules = tuple(_rule(r, source, legacy) for r in rule_elements)
    ids: set[str] = set()
    priorities: set[int] = set()
    for rule in rules:
        if rule.id in ids:
            raise errors.InvalidArgument(
                "Rule Id must be unique", ArgumentName="ID", ArgumentValue=rule.id
            )
        ids.add(rule.id)
        if rule.priority is not None:
            if rule.priority in priorities:
                raise errors.InvalidRequest(f"Found duplicate priority {rule.priority}.")
            priorities.add(rule.priority)
    return ReplicationConfig(role, rules)
