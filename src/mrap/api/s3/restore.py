"""RestoreObject: the temporary copy of an archived (GLACIER, DEEP_ARCHIVE) version.

The bytes of every class are already in the store, so "restoring" only records when the
copy is ready and when it expires: ready `restore_delay` seconds after the request (at once
by default; a delay shows the ongoing state), expiring Days after it is ready. A day lasts
`restore_day_seconds`; with a real day the expiry is rounded up to the next midnight UTC,
as AWS does. While ongoing a new request is 409 RestoreAlreadyInProgress; once restored it
is 200 and moves the expiry to Days from now (AWS's way of extending a restore); after the
expiry the version is archived again and a request starts over (202).
"""

from __future__ import annotations

import math
import time
from xml.etree.ElementTree import Element

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.storage_class import ARCHIVED, ONGOING, RESTORED, restore_state
from mrap.api.s3.versioning import check_version_id, existing_version, not_found
from mrap.operation import OpRequest, OpResponse
from mrap.services import Services

_TIERS = ("Standard", "Bulk", "Expedited")
_DAY = 86400.0


def _requested_days(doc: Element | None) -> int:
    """Days of a RestoreRequest document; MalformedXML when it is not one."""
    if doc is None or doc.tag != "RestoreRequest":
        raise errors.MalformedXML()
    if doc.find("SelectParameters") is not None or doc.findtext("Type") is not None:
        raise errors.S3NotImplemented("Restore requests of type SELECT are not implemented")
    tiers = [doc.findtext("Tier"), doc.findtext("GlacierJobParameters/Tier")]
    if any(tier is not None and tier.strip() not in _TIERS for tier in tiers):
        raise errors.MalformedXML()
    text = (doc.findtext("Days") or "").strip()
    if not text.lstrip("-").isdigit():
        raise errors.MalformedXML()
    days = int(text)
    if days < 1:
        raise errors.InvalidArgument(
            "The Days value must be at least 1", ArgumentName="Days", ArgumentValue=text
        )
    return days


def expiry_after(ready: float, days: int, day_seconds: float) -> float:
    """When a copy ready at `ready` expires: `days` days later, rounded up to the next
    midnight UTC when a day is a real one."""
    expiry = ready + days * day_seconds
    if day_seconds == _DAY:
        expiry = math.ceil(expiry / _DAY) * _DAY
    return expiry


async def restore_object(services: Services, req: OpRequest) -> OpResponse:
    """POST /{bucket}/{key}?restore: make an archived version readable for Days days."""
    version_id = check_version_id(req)
    _, store = req.authorized_bucket()
    info = existing_version(store, req, version_id)
    if info.storage_class not in ARCHIVED:
        raise errors.InvalidObjectState(StorageClass=info.storage_class)
    days = _requested_days(await req.body.read_xml(verify=small_body_verifier(req.headers)))
    settings = services.settings
    now = time.time()
    state = restore_state(info, now)
    if state == ONGOING:
        raise errors.RestoreAlreadyInProgress()
    ready = info.restore_ready if state == RESTORED else now + settings.restore_delay
    start = now if state == RESTORED else ready
    expiry = expiry_after(start, days, settings.restore_day_seconds)
    # The version looked at, not whatever is latest by now.
    updated = await store.set_object_restore(req.bucket, req.key, info.version_id, ready, expiry)
    if updated is None or updated.delete_marker:
        raise not_found(req.method, req.key, version_id, updated)
    return OpResponse(status=200 if state == RESTORED else 202)
