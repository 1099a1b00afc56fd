"""Objects of a bucket: upload (one or many files, streamed), download, details, delete, and
versions (download or delete one)."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from mrap.console.calls_objects import object_details
from mrap.console.client import error_from
from mrap.console.uploads import upload_file
from mrap.console.web import (
    SESSION,
    calls,
    csrf_ok,
    page_url,
    redirect,
    refuse,
    render,
    streams_its_form,
)

_PASSED_HEADERS = ("Content-Type", "Content-Length", "ETag", "Last-Modified")
_MISSING_TOKEN = "The form is missing its security token. Reload it."


@streams_its_form
async def upload(request: web.Request) -> web.StreamResponse:
    """PutObject (multipart above 16 MiB) of each file of a multipart form: the CSRF token
    first, then the prefix, then the files."""
    bucket = request.match_info["bucket"]
    if request.content_type != "multipart/form-data":
        # The guard has read and checked this form already; it can hold no file.
        return redirect(page_url("buckets", bucket, message="Choose a file to upload."))
    reader = await request.multipart()
    fields: dict[str, str] = {}
    api = calls(request)
    stored: list[str] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name != "file":
            fields[part.name or ""] = (await part.read(decode=False)).decode()[:4096]
            continue
        if not csrf_ok(request[SESSION], fields.get("csrf", "")):
            return refuse(request, _MISSING_TOKEN)
        if part.filename:
            key = fields.get("prefix", "") + part.filename
            await upload_file(api, bucket, key, part)
            stored.append(key)
    if not csrf_ok(request[SESSION], fields.get("csrf", "")):
        return refuse(request, _MISSING_TOKEN)
    if not stored:
        message = "Choose a file to upload."
    elif len(stored) == 1:
        message = f"Uploaded {stored[0]}"
    else:
        message = f"Uploaded {len(stored)} files: {', '.join(stored)}"
    return redirect(page_url("buckets", bucket, prefix=fields.get("prefix", ""), message=message))


async def download(request: web.Request) -> web.StreamResponse:
    """GetObject (of a version when asked), streamed to the browser as an attachment."""
    bucket = request.match_info["bucket"]
    key = request.query.get("key", "")
    upstream = await calls(request).get_object(bucket, key, request.query.get("versionId", ""))
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


async def details_page(request: web.Request) -> web.StreamResponse:
    """HeadObject and GetObjectTagging of an object (or one version)."""
    bucket = request.match_info["bucket"]
    key = request.query.get("key", "")
    version_id = request.query.get("versionId", "")
    details = await object_details(calls(request), bucket, key, version_id)
    return render(
        request,
        "object.html",
        bucket=bucket,
        details=details,
        requested_version=version_id,
        folder=key.rpartition("/")[0] + "/" if "/" in key else "",
    )


async def delete_object(request: web.Request) -> web.StreamResponse:
    """DeleteObject: a delete marker where versioning is on, or one version when named."""
    bucket = request.match_info["bucket"]
    form = await request.post()
    key = str(form.get("key", ""))
    version_id = str(form.get("versionId", ""))
    await calls(request).delete_object(bucket, key, version_id)
    prefix = key.rpartition("/")[0] + "/" if "/" in key else ""
    if version_id:
        return redirect(
            page_url(
                "buckets",
                bucket,
                prefix=prefix,
                versions="on",
                message=f"Deleted version {version_id} of {key}",
            )
        )
    return redirect(page_url("buckets", bucket, prefix=prefix, message=f"Deleted {key}"))


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_post("/buckets/{bucket}/upload", upload)
    router.add_get("/buckets/{bucket}/download", download)
    router.add_get("/buckets/{bucket}/object", details_page)
    router.add_post("/buckets/{bucket}/objects/delete", delete_object)
