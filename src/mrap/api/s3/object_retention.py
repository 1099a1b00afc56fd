"""Per-version Object Lock: Get/PutObjectLegalHold, Get/PutObjectRetention."""

from __future__ import annotations

import time

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.object_lock import (
    MODES,
    format_date,
    may_bypass_governance,
    parse_date,
    require_lock,
    retained,
)
from mrap.api.s3.versioning import check_version_id, existing_version, not_found
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services
from mrap.storage.base import ObjectInfo, RegionStore


async def _set(
    store: RegionStore, req: OpRequest, version_id: str | None, fields: dict[str, str]
) -> None:
    info = await store.set_object_lock(req.bucket, req.key, version_id, fields)
    if info is None or info.delete_marker:
        raise not_found(req.method, req.key, version_id, info)


async def put_object_legal_hold(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?legal-hold: set a version's legal hold ON or OFF."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    require_lock(record)
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    status = (doc.findtext("Status") or "").strip()
    if doc.tag != "LegalHold" or status not in ("ON", "OFF"):
        raise errors.MalformedXML()
    await _set(store, req, version_id, {"legal_hold": status})
    return OpResponse()


async def get_object_legal_hold(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?legal-hold: a version's legal hold status."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    require_lock(record)
    info = existing_version(store, req, version_id)
    if not info.legal_hold:
        raise errors.NoSuchObjectLockConfiguration()
    return OpResponse(body=XmlDoc("LegalHold", [("Status", info.legal_hold)]))


def _may_change(info: ObjectInfo, mode: str, until: str, bypass: bool) -> bool:
    """Whether a version's retention may become (mode, until): extending it always; else a
    COMPLIANCE retention never, a GOVERNANCE one with a permitted bypass."""
    if not retained(info):
        return True
    current = parse_date(info.lock_until, "").timestamp()
    if mode == info.lock_mode and until and parse_date(until, "").timestamp() >= current:
        return True
    return info.lock_mode == "GOVERNANCE" and bypass


async def put_object_retention(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?retention: set (or, bypassing GOVERNANCE, shorten or remove) a
    version's retention."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    require_lock(record)
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != "Retention":
        raise errors.MalformedXML()
    mode = (doc.findtext("Mode") or "").strip()
    raw_until = (doc.findtext("RetainUntilDate") or "").strip()
    if (mode == "") != (raw_until == ""):
        raise errors.MalformedXML()
    if mode and mode not in MODES:
        raise errors.MalformedXML()
    until = ""
    if raw_until:
        moment = parse_date(raw_until, "RetainUntilDate")
        if moment.timestamp() <= time.time():
            raise errors.InvalidArgument(
                "The retain until date must be in the future!",
                ArgumentName="RetainUntilDate",
                ArgumentValue=raw_until,
            )
        until = format_date(moment)
    info = existing_version(store, req, version_id)
    bypass = may_bypass_governance(req, record, req.key)
    if not _may_change(info, mode, until, bypass):
        raise errors.AccessDenied()
    await _set(store, req, version_id, {"lock_mode": mode, "lock_until": until})
    return OpResponse()


async def get_object_retention(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?retention: a version's retention mode and date."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    require_lock(record)
    info = existing_version(store, req, version_id)
    if not info.lock_mode:
        raise errors.NoSuchObjectLockConfiguration()
    body = XmlDoc("Retention", [("Mode", info.lock_mode), ("RetainUntilDate", info.lock_until)])
    return OpResponse(body=body)
