"""DeleteObjects: many keys in one request."""

from __future__ import annotations

import asyncio

from mrap import errors
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.s3.access import owned_bucket
from mrap.s3.checksums import small_body_verifier
from mrap.services import Services

MAX_KEYS = 1000


async def delete_objects(services: Services, req: OpRequest) -> OpResponse:
    """POST /{bucket}?delete: delete up to 1000 keys, reporting each (or errors only, quiet)."""
    record, store = owned_bucket(services, req.principal, req.bucket)
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
        keys.append((key, element.findtext("VersionId")))
    deletable = [key for key, version in keys if version in (None, "null")]
    await asyncio.gather(*(store.delete_object(record.name, key) for key in deletable))
    results: list[tuple[str, XmlValue]] = []
    for key, version in keys:
        if version not in (None, "null"):
            results.append(
                (
                    "Error",
                    [
                        ("Key", key),
                        ("VersionId", version),
                        ("Code", "NoSuchVersion"),
                        ("Message", errors.NoSuchVersion.default_message),
                    ],
                )
            )
            continue
        if not quiet:
            results.append(("Deleted", [("Key", key), ("VersionId", version)]))
    return OpResponse(body=XmlDoc("DeleteResult", results))


_CHECKSUM_HEADERS = tuple(
    f"x-amz-checksum-{name}" for name in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
)
