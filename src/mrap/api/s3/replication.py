"""Get/Put/DeleteBucketReplication: a bucket's replication configuration.

The document is parsed by `mrap.replication.parse`, checked against the world by
`mrap.replication.checks`, and stored in the control store.
"""

from __future__ import annotations

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.operation import OpRequest, OpResponse, XmlChildren, XmlDoc, XmlValue
from mrap.replication.backfill import store_configuration
from mrap.replication.checks import check_configuration, stored_configuration
from mrap.replication.model import Destination, ReplicationConfig, Rule, TimeSetting
from mrap.replication.parse import parse_configuration
from mrap.services import Services


async def put_bucket_replication(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?replication: create or replace the configuration."""
    record, _store = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    config = parse_configuration(doc, record.name)
    check_configuration(services, record, config)
    await store_configuration(services, record, config)
    return OpResponse()


async def get_bucket_replication(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?replication: the configuration as stored."""
    record, _store = req.authorized_bucket()
    config = stored_configuration(record)
    if config is None:
        raise errors.ReplicationConfigurationNotFoundError(BucketName=record.name)
    return OpResponse(body=configuration_doc(config))


async def delete_bucket_replication(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}?replication: remove the configuration (204 even when there is none)."""
    record, _store = req.authorized_bucket()
    await store_configuration(services, record, None)
    return OpResponse(status=204)


# Rendering


def _status_of(name: str, status: str | None) -> list[tuple[str, XmlValue]]:
    return [] if status is None else [(name, [("Status", status)])]


def _time(name: str, threshold: str, setting: TimeSetting | None) -> list[tuple[str, XmlValue]]:
    if setting is None:
        return []
    children: list[tuple[str, XmlValue]] = [("Status", setting.status)]
    if setting.minutes is not None:
        children.append((threshold, [("Minutes", setting.minutes)]))
    return [(name, children)]


def _destination(dest: Destination) -> XmlChildren:
    children: list[tuple[str, XmlValue]] = [
        ("Bucket", dest.arn),
        ("Account", dest.account),
        ("StorageClass", dest.storage_class),
    ]
    if dest.owner_override:
        children.append(("AccessControlTranslation", [("Owner", "Destination")]))
    children += _time("ReplicationTime", "Time", dest.replication_time)
    children += _time("Metrics", "EventThreshold", dest.metrics)
    return children


def _filter(rule: Rule) -> list[tuple[str, XmlValue]]:
    flt = rule.filter
    tags: list[tuple[str, XmlValue]] = [("Tag", [("Key", k), ("Value", v)]) for k, v in flt.tags]
    if flt.kind == "legacy":
        return [("Prefix", flt.prefix)]
    if flt.kind == "empty":
        return [("Filter", [])]
    if flt.kind == "prefix":
        return [("Filter", [("Prefix", flt.prefix)])]
    if flt.kind == "tag":
        return [("Filter", tags)]
    return [("Filter", [("And", [("Prefix", flt.prefix or None), *tags])])]


def _rule(rule: Rule) -> XmlChildren:
    children: list[tuple[str, XmlValue]] = [
        ("ID", rule.id),
        ("Priority", rule.priority),
        *_filter(rule),
        ("Status", rule.status),
    ]
    criteria = _status_of("SseKmsEncryptedObjects", rule.sse_kms_encrypted_objects)
    criteria += _status_of("ReplicaModifications", rule.replica_modifications)
    if criteria:
        children.append(("SourceSelectionCriteria", criteria))
    children += _status_of("ExistingObjectReplication", rule.existing_object_replication)
    children.append(("Destination", _destination(rule.destination)))
    children += _status_of("DeleteMarkerReplication", rule.delete_marker_replication)
    return children


def configuration_doc(config: ReplicationConfig) -> XmlDoc:
    """The ReplicationConfiguration document of a stored configuration."""
    children: list[tuple[str, XmlValue]] = [("Role", config.role)]
    children += [("Rule", _rule(rule)) for rule in config.rules]
    return XmlDoc("ReplicationConfiguration", children)
