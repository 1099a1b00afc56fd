"""Uploads from the browser, streamed on to the gateway a part at a time.

A file up to `PART_SIZE` goes in one PutObject; a larger one through CreateMultipartUpload,
UploadPart for each `PART_SIZE` slice as it arrives, and CompleteMultipartUpload, so the console
holds at most one part of it in memory and never writes it to disk.
"""

from __future__ import annotations

import contextlib

import aiohttp
from aiohttp import BodyPartReader

from mrap.console.calls import Calls
from mrap.console.calls_objects import (
    abort_multipart_upload,
    complete_multipart_upload,
    create_multipart_upload,
    put_object_bytes,
    upload_part,
)
from mrap.console.client import ApiError

PART_SIZE = 16 << 20  # also the size above which an upload is multipart
_READ = 1 << 20


async def _read_up_to(part: BodyPartReader, size: int) -> bytes:
    """The next `size` bytes of a form field's body (fewer at its end)."""
    data = bytearray()
    while len(data) < size:
        chunk = await part.read_chunk(min(_READ, size - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def upload_file(api: Calls, bucket: str, key: str, part: BodyPartReader) -> int:
    """Store one uploaded file at `key`; its size."""
    content_type = part.headers.get("Content-Type", "application/octet-stream")
    data = await _read_up_to(part, PART_SIZE)
    if len(data) < PART_SIZE:
        await put_object_bytes(api, bucket, key, data, content_type)
        return len(data)
    upload_id = await create_multipart_upload(api, bucket, key, content_type)
    size = 0
    try:
        etags: list[str] = []
        while data:
            etags.append(await upload_part(api, bucket, key, upload_id, len(etags) + 1, data))
            size += len(data)
            data = await _read_up_to(part, PART_SIZE)
        await complete_multipart_upload(api, bucket, key, upload_id, etags)
    except BaseException:
        # The browser left or a part was refused: no half-uploaded object stays behind.
        with contextlib.suppress(ApiError, aiohttp.ClientError):
            await abort_multipart_upload(api, bucket, key, upload_id)
        raise
    return size
