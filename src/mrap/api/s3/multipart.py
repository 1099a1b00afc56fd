"""Multipart upload: Create, UploadPart, Complete, Abort, ListParts."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from mrap import errors
from mrap.api.s3 import multipart_checksums
from mrap.api.s3.acl import acl_for_new_object
from mrap.api.s3.checksums import checksum_elements, header_name, multipart_etag
from mrap.api.s3.conditions import precheck_write
from mrap.api.s3.encryption import refuse_encryption
from mrap.api.s3.metadata import metadata_from
from mrap.api.s3.object_lock import lock_for_upload
from mrap.api.s3.objects import check_upload_length
from mrap.api.s3.parts import part_number
from mrap.api.s3.storage_class import requested_class
from mrap.api.s3.tagging import with_header_tags
from mrap.api.s3.versioning import written_headers
from mrap.names import check_key
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.replication.rules import plan
from mrap.services import Services
from mrap.storage.base import MAX_PART_NUMBER, ObjectInfo, PartInfo, RegionStore, Upload

MAX_PART_SIZE = 5 * 1024**3
MIN_PART_SIZE = 5 * 1024**2
_MAX_PARTS_PAGE = 1000


def find_upload(services: Services, req: OpRequest) -> tuple[RegionStore, Upload]:
    """The request's bucket store and upload (`uploadId`); NoSuchUpload if it is not open."""
    _, store = req.authorized_bucket()
    upload_id = req.query.get("uploadId", "")
    upload = store.get_upload(req.bucket, req.key, upload_id)
    if upload is None:
        raise errors.NoSuchUpload(UploadId=upload_id)
    return store, upload


async def create_multipart_upload(services: Services, req: OpRequest) -> OpResponse:
    """POST /{bucket}/{key}?uploads."""
    record, store = req.authorized_bucket()
    check_key(req.key)
    refuse_encryption(req.headers)
    info = with_header_tags(metadata_from(req.headers, req.key), req.headers)
    info.storage_class = requested_class(req.headers)
    info.acl = acl_for_new_object(services, req, record)
    # Object Lock headers travel with the upload, as S3 takes them on CreateMultipartUpload.
    for name, value in lock_for_upload(req, record).items():
        setattr(info, name, value)
    headers = multipart_checksums.choose(req.headers, info)
    upload = await store.create_upload(req.bucket, info)
    doc = XmlDoc(
        "InitiateMultipartUploadResult",
        [("Bucket", req.bucket), ("Key", req.key), ("UploadId", upload.upload_id)],
    )
    return OpResponse(headers=headers, body=doc)


def request_part_number(req: OpRequest) -> int:
    """The request's `partNumber`, 1 to 10,000."""
    return part_number(req.query.get("partNumber", ""))


async def upload_part(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?partNumber=N&uploadId=U."""
    number = request_part_number(req)
    store, upload = find_upload(services, req)
    refuse_encryption(req.headers)
    check_upload_length(req, MAX_PART_SIZE)
    check = multipart_checksums.part_check(req.headers, upload.info)
    blob = await store.write_blob(check.watch(req.body.chunks()))
    try:
        etag, checksums = check.verify(req.body.trailers)
        part = PartInfo(number, blob.size, etag, time.time(), checksums)
        await store.put_part(upload, part, blob)
    except BaseException:
        store.discard_blob(blob)
        raise
    shown = {header_name(name): value for name, value in checksums.items()}
    return OpResponse(headers={"ETag": f'"{etag}"', **shown})


def _requested_parts(req_doc: Element | None) -> list[tuple[int, str, dict[str, str]]]:
    if req_doc is None or req_doc.tag != "CompleteMultipartUpload":
        raise errors.MalformedXML()
    parts = []
    for element in req_doc.findall("Part"):
        number, etag = element.findtext("PartNumber"), element.findtext("ETag")
        if number is None or etag is None:
            raise errors.MalformedXML()
        checksums = multipart_checksums.requested_checksums(element)
        try:
            parts.append((int(number), etag.strip().strip('"'), checksums))
        except ValueError:
            raise errors.MalformedXML() from None
    if not parts:
        raise errors.MalformedXML()
    return parts


def _completed_result(req: OpRequest, info: ObjectInfo) -> OpResponse:
    """CompleteMultipartUpload's answer for the version `info` the upload produced."""
    doc = XmlDoc(
        "CompleteMultipartUploadResult",
        [
            ("Location", f"/{req.bucket}/{req.key}"),
            ("Bucket", req.bucket),
            ("Key", req.key),
            ("ETag", f'"{info.etag}"'),
            *checksum_elements(info),
        ],
    )
    return OpResponse(headers=written_headers(info.version_id), body=doc)


def _already_completed(services: Services, req: OpRequest) -> OpResponse | None:
    """The first answer again when the key's current version is this upload's object.

    S3 answers a repeated Complete of a finished upload with 200 and the object's ETag, so
    that an SDK retrying after a lost response does not fail; once the key is overwritten,
    the upload id is NoSuchUpload again.
    """
    _, store = req.authorized_bucket()
    upload_id = req.query.get("uploadId", "")
    current = store.head_object(req.bucket, req.key)
    if not upload_id or current is None or current.upload_id != upload_id:
        return None
    # A copy of the object keeps its metadata but has no parts: it is not the upload's.
    return _completed_result(req, current) if current.parts_count else None


async def complete_multipart_upload(services: Services, req: OpRequest) -> OpResponse:
    """POST /{bucket}/{key}?uploadId=U: assemble the listed parts into the object."""
    try:
        store, upload = find_upload(services, req)
    except errors.NoSuchUpload:
        repeated = _already_completed(services, req)
        if repeated is None:
            raise
        return repeated
    condition = precheck_write(store, req)
    requested = _requested_parts(await req.body.read_xml())
    numbers = [n for n, _, _ in requested]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise errors.InvalidPartOrder(UploadId=upload.upload_id)
    stored = {p.number: p for p in store.list_parts(upload, after=0, limit=MAX_PART_NUMBER)}
    chosen: list[PartInfo] = []
    for number, etag, _ in requested:
        part = stored.get(number)
        if part is None or part.etag != etag:
            raise errors.InvalidPart(UploadId=upload.upload_id, PartNumber=str(number), ETag=etag)
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise errors.EntityTooSmall(
                ProposedSize=str(part.size),
                MinSizeAllowed=str(MIN_PART_SIZE),
                PartNumber=str(part.number),
                ETag=part.etag,
            )
    info = upload.info
    info.etag = multipart_etag([p.etag for p in chosen])
    info.size = sum(p.size for p in chosen)
    info.last_modified = time.time()
    info.parts_count = len(chosen)
    info.checksums, info.checksum_type, kept = multipart_checksums.complete(
        req.headers, upload.info, chosen, {n: c for n, _, c in requested}, upload.upload_id
    )
    info.upload_id = upload.upload_id
    replicate = plan(req.authorized_bucket()[0], req.key, info.tags)
    info.version_id = await store.complete_upload(upload, kept, info, condition, replicate)
    return _completed_result(req, info)


async def abort_multipart_upload(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}/{key}?uploadId=U."""
    store, upload = find_upload(services, req)
    await store.abort_upload(upload)
    return OpResponse(status=204)


async def list_parts(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?uploadId=U, paged by part-number-marker."""
    store, upload = find_upload(services, req)
    try:
        marker = int(req.query.get("part-number-marker", "0") or 0)
        limit = min(int(req.query.get("max-parts", _MAX_PARTS_PAGE)), _MAX_PARTS_PAGE)
    except ValueError:
        raise errors.InvalidArgument("part-number-marker and max-parts must be integers") from None
    if limit < 0 or marker < 0:
        raise errors.InvalidArgument("part-number-marker and max-parts must not be negative")
    parts = store.list_parts(upload, after=marker, limit=limit + 1)
    page, truncated = parts[:limit], len(parts) > limit
    account = services.control.ensure_account(req.authorized_bucket()[0].account_id)
    owner = [("ID", account.canonical_id), ("DisplayName", account.id)]
    children: list[tuple[str, XmlValue]] = [
        ("Bucket", req.bucket),
        ("Key", req.key),
        ("UploadId", upload.upload_id),
        ("Initiator", owner),
        ("Owner", owner),
        ("StorageClass", upload.info.storage_class),
        ("ChecksumAlgorithm", multipart_checksums.chosen_algorithm(upload.info)),
        ("ChecksumType", upload.info.checksum_type or None),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", page[-1].number if page else marker),
        ("MaxParts", limit),
        ("IsTruncated", truncated),
    ]
    for part in page:
        children.append(
            (
                "Part",
                [
                    ("PartNumber", part.number),
                    ("LastModified", datetime.fromtimestamp(part.last_modified, UTC)),
                    ("ETag", f'"{part.etag}"'),
                    ("Size", part.size),
                    *[(f"Checksum{k}", v) for k, v in part.checksums.items()],
                ],
            )
        )
    return OpResponse(body=XmlDoc("ListPartsResult", children))
