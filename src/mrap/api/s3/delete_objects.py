"""DeleteObjects: many keys (or versions) in one request."""

from __future__ import annotations

import asyncio

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.object_lock import check_deletable
from mrap.api.s3.versioning import valid_version_id
from mrap.authz.access import authorize
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.replication.rules import plan
from mrap.services import Services
from mrap.storage.base import RegionStore
from mrap.store.control_records import BucketRecord

MAX_KEYS = 1000


async def delete_objects(services: Services, req: OpRequest) -> OpResponse:
    """POST /{bucket}?delete: delete up to 1000 keys, reporting each (or errors only, quiet)."""
    record, store = req.authorized_bucket()
    if record.policy is None:
        authorize(req, record)  # nothing can grant anyone but the owner: refuse the request
    if not any(h in req.headers for h in ("content-md5", *_CHECKSUM_HEADERS)):
        raise errors.InvalidRequest(
            "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
        )
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != "Delete":
        raise errors.MalformedXML()
    objects = doc.findall("Object")
    if not objects or len(objects) > MAX_KEYS:
        raise errors.MalformedXML()
    quiet = (doc.findtext("Quiet") or "false").strip().lower() == "true"
    keys = []
    for element in objects:
        key = element.findtext("Key")
        if key is None:
            raise errors.MalformedXML()
        keys.append((key, element.findtext("VersionId"), element.findtext("ETag")))
    # Each key is judged on its own, as S3 does: a refused key is reported, not fatal.
    failures = {
        i: failure
        for i, (key, version, etag) in enumerate(keys)
        if (failure := _refusal(req, record, store, key, version, etag)) is not None
    }
    # Queued in request order, so deletes of one key's versions apply in that order.
    outcomes = await asyncio.gather(
        *(
            store.delete_object(
                record.name,
                key,
                version,
                # As for DeleteObject: a new delete marker may replicate, a version delete never.
                None if version else plan(record, key, {}, delete_marker=True),
            )
            for i, (key, version, _) in enumerate(keys)
            if i not in failures
        )
    )
    done = iter(outcomes)
    results: list[tuple[str, XmlValue]] = []
    for i, (key, version, _) in enumerate(keys):
        if i in failures:
            code, message = failures[i]
            results.append(
                (
                    "Error",
                    [("Key", key), ("VersionId", version), ("Code", code), ("Message", message)],
                )
            )
            continue
        outcome = next(done)
        if not quiet:
            marker = outcome.version_id if outcome.delete_marker else None
            deleted: list[tuple[str, XmlValue]] = [
                ("Key", key),
                ("VersionId", version),
                ("DeleteMarker", True if outcome.delete_marker else None),
                ("DeleteMarkerVersionId", marker),
            ]
            results.append(("Deleted", deleted))
    return OpResponse(body=XmlDoc("DeleteResult", results))


def _refusal(
    req: OpRequest,
    record: BucketRecord,
    store: RegionStore,
    key: str,
    version: str | None,
    etag: str | None,
) -> tuple[str, str] | None:
    """(Code, Message) of the <Error> S3 reports for one key, or None when it may go."""
    if not _may_delete(req, record, key, version):
        return "AccessDenied", errors.AccessDenied.default_message
    if version is not None and not valid_version_id(version):
        # S3 reports a version id of another form as a version that does not exist.
        return "NoSuchVersion", errors.NoSuchVersion.default_message
    if version is not None and _locked(req, record, store, key, version):
        return "AccessDenied", errors.ObjectLocked.default_message
    if etag is not None:
        return _etag_refusal(req, record, store, key, etag)
    return None


def _etag_refusal(
    req: OpRequest, record: BucketRecord, store: RegionStore, key: str, etag: str
) -> tuple[str, str] | None:
    """AWS's conditional delete: the key's current version must exist and, unless the ETag
    is `*`, carry that ETag; checking it needs s3:GetObject too (S3 user guide,
    "How to perform conditional deletes")."""
    try:
        authorize(req, record, action="s3:GetObject", key=key)
    except errors.AccessDenied:
        return "AccessDenied", errors.AccessDenied.default_message
    current = store.head_object(record.name, key)
    if current is None or current.delete_marker:
        return "NoSuchKey", errors.NoSuchKey.default_message
    wanted = etag.strip()
    if wanted != "*" and wanted.strip('"') != current.etag:
        return "PreconditionFailed", errors.PreconditionFailed.default_message
    return None


def _may_delete(req: OpRequest, record: BucketRecord, key: str, version: str | None) -> bool:
    """Whether the caller may delete this key (or this version of it)."""
    action = "s3:DeleteObject" if version is None else "s3:DeleteObjectVersion"
    try:
        authorize(req, record, action=action, key=key)
    except errors.AccessDenied:
        return False
    return True


def _locked(
    req: OpRequest, record: BucketRecord, store: RegionStore, key: str, version: str
) -> bool:
    """Whether Object Lock protects this version from deletion."""
    try:
        check_deletable(req, record, store.head_object(record.name, key, version))
    except errors.AccessDenied:
        return True
    return False


_CHECKSUM_HEADERS = tuple(
    f"x-amz-checksum-{name}" for name in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
)
