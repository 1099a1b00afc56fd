"""Buckets and their objects: list, create, delete, browse by prefix, upload, download."""

from __future__ import annotations

import hashlib
import tempfile
from typing import IO

from aiohttp import BodyPartReader, web

from mrap.console.calls import Calls
from mrap.console.client import ApiError, error_from
from mrap.console.pages_mraps import buckets_with_regions
from mrap.console.web import (
    SESSION,
    calls,
    csrf_ok,
    page_url,
    redirect,
    refuse,
    render,
    state,
)

_SPOOL = 8 << 20  # uploads up to this size stay in memory on their way to PutObject
_PASSED_HEADERS = ("Content-Type", "Content-Length", "ETag", "Last-Modified")


async def list_page(request: web.Request) -> web.StreamResponse:
    """ListBuckets with each bucket's region."""
    buckets = await buckets_with_regions(calls(request))
    return render(request, "buckets.html", buckets=buckets)


async def create_page(request: web.Request) -> web.StreamResponse:
    """The create-bucket form."""
    region = state(request).regions[0]
    return render(request, "bucket_create.html", error=None, name="", region=region)


async def create(request: web.Request) -> web.StreamResponse:
    """CreateBucket in the chosen region."""
    form = await request.post()
    name = str(form.get("name", "")).strip()
    region = str(form.get("region", "us-east-1"))
    try:
        await calls(request).create_bucket(name, region)
    except ApiError as exc:
        return render(
            request, "bucket_create.html", status=exc.status, error=exc, name=name, region=region
        )
    return redirect(page_url("buckets", name))


async def objects_page(request: web.Request) -> web.StreamResponse:
    """ListObjectsV2 of one folder level of a bucket."""
    bucket = request.match_info["bucket"]
    prefix = request.query.get("prefix", "")
    listing = await calls(request).list_objects(bucket, prefix)
    crumbs = []
    so_far = ""
    for part in prefix.split("/")[:-1]:
        so_far += part + "/"
        crumbs.append((part, so_far))
    return render(
        request,
        "objects.html",
        bucket=bucket,
        prefix=prefix,
        crumbs=crumbs,
        listing=listing,
        message=request.query.get("message", ""),
    )


async def delete_page(request: web.Request) -> web.StreamResponse:
    """Confirmation before DeleteBucket."""
    return render(request, "bucket_delete.html", bucket=request.match_info["bucket"], error=None)


async def delete(request: web.Request) -> web.StreamResponse:
    """DeleteBucket once the typed name matches."""
    bucket = request.match_info["bucket"]
    form = await request.post()
    error: ApiError | None = None
    if str(form.get("confirm", "")) != bucket:
        error = ApiError("NotConfirmed", f"Type {bucket} to confirm the deletion.", 400)
    else:
        try:
            await calls(request).delete_bucket(bucket)
        except ApiError as exc:
            error = exc
    if error is not None:
        return render(
            request, "bucket_delete.html", status=error.status, bucket=bucket, error=error
        )
    return redirect("/buckets")


async def _spool(part: BodyPartReader, file: IO[bytes]) -> tuple[int, str]:
    """Copy an uploaded file part into `file`: its size and SHA-256 (for the signature)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := await part.read_chunk(1 << 20):
        digest.update(chunk)
        size += len(chunk)
        file.write(chunk)
    file.seek(0)
    return size, digest.hexdigest()


async def upload(request: web.Request) -> web.StreamResponse:
    """PutObject of one file from a multipart form: the CSRF token first, then prefix and file."""
    bucket = request.match_info["bucket"]
    reader = await request.multipart()
    fields: dict[str, str] = {}
    api: Calls = calls(request)
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name != "file":
            fields[part.name or ""] = (await part.read(decode=False)).decode()[:4096]
            continue
        if not csrf_ok(request[SESSION], fields.get("csrf", "")):
            return refuse(request, "The form is missing its security token. Reload it.")
        filename = part.filename or ""
        if not filename:
            break
        key = fields.get("prefix", "") + filename
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        with tempfile.SpooledTemporaryFile(_SPOOL) as file:
            size, sha256 = await _spool(part, file)
            await api.put_object(bucket, key, file, size, sha256, content_type)
        return redirect(
            page_url("buckets", bucket, prefix=fields.get("prefix", ""), message=f"Uploaded {key}")
        )
    if not csrf_ok(request[SESSION], fields.get("csrf", "")):
        return refuse(request, "The form is missing its security token. Reload it.")
    return redirect(
        page_url(
            "buckets", bucket, prefix=fields.get("prefix", ""), message="Choose a file to upload."
        )
    )


async def download(request: web.Request) -> web.StreamResponse:
    """GetObject, streamed to the browser as an attachment."""
    bucket = request.match_info["bucket"]
    key = request.query.get("key", "")
    upstream = await calls(request).get_object(bucket, key)
    async with upstream:
        if upstream.status >= 300:
            raise error_from(upstream.status, await upstream.read())
        response = web.StreamResponse(status=200)
        for name in _PASSED_HEADERS:
            if name in upstream.headers:
                response.headers[name] = upstream.headers[name]
        filename = key.rpartition("/")[2] or "download"
        response.headers["Content-Disposition"] = (
            "attachment; filename*=UTF-8''" + page_url(filename)[1:]
        )
        await response.prepare(request)
        async for chunk in upstream.content.iter_chunked(1 << 20):
            await response.write(chunk)
        await response.write_eof()
        return response


async def delete_object(request: web.Request) -> web.StreamResponse:
    """DeleteObject (a delete marker where versioning is on)."""
    bucket = request.match_info["bucket"]
    form = await request.post()
    key = str(form.get("key", ""))
    await calls(request).delete_object(bucket, key)
    prefix = key.rpartition("/")[0] + "/" if "/" in key else ""
    return redirect(page_url("buckets", bucket, prefix=prefix, message=f"Deleted {key}"))


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/buckets", list_page)
    router.add_get("/create/bucket", create_page)
    router.add_post("/create/bucket", create)
    router.add_get("/buckets/{bucket}", objects_page)
    router.add_get("/buckets/{bucket}/delete", delete_page)
    router.add_post("/buckets/{bucket}/delete", delete)
    router.add_post("/buckets/{bucket}/upload", upload)
    router.add_get("/buckets/{bucket}/download", download)
    router.add_post("/buckets/{bucket}/objects/delete", delete_object)
