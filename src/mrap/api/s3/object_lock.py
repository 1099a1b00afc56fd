"""S3 Object Lock: the bucket configuration (Get/PutObjectLockConfiguration), the lock a new
version gets, and the rule that keeps locked versions from being deleted."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.authz.access import authorize
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.services import Services
from mrap.storage.base import ObjectInfo, Versioning
from mrap.store.control_records import BucketRecord

MODES = ("GOVERNANCE", "COMPLIANCE")
_DAYS_PER_YEAR = 365
# AWS's ceiling on a default retention period (Object Lock user guide).
_MAX_DAYS, _MAX_YEARS = 36500, 100
ENABLE_HEADER = "x-amz-bucket-object-lock-enabled"
BYPASS_HEADER = "x-amz-bypass-governance-retention"
_MISSING = "Bucket is missing Object Lock Configuration"


def config_of(record: BucketRecord) -> dict[str, Any] | None:
    """The bucket's Object Lock configuration ({} when enabled without a default rule), or
    None when the bucket has no Object Lock."""
    return dict(json.loads(record.object_lock)) if record.object_lock else None


def require_lock(record: BucketRecord) -> dict[str, Any]:
    """The bucket's configuration; InvalidRequest when it has no Object Lock, as S3 answers
    per-object lock requests on such a bucket."""
    config = config_of(record)
    if config is None:
        raise errors.InvalidRequest(_MISSING)
    return config


def format_date(moment: datetime) -> str:
    """A retain-until date as stored and answered (ISO 8601, milliseconds, UTC)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_date(text: str, argument: str) -> datetime:
    """An ISO 8601 date with a zone; InvalidArgument otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise errors.InvalidArgument(
            "The retain until date must be provided in ISO 8601 format",
            ArgumentName=argument,
            ArgumentValue=text,
        )
    return moment


def enable_on_create(req: OpRequest) -> bool:
    """Whether a CreateBucket request asks for Object Lock."""
    return req.headers.get(ENABLE_HEADER, "").strip().lower() == "true"


async def enable(services: Services, record: BucketRecord) -> None:
    """Turn Object Lock on for a bucket: versioning is enabled with it, for good."""
    await services.regions[record.region].set_versioning(record.name, Versioning("Enabled"))
    services.control.set_object_lock(record.name, "{}")


def _rule_from_xml(rule: Any) -> dict[str, Any]:
    retention = rule.find("DefaultRetention")
    if retention is None or len(rule) != 1:
        raise errors.MalformedXML()
    mode = (retention.findtext("Mode") or "").strip()
    days, years = retention.findtext("Days"), retention.findtext("Years")
    if mode not in MODES or (days is None) == (years is None):
        raise errors.MalformedXML()
    raw = days if days is not None else years
    assert raw is not None
    try:
        period = int(raw)
    except ValueError:
        raise errors.MalformedXML() from None
    if period <= 0:
        raise errors.InvalidRetentionPeriod()
    if period > (_MAX_DAYS if days is not None else _MAX_YEARS):
        raise errors.InvalidRetentionPeriod(
            f"Default retention period cannot exceed {_MAX_DAYS} days ({_MAX_YEARS} years)"
        )
    return {"mode": mode, "days" if days is not None else "years": period}


async def put_object_lock_configuration(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?object-lock: enable Object Lock (a versioned bucket) and set or clear its
    default retention."""
    record, store = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != "ObjectLockConfiguration":
        raise errors.MalformedXML()
    if (doc.findtext("ObjectLockEnabled") or "").strip() != "Enabled":
        raise errors.MalformedXML()
    rule = doc.find("Rule")
    config = _rule_from_xml(rule) if rule is not None else {}
    # Object Lock can be turned on for an existing bucket only once versioning is Enabled.
    if record.object_lock is None and store.get_versioning(record.name).status != "Enabled":
        raise errors.ObjectLockVersioningRequired(BucketName=record.name)
    services.control.set_object_lock(record.name, json.dumps(config))
    return OpResponse()


async def get_object_lock_configuration(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?object-lock: whether Object Lock is on, and the default retention."""
    record, _ = req.authorized_bucket()
    config = config_of(record)
    if config is None:
        raise errors.ObjectLockConfigurationNotFoundError(BucketName=record.name)
    children: list[tuple[str, XmlValue]] = [("ObjectLockEnabled", "Enabled")]
    if config:
        period = ("Days", config["days"]) if "days" in config else ("Years", config["years"])
        children.append(
            (
                "Rule",
                [("DefaultRetention", [("Mode", config["mode"]), (period[0], str(period[1]))])],
            )
        )
    return OpResponse(body=XmlDoc("ObjectLockConfiguration", children))


def lock_for_upload(req: OpRequest, record: BucketRecord) -> dict[str, str]:
    """The Object Lock fields a new version gets: from the request's x-amz-object-lock-*
    headers (which need the permissions of PutObjectRetention / PutObjectLegalHold too),
    else the bucket's default retention."""
    headers = req.headers
    mode = headers.get("x-amz-object-lock-mode")
    until = headers.get("x-amz-object-lock-retain-until-date")
    hold = headers.get("x-amz-object-lock-legal-hold")
    config = config_of(record)
    if config is None:
        if mode is not None or until is not None or hold is not None:
            raise errors.InvalidRequest(_MISSING)
        return {}
    fields: dict[str, str] = {}
    if hold is not None:
        if hold not in ("ON", "OFF"):
            raise errors.InvalidArgument(
                "Legal Hold must be either of 'ON' or 'OFF'",
                ArgumentName="x-amz-object-lock-legal-hold",
                ArgumentValue=hold,
            )
        authorize(req, record, action="s3:PutObjectLegalHold")
        fields["legal_hold"] = hold
    if (mode is None) != (until is None):
        raise errors.InvalidArgument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
        )
    if mode is not None and until is not None:
        if mode not in MODES:
            raise errors.InvalidArgument(
                "Unknown wormMode directive.",
                ArgumentName="x-amz-object-lock-mode",
                ArgumentValue=mode,
            )
        moment = parse_date(until, "x-amz-object-lock-retain-until-date")
        if moment.timestamp() <= time.time():
            raise errors.InvalidArgument(
                "The retain until date must be in the future!",
                ArgumentName="x-amz-object-lock-retain-until-date",
                ArgumentValue=until,
            )
        authorize(req, record, action="s3:PutObjectRetention")
        fields.update(lock_mode=mode, lock_until=format_date(moment))
    elif config:
        days = config.get("days") or config["years"] * _DAYS_PER_YEAR
        fields.update(
            lock_mode=config["mode"],
            lock_until=format_date(datetime.now(UTC) + timedelta(days=days)),
        )
    return fields


def lock_headers(info: ObjectInfo) -> dict[str, str]:
    """The x-amz-object-lock-* headers GetObject and HeadObject answer for a version."""
    headers = {}
    if info.lock_mode:
        headers["x-amz-object-lock-mode"] = info.lock_mode
        headers["x-amz-object-lock-retain-until-date"] = info.lock_until
    if info.legal_hold:
        headers["x-amz-object-lock-legal-hold"] = info.legal_hold
    return headers


def retained(info: ObjectInfo) -> bool:
    """Whether the version's retain-until date is still ahead."""
    return bool(info.lock_mode) and parse_date(info.lock_until, "").timestamp() > time.time()


def may_bypass_governance(req: OpRequest, record: BucketRecord, key: str) -> bool:
    """Whether the request asks to bypass GOVERNANCE retention and may."""
    if req.headers.get(BYPASS_HEADER, "").strip().lower() != "true":
        return False
    try:
        authorize(req, record, action="s3:BypassGovernanceRetention", key=key)
    except errors.AccessDenied:
        return False
    return True


def check_deletable(req: OpRequest, record: BucketRecord, info: ObjectInfo | None) -> None:
    """AccessDenied when a version is under legal hold or unexpired retention (GOVERNANCE
    yields to a permitted bypass, COMPLIANCE never)."""
    if info is None or info.delete_marker or record.object_lock is None:
        return
    if info.legal_hold == "ON":
        raise errors.ObjectLocked()
    if retained(info) and (
        info.lock_mode == "COMPLIANCE" or not may_bypass_governance(req, record, info.key)
    ):
        raise errors.ObjectLocked()
