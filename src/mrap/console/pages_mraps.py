"""Multi-Region Access Points: list, create (waiting for the operation), details, policy, delete."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from mrap.console.calls import PUBLIC_ACCESS_BLOCK, AccessPoint, Bucket, Calls, pretty_policy
from mrap.console.calls_access import get_account_public_access_block
from mrap.console.client import ApiError
from mrap.console.pages_failover import replication_values
from mrap.console.policy_builder import (
    ACCESS_POINT_ACTIONS,
    EFFECTS,
    add_statement,
    statement_from_form,
)
from mrap.console.web import calls, page_url, redirect, render

_FINISHED = ("SUCCEEDED", "FAILED")
_TABS = ("properties", "permissions", "replication", "operations")


async def list_page(request: web.Request) -> web.StreamResponse:
    """ListMultiRegionAccessPoints as a table."""
    points = await calls(request).list_multi_region_access_points()
    return render(request, "mraps.html", points=points)


async def buckets_with_regions(api: Calls) -> list[Bucket]:
    """ListBuckets, each with GetBucketLocation's region ("" where the caller may not ask)."""
    buckets = await api.list_buckets()

    async def locate(bucket: Bucket) -> Bucket:
        try:
            region = await api.get_bucket_location(bucket.name)
        except ApiError:
            region = ""
        return Bucket(bucket.name, bucket.created, region)

    return list(await asyncio.gather(*(locate(b) for b in buckets)))


async def _create_form(
    request: web.Request,
    status: int = 200,
    error: ApiError | None = None,
    name: str = "",
    chosen: list[str] | None = None,
    block: dict[str, bool] | None = None,
) -> web.Response:
    buckets = await buckets_with_regions(calls(request))
    return render(
        request,
        "mrap_create.html",
        status=status,
        error=error,
        name=name,
        buckets=buckets,
        chosen=chosen or [],
        block=block or dict.fromkeys(PUBLIC_ACCESS_BLOCK, True),
        settings=PUBLIC_ACCESS_BLOCK,
    )


async def create_page(request: web.Request) -> web.StreamResponse:
    """The create form: a name, a bucket per region, Block Public Access (all on)."""
    return await _create_form(request)


async def create(request: web.Request) -> web.StreamResponse:
    """CreateMultiRegionAccessPoint, then the page that waits for the operation."""
    form = await request.post()
    name = str(form.get("name", "")).strip()
    chosen = [str(b) for b in form.getall("bucket", [])]
    block = {setting: setting in form for setting in PUBLIC_ACCESS_BLOCK}
    api = calls(request)
    try:
        token = await api.create_multi_region_access_point(name, chosen, block)
    except ApiError as exc:
        return await _create_form(request, exc.status, exc, name, chosen, block)
    return _started(token)


def _started(token: str) -> web.Response:
    """Go and wait for an operation just started."""
    return redirect(page_url("operation", arn=token))


async def operation_page(request: web.Request) -> web.StreamResponse:
    """DescribeMultiRegionAccessPointOperation, reloaded every second until it finishes."""
    token = request.query.get("arn", "")
    op = await calls(request).describe_multi_region_access_point_operation(token)
    return render(request, "operation.html", op=op, token=token, finished=op.status in _FINISHED)


async def detail_page(request: web.Request) -> web.StreamResponse:
    """An access point's Properties, Permissions, Replication and failover, or Operations tab."""
    name = request.match_info["name"]
    tab = request.query.get("tab", "properties")
    if tab not in _TABS:
        tab = "properties"
    api = calls(request)
    point = await api.get_multi_region_access_point(name)
    values: dict[str, Any] = {}
    if tab == "permissions":
        established, proposed = await api.get_multi_region_access_point_policy(name)
        values = {
            "established": pretty_policy(established) if established else "",
            "proposed": pretty_policy(proposed) if proposed and proposed != established else "",
            "public": await api.get_multi_region_access_point_policy_status(name),
            "settings": PUBLIC_ACCESS_BLOCK,
        }
        try:
            values["account_block"] = await get_account_public_access_block(api)
        except ApiError as exc:
            values["account_block"] = exc
    elif tab == "replication":
        values = await replication_values(request, api, point)
    elif tab == "operations":
        values = {"operations": await api.list_multi_region_access_point_operations(name)}
    return render(
        request, "mrap_detail.html", point=point, arn=point.arn(api.account), tab=tab, **values
    )


def policy_template(point: AccessPoint, account: str) -> str:
    """A starting document for an access point with no policy: the account may read objects."""
    arn = point.arn(account)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": ["s3:GetObject"],
                    "Resource": f"{arn}/object/*",
                }
            ],
        },
        indent=2,
    )


async def _policy_form(
    request: web.Request, text: str | None, status: int = 200, error: ApiError | None = None
) -> web.Response:
    name = request.match_info["name"]
    api = calls(request)
    point = await api.get_multi_region_access_point(name)
    if text is None:
        established, proposed = await api.get_multi_region_access_point_policy(name)
        current = proposed or established
        text = pretty_policy(current) if current else policy_template(point, api.account)
    arn = point.arn(api.account)
    return render(
        request,
        "mrap_policy.html",
        status=status,
        point=point,
        arn=arn,
        text=text,
        error=error,
        effects=EFFECTS,
        actions=ACCESS_POINT_ACTIONS,
        resources=f"{arn}\n{arn}/object/*",
    )


async def policy_page(request: web.Request) -> web.StreamResponse:
    """The policy editor (Edit on the Permissions tab)."""
    return await _policy_form(request, None)


async def put_policy(request: web.Request) -> web.StreamResponse:
    """PutMultiRegionAccessPointPolicy; its error is shown above the editor, text kept."""
    name = request.match_info["name"]
    form = await request.post()
    text = str(form.get("policy", ""))
    api = calls(request)
    try:
        token = await api.put_multi_region_access_point_policy(name, text)
    except ApiError as exc:
        return await _policy_form(request, text, exc.status, exc)
    return _started(token)


async def add_policy_statement(request: web.Request) -> web.StreamResponse:
    """Add statement: the editor again, its text with the new statement merged in (unsaved)."""
    form = await request.post()
    text = str(form.get("policy", ""))
    statement = statement_from_form(form)
    try:
        merged = add_statement(text, statement, ACCESS_POINT_ACTIONS)
    except ApiError as exc:
        return await _policy_form(request, text, exc.status, exc)
    return await _policy_form(request, merged)


async def delete_page(request: web.Request) -> web.StreamResponse:
    """Confirmation: the user types the access point's name."""
    point = await calls(request).get_multi_region_access_point(request.match_info["name"])
    return render(request, "mrap_delete.html", point=point, error=None)


async def delete(request: web.Request) -> web.StreamResponse:
    """DeleteMultiRegionAccessPoint once the typed name matches."""
    name = request.match_info["name"]
    form = await request.post()
    api = calls(request)
    if str(form.get("confirm", "")) != name:
        point = await api.get_multi_region_access_point(name)
        error = ApiError("NotConfirmed", f"Type {name} to confirm the deletion.", 400)
        return render(request, "mrap_delete.html", status=400, point=point, error=error)
    token = await api.delete_multi_region_access_point(name)
    return _started(token)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/mraps", list_page)
    router.add_get("/create/mrap", create_page)
    router.add_post("/create/mrap", create)
    router.add_get("/operation", operation_page)
    router.add_get("/mraps/{name}", detail_page)
    router.add_get("/mraps/{name}/policy", policy_page)
    router.add_post("/mraps/{name}/policy", put_policy)
    router.add_post("/mraps/{name}/policy/statement", add_policy_statement)
    router.add_get("/mraps/{name}/delete", delete_page)
    router.add_post("/mraps/{name}/delete", delete)
