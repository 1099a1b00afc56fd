"""UploadPartCopy: a part of a multipart upload copied from (a range of) an object.

The source may live in another region: its bytes are streamed from the source region's
store into a new part in the upload's.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from mrap import errors
from mrap.api.s3 import multipart_checksums
from mrap.api.s3.checksums import DEFAULT_ALGORITHM, BodyCheck
from mrap.api.s3.encryption import refuse_encryption
from mrap.api.s3.multipart import MAX_PART_SIZE, find_upload, request_part_number
from mrap.api.s3.objects import open_copy_source, parse_copy_source
from mrap.api.s3.storage_class import check_readable
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services
from mrap.storage.base import PartInfo, iter_file

_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


def copy_range(value: str | None, size: int) -> tuple[int, int]:
    """(offset, length) of `x-amz-copy-source-range` (the whole source when absent).

    Only `bytes=first-last` is accepted (InvalidArgument otherwise); a range reaching past
    the source's end is InvalidRange.
    """
    if value is None:
        return 0, size
    match = _COPY_RANGE.fullmatch(value.strip())
    if match is None or int(match.group(1)) > int(match.group(2)):
        raise errors.InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where "
            "first and last are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=value,
        )
    first, last = int(match.group(1)), int(match.group(2))
    if last >= size:
        raise errors.InvalidRange(RangeRequested=value, ActualObjectSize=str(size))
    return first, last - first + 1


async def upload_part_copy(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?partNumber=N&uploadId=U with x-amz-copy-source."""
    number = request_part_number(req)
    store, upload = find_upload(services, req)
    refuse_encryption(req.headers)
    src_bucket, src_key, version = parse_copy_source(req.headers["x-amz-copy-source"])
    src_info, fh = open_copy_source(services, req, src_bucket, src_key, version)
    with fh:
        check_readable(src_info, copy_source=True)
        offset, length = copy_range(req.headers.get("x-amz-copy-source-range"), src_info.size)
        if length > MAX_PART_SIZE:
            raise errors.InvalidRequest(
                "The specified copy source is larger than the maximum allowable size for a "
                f"copy source: {MAX_PART_SIZE}"
            )
        check = BodyCheck()
        check.compute(multipart_checksums.chosen_algorithm(upload.info) or DEFAULT_ALGORITHM)
        blob = await store.write_blob(check.watch(iter_file(fh, offset, length)))
    try:
        etag, checksums = check.verify()
        part = PartInfo(number, blob.size, etag, time.time(), checksums)
        await store.put_part(upload, part, blob)
    except BaseException:
        store.discard_blob(blob)
        raise
    doc = XmlDoc(
        "CopyPartResult",
        [
            ("LastModified", datetime.fromtimestamp(part.last_modified, UTC)),
            ("ETag", f'"{etag}"'),
            *[(f"Checksum{name}", value) for name, value in checksums.items()],
        ],
    )
    headers = {}
    if src_info.version_id is not None:
        headers["x-amz-copy-source-version-id"] = src_info.version_id
    return OpResponse(headers=headers, body=doc)
