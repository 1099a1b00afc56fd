"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import unquote

from mrap import errors
from mrap.api.s3.acl import acl_for_new_object
from mrap.api.s3.checksums import (
    DEFAULT_ALGORITHM,
    FULL_OBJECT,
    BodyCheck,
    body_check,
    checksum_elements,
    checksum_headers,
    copy_algorithm,
    header_name,
)
from mrap.api.s3.conditions import byte_range, evaluate, precheck_write
from mrap.api.s3.encryption import refuse_encryption
from mrap.api.s3.metadata import metadata_from, object_headers
from mrap.api.s3.object_lock import check_deletable, lock_for_upload, lock_headers
from mrap.api.s3.parts import PartSpan, part_number, part_span
from mrap.api.s3.storage_class import (
    check_readable,
    class_headers,
    has_class_header,
    requested_class,
)
from mrap.api.s3.tagging import tags_from_header, with_header_tags
from mrap.api.s3.versioning import (
    check_version_id,
    not_found,
    valid_version_id,
    version_headers,
    written_headers,
)
from mrap.authz.access import other_bucket
from mrap.names import check_key
from mrap.operation import FileBody, OpRequest, OpResponse, XmlDoc
from mrap.replication.rules import plan
from mrap.routing.dataplane import is_alias
from mrap.services import Services
from mrap.storage.base import LOCK_FIELDS, ObjectInfo, iter_file

MAX_PUT_SIZE = 5 * 1024**3
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def check_upload_length(req: OpRequest, maximum: int) -> None:
    """Uploads need a length (or chunked framing) and may not exceed `maximum`."""
    if req.content_length is None:
        if "chunked" not in req.headers.get("transfer-encoding", "").lower():
            raise errors.MissingContentLength()
    elif req.content_length > maximum:
        raise errors.EntityTooLarge(
            ProposedSize=str(req.content_length), MaxSizeAllowed=str(maximum)
        )


async def put_object(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}: store a whole object."""
    record, store = req.authorized_bucket()
    check_key(req.key)
    refuse_encryption(req.headers)
    check_upload_length(req, MAX_PUT_SIZE)
    info = with_header_tags(metadata_from(req.headers, req.key), req.headers)
    info.storage_class = requested_class(req.headers)
    info.acl = acl_for_new_object(services, req, record)
    for name, value in lock_for_upload(req, record).items():
        setattr(info, name, value)
    condition = precheck_write(store, req)
    check = body_check(req.headers, default=DEFAULT_ALGORITHM)
    blob = await store.write_blob(check.watch(req.body.chunks()))
    try:
        info.etag, info.checksums = check.verify(req.body.trailers)
        info.checksum_type = FULL_OBJECT
        info.size = blob.size
        info.last_modified = time.time()
        replicate = plan(record, req.key, info.tags)
        version_id = await store.put_object(req.bucket, info, blob, condition, replicate)
    except BaseException:
        store.discard_blob(blob)
        raise
    headers = {"ETag": f'"{info.etag}"', **checksum_headers(info)}
    return OpResponse(headers={**headers, **written_headers(version_id)})


def _read_headers(req: OpRequest, info: ObjectInfo) -> dict[str, str]:
    headers = object_headers(info)
    headers.update(version_headers(info))
    headers.update(class_headers(info))
    if info.replication_status:
        headers["x-amz-replication-status"] = info.replication_status
    if info.tags:
        headers["x-amz-tagging-count"] = str(len(info.tags))
    headers.update(lock_headers(info))
    if _checksum_mode(req):
        headers.update(checksum_headers(info))
    return headers


def _checksum_mode(req: OpRequest) -> bool:
    return req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"


def read_params(req: OpRequest) -> tuple[str | None, int | None]:
    """GetObject's and HeadObject's `versionId` and `partNumber`, checked (before access)."""
    version_id = check_version_id(req)
    raw_part = req.query.get("partNumber")
    number = part_number(raw_part) if raw_part is not None else None
    if number is not None and "range" in req.headers:
        raise errors.InvalidRequest(
            "Cannot specify both Range header and partNumber query parameter"
        )
    return version_id, number


async def get_object(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}: the object's bytes, whole, a range or one part (`partNumber`)."""
    version_id, number = read_params(req)
    _, store = req.authorized_bucket()
    refuse_encryption(req.headers)
    info, fh = store.open_object(req.bucket, req.key, version_id) or (None, None)
    if info is None or fh is None:  # no such key or version, or a delete marker
        raise not_found(req.method, req.key, version_id, info)
    try:
        if req.method != "HEAD":  # HEAD shows an archived object's metadata
            check_readable(info)
        part = part_span(store, req.bucket, info, number) if number is not None else None
        return _read_response(req, info, fh, part)
    except BaseException:
        fh.close()
        raise


def _read_response(
    req: OpRequest, info: ObjectInfo, fh: BinaryIO, part: PartSpan | None
) -> OpResponse:
    headers = _read_headers(req, info)
    outcome = evaluate(req.headers, info)
    if outcome == 412:
        raise errors.PreconditionFailed(Condition="If-Match")
    if outcome == 304:
        fh.close()
        return OpResponse(
            status=304, headers={"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]}
        )
    for param, header in _RESPONSE_OVERRIDES.items():
        if param in req.query:
            headers[header] = req.query[param]
    span = byte_range(req.headers.get("range"), info.size)
    if part is not None:
        if part.count:
            headers["x-amz-mp-parts-count"] = str(part.count)
        span = (part.offset, part.length) if info.size else None
    status, offset, length = 200, 0, info.size
    if span is not None:
        offset, length = span
        status = 206
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{info.size}"
        if part is None or part.count:
            # A range has no checksum; a part shows its own (when its upload chose one).
            headers = {n: v for n, v in headers.items() if not n.startswith("x-amz-checksum-")}
            if part is not None and _checksum_mode(req):
                headers.update({header_name(n): v for n, v in part.checksums.items()})
    if req.method == "HEAD":
        fh.close()
        headers["Content-Length"] = str(length)
        return OpResponse(status=status, headers=headers)
    return OpResponse(status=status, headers=headers, body=FileBody(fh, offset, length))


async def head_object(services: Services, req: OpRequest) -> OpResponse:
    """HEAD /{bucket}/{key}: the object's metadata."""
    return await get_object(services, req)


async def delete_object(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}/{key}: remove the object, or add a delete marker when versioned;
    with versionId, remove that version for good (no error when it is already gone)."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    if version_id is not None:
        check_deletable(req, record, store.head_object(req.bucket, req.key, version_id))
    # Deletes of a version are never replicated; a new delete marker may be.
    replicate = None if version_id else plan(record, req.key, {}, delete_marker=True)
    result = await store.delete_object(req.bucket, req.key, version_id, replicate)
    headers = written_headers(result.version_id)
    if result.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return OpResponse(status=204, headers=headers)


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """(bucket, key, versionId) of an `x-amz-copy-source` header."""
    source, _, query = value.partition("?")
    version = None
    if query.startswith("versionId="):
        version = unquote(query[len("versionId=") :])
    bucket, sep, key = unquote(source).lstrip("/").partition("/")
    # A Multi-Region Access Point (its alias, or its ARN: `arn:aws:s3::ACCOUNT:accesspoint/…`,
    # no region) may only be the destination of a copy (CopyObject API reference).
    if is_alias(bucket) or bucket.startswith("arn:aws:s3::"):
        raise errors.InvalidArgument(
            "Multi-Region Access Points are supported only as the destination of a copy",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    if not bucket or not sep or not key:
        raise errors.InvalidArgument(
            "Invalid copy source object key",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    return bucket, key, version


def open_copy_source(
    services: Services, req: OpRequest, bucket: str, key: str, version: str | None
) -> tuple[ObjectInfo, BinaryIO]:
    """The source of a copy, opened, once its `x-amz-copy-source-if-*` conditions hold."""
    action = "s3:GetObjectVersion" if version else "s3:GetObject"
    # The source is read from its bucket directly, also when the destination is an access
    # point: neither the access point's policy nor its delegation governs it.
    direct = replace(req, access_point=None) if req.access_point is not None else req
    _, source = other_bucket(services, direct, bucket, action=action, key=key)
    req.charged_to = direct.charged_to  # a Requester Pays source charges this request
    if version is not None and not valid_version_id(version):
        raise errors.InvalidArgument(
            "Invalid version id specified", ArgumentName="versionId", ArgumentValue=version
        )
    opened = source.open_object(bucket, key, version)
    if opened is None:
        raise not_found(req.method, key, version, None)
    info, fh = opened
    if fh is None:
        if version is None:
            raise errors.NoSuchKey(Key=key)
        raise errors.InvalidRequest(
            "The source of a copy request may not specifically refer to a delete marker "
            "by version id."
        )
    if evaluate(req.headers, info, prefix="x-amz-copy-source-if-"):
        fh.close()
        raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-Match")
    return info, fh


async def copy_object(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key} with x-amz-copy-source: copy an object, across regions too."""
    record, dest = req.authorized_bucket()
    check_key(req.key)
    refuse_encryption(req.headers)
    # Nor the source's class: the header's, else STANDARD (CopyObject API reference).
    storage_class = requested_class(req.headers)
    # A copy gets the ACL its own headers ask for (the default without), never the source's.
    acl = acl_for_new_object(services, req, record)
    # Nor the source's Object Lock: its own headers, else the bucket's default retention.
    lock = dict.fromkeys(LOCK_FIELDS, "") | lock_for_upload(req, record)
    src_bucket, src_key, version = parse_copy_source(req.headers["x-amz-copy-source"])
    directive = _directive(req, "x-amz-metadata-directive", "metadata")
    tag_directive = _directive(req, "x-amz-tagging-directive", "tagging")
    # Copying an older version over its own key is how one restores it.
    onto_itself = (src_bucket, src_key) == (req.bucket, req.key) and not version
    if onto_itself and directive == "COPY" and not has_class_header(req.headers):
        raise _copy_to_itself()
    condition = precheck_write(dest, req)
    src_info, fh = open_copy_source(services, req, src_bucket, src_key, version)
    with fh:
        if onto_itself and directive == "COPY" and storage_class == src_info.storage_class:
            raise _copy_to_itself()
        check_readable(src_info, copy_source=True)
        if src_info.size > MAX_PUT_SIZE:
            raise errors.InvalidRequest(
                "The specified copy source is larger than the maximum allowable size for a "
                f"copy source: {MAX_PUT_SIZE}"
            )
        if directive == "REPLACE":
            info = metadata_from(req.headers, req.key)
        else:
            info = replace(src_info, key=req.key, parts_count=0, version_id=None)
        # A restored copy belongs to the source version; the new version starts without one.
        info.restore_ready = info.restore_expiry = 0.0
        info.storage_class = storage_class
        info.tags = dict(src_info.tags)
        info.acl = acl
        for name, value in lock.items():
            setattr(info, name, value)
        if tag_directive == "REPLACE":
            info.tags = tags_from_header(req.headers.get("x-amz-tagging", ""))
        check = BodyCheck()
        check.compute(copy_algorithm(req.headers, src_info))
        blob = await dest.write_blob(check.watch(iter_file(fh, 0, src_info.size)))
    try:
        info.etag, info.checksums = check.verify()
        info.checksum_type = FULL_OBJECT
        info.size = blob.size
        info.last_modified = time.time()
        replicate = plan(record, req.key, info.tags)
        version_id = await dest.put_object(req.bucket, info, blob, condition, replicate)
    except BaseException:
        dest.discard_blob(blob)
        raise
    doc = XmlDoc(
        "CopyObjectResult",
        [
            ("LastModified", datetime.fromtimestamp(info.last_modified, UTC)),
            ("ETag", f'"{info.etag}"'),
            *checksum_elements(info),
        ],
    )
    headers = written_headers(version_id)
    if src_info.version_id is not None:
        headers["x-amz-copy-source-version-id"] = src_info.version_id
    return OpResponse(headers=headers, body=doc)


def _copy_to_itself() -> errors.S3Error:
    return errors.InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself "
        "without changing the object's metadata, storage class, website redirect location "
        "or encryption attributes."
    )


def _directive(req: OpRequest, header: str, what: str) -> str:
    # Case-sensitive: AWS refuses `copy` as an unknown directive.
    value = req.headers.get(header, "COPY")
    if value not in ("COPY", "REPLACE"):
        raise errors.InvalidArgument(
            f"Unknown {what} directive.", ArgumentName=header, ArgumentValue=value
        )
    return value
