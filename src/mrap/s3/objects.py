"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import unquote

from mrap import errors
from mrap.operation import FileBody, OpRequest, OpResponse, XmlDoc
from mrap.s3.access import owned_bucket
from mrap.s3.checksums import BodyCheck, body_check, checksum_headers
from mrap.s3.conditions import byte_range, evaluate
from mrap.s3.metadata import metadata_from, object_headers
from mrap.s3.names import check_key
from mrap.services import Services
from mrap.storage.base import ObjectInfo
from mrap.storage.local.store import iter_file

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
    _, store = owned_bucket(services, req.principal, req.bucket)
    check_key(req.key)
    check_upload_length(req, MAX_PUT_SIZE)
    info = metadata_from(req.headers, req.key)
    check = body_check(req.headers)
    blob = await store.write_blob(check.watch(req.body.chunks()))
    try:
        info.etag, info.checksums = check.verify()
        info.size = blob.size
        info.last_modified = time.time()
        await store.put_object(req.bucket, info, blob)
    except BaseException:
        store.discard_blob(blob)
        raise
    return OpResponse(headers={"ETag": f'"{info.etag}"', **checksum_headers(info.checksums)})


def _read_headers(req: OpRequest, info: ObjectInfo) -> dict[str, str]:
    headers = object_headers(info)
    if req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
        headers.update(checksum_headers(info.checksums))
    return headers


async def get_object(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}: the object's bytes, whole or a range."""
    _, store = owned_bucket(services, req.principal, req.bucket)
    _reject_version(req)
    opened = store.open_object(req.bucket, req.key)
    if opened is None:
        raise errors.NoSuchKey(Key=req.key)
    info, fh = opened
    try:
        return _read_response(req, info, fh)
    except BaseException:
        fh.close()
        raise


def _read_response(req: OpRequest, info: ObjectInfo, fh: BinaryIO) -> OpResponse:
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
    status, offset, length = 200, 0, info.size
    if span is not None:
        offset, length = span
        status = 206
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{info.size}"
        for name in list(headers):
            if name.startswith("x-amz-checksum-"):
                del headers[name]
    if req.method == "HEAD":
        fh.close()
        headers["Content-Length"] = str(length)
        return OpResponse(status=status, headers=headers)
    return OpResponse(status=status, headers=headers, body=FileBody(fh, offset, length))


async def head_object(services: Services, req: OpRequest) -> OpResponse:
    """HEAD /{bucket}/{key}: the object's metadata."""
    return await get_object(services, req)


def _reject_version(req: OpRequest) -> None:
    version = req.query.get("versionId")
    if version is not None and version != "null":
        raise errors.NoSuchVersion(Key=req.key, VersionId=version)


async def delete_object(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}/{key}: remove the object (no error when it is already gone)."""
    _, store = owned_bucket(services, req.principal, req.bucket)
    _reject_version(req)
    await store.delete_object(req.bucket, req.key)
    return OpResponse(status=204)


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """(bucket, key, versionId) of an `x-amz-copy-source` header."""
    source, _, query = value.partition("?")
    version = None
    if query.startswith("versionId="):
        version = unquote(query[len("versionId=") :])
    bucket, sep, key = unquote(source).lstrip("/").partition("/")
    if not bucket or not sep or not key:
        raise errors.InvalidArgument(
            "Invalid copy source object key",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    return bucket, key, version


async def copy_object(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key} with x-amz-copy-source: copy an object, across regions too."""
    _, dest = owned_bucket(services, req.principal, req.bucket)
    check_key(req.key)
    src_bucket, src_key, version = parse_copy_source(req.headers["x-amz-copy-source"])
    _, source = owned_bucket(services, req.principal, src_bucket)
    if version is not None and version != "null":
        raise errors.NoSuchVersion(Key=src_key, VersionId=version)
    directive = req.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise errors.InvalidArgument(
            "Unknown metadata directive.",
            ArgumentName="x-amz-metadata-directive",
            ArgumentValue=directive,
        )
    if (src_bucket, src_key) == (req.bucket, req.key) and directive == "COPY":
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    opened = source.open_object(src_bucket, src_key)
    if opened is None:
        raise errors.NoSuchKey(Key=src_key)
    src_info, fh = opened
    with fh:
        if evaluate(req.headers, src_info, prefix="x-amz-copy-source-if-"):
            raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-Match")
        if src_info.size > MAX_PUT_SIZE:
            raise errors.InvalidRequest(
                "The specified copy source is larger than the maximum allowable size for a "
                f"copy source: {MAX_PUT_SIZE}"
            )
        if directive == "REPLACE":
            info = metadata_from(req.headers, req.key)
        else:
            info = replace(src_info, key=req.key, parts_count=0)
        check = BodyCheck()
        blob = await dest.write_blob(check.watch(iter_file(fh, 0, src_info.size)))
    try:
        info.etag, _ = check.verify()
        info.checksums = {} if src_info.parts_count else dict(src_info.checksums)
        info.size = blob.size
        info.last_modified = time.time()
        await dest.put_object(req.bucket, info, blob)
    except BaseException:
        dest.discard_blob(blob)
        raise
    doc = XmlDoc(
        "CopyObjectResult",
        [
            ("LastModified", datetime.fromtimestamp(info.last_modified, UTC)),
            ("ETag", f'"{info.etag}"'),
            *[(f"Checksum{name}", value) for name, value in info.checksums.items()],
        ],
    )
    return OpResponse(body=doc)
