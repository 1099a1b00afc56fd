"""Buckets: list, create, delete, and a bucket's page (Objects, by folder and optionally with
their versions; Permissions)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mrap.console.calls_objects import list_object_versions
from mrap.console.client import ApiError
from mrap.console.pages_bucket_access import permissions_values
from mrap.console.pages_mraps import buckets_with_regions
from mrap.console.web import calls, page_url, redirect, render, state


async def list_page(request: web.Request) -> web.StreamResponse:
    """ListBuckets with each bucket's region."""
    buckets = await buckets_with_regions(calls(request))
    return render(request, "buckets.html", buckets=buckets)


# The x-amz-object-ownership values with the AWS console's words for them; the first is
# S3's default for new buckets.
OWNERSHIPS = (
    ("BucketOwnerEnforced", "ACLs disabled (recommended)", "Bucket owner enforced"),
    ("BucketOwnerPreferred", "ACLs enabled", "Bucket owner preferred"),
    ("ObjectWriter", "ACLs enabled", "Object writer"),
)


async def create_page(request: web.Request) -> web.StreamResponse:
    """The create-bucket form."""
    return render(
        request,
        "bucket_create.html",
        error=None,
        name="",
        region=state(request).regions[0],
        ownerships=OWNERSHIPS,
        ownership=OWNERSHIPS[0][0],
        object_lock=False,
    )


async def create(request: web.Request) -> web.StreamResponse:
    """CreateBucket in the chosen region, with its Object Ownership and Object Lock."""
    form = await request.post()
    name = str(form.get("name", "")).strip()
    region = str(form.get("region", "us-east-1"))
    ownership = str(form.get("ownership", ""))
    object_lock = form.get("object_lock") == "on"
    try:
        await calls(request).create_bucket(name, region, object_lock, ownership)
    except ApiError as exc:
        return render(
            request,
            "bucket_create.html",
            status=exc.status,
            error=exc,
            name=name,
            region=region,
            ownerships=OWNERSHIPS,
            ownership=ownership,
            object_lock=object_lock,
        )
    return redirect(page_url("buckets", name))


async def bucket_page(request: web.Request) -> web.StreamResponse:
    """The Objects tab (ListObjectsV2 or ListObjectVersions of one folder level) or the
    Permissions tab."""
    bucket = request.match_info["bucket"]
    api = calls(request)
    prefix = request.query.get("prefix", "")
    tab = "permissions" if request.query.get("tab") == "permissions" else "objects"
    versions = request.query.get("versions") == "on"
    values: dict[str, Any] = {}
    if tab == "permissions":
        values = await permissions_values(api, bucket)
    elif versions:
        values = {"listing": await list_object_versions(api, bucket, prefix)}
    else:
        values = {"listing": await api.list_objects(bucket, prefix)}
    crumbs = []
    so_far = ""
    for part in prefix.split("/")[:-1]:
        so_far += part + "/"
        crumbs.append((part, so_far))
    return render(
        request,
        "objects.html",
        bucket=bucket,
        tab=tab,
        prefix=prefix,
        crumbs=crumbs,
        versions=versions,
        message=request.query.get("message", ""),
        **values,
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


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/buckets", list_page)
    router.add_get("/create/bucket", create_page)
    router.add_post("/create/bucket", create)
    router.add_get("/buckets/{bucket}", bucket_page)
    router.add_get("/buckets/{bucket}/delete", delete_page)
    router.add_post("/buckets/{bucket}/delete", delete)
