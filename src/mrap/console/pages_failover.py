"""An access point's Replication and failover tab: routes with a confirmed Failover, the
replication rules among its buckets, `mrap replicate`, and the last hour's backlog and latency."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp
from aiohttp import web

from mrap.console.calls import AccessPoint, Calls
from mrap.console.calls_failover import (
    ACTIVE,
    PASSIVE,
    ReplicationRule,
    Route,
    get_bucket_replication,
    get_routes,
    replicate,
    submit_routes,
)
from mrap.console.charts import line_chart
from mrap.console.client import ApiError
from mrap.console.web import calls, page_url, redirect, render, state

_FRESH = 2.0  # a sample younger than this many seconds is recent enough for a page


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value else "0 s"


async def _rules(api: Calls, bucket: str) -> tuple[str, list[ReplicationRule], ApiError | None]:
    try:
        return bucket, await get_bucket_replication(api, bucket), None
    except ApiError as exc:
        return bucket, [], exc


async def replication_values(
    request: web.Request, api: Calls, point: AccessPoint
) -> dict[str, Any]:
    """What the tab shows: routes, each bucket's rules (or the error reading them), charts."""
    routes = await get_routes(api, point.arn(api.account))
    buckets = [r.bucket for r in point.regions]
    replication = await asyncio.gather(*(_rules(api, b) for b in buckets))
    console = state(request)
    if console.history.latest_age() > _FRESH:
        # Without a fresh sample the chart shows the ones it has.
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            await console.sample()
    now = time.time()
    points = console.history.points(buckets, now)
    return {
        "routes": routes,
        "replication": replication,
        "backlog_chart": line_chart(
            [(p.at, p.backlog) for p in points], now, "Replication backlog (versions)", _count
        ),
        "latency_chart": line_chart(
            [(p.at, p.latency) for p in points], now, "Replication latency", _seconds
        ),
        "samples": len(points),
        "message": request.query.get("message", ""),
    }


def _proposed(routes: list[Route], active: list[str]) -> list[Route]:
    return [Route(r.bucket, r.region, ACTIVE if r.bucket in active else PASSIVE) for r in routes]


async def _failover_form(
    request: web.Request, active: list[str], status: int = 200, error: ApiError | None = None
) -> web.Response:
    api = calls(request)
    point = await api.get_multi_region_access_point(request.match_info["name"])
    routes = await get_routes(api, point.arn(api.account))
    return render(
        request,
        "mrap_failover.html",
        status=status,
        point=point,
        routes=routes,
        proposed=_proposed(routes, active),
        error=error,
    )


async def failover_page(request: web.Request) -> web.StreamResponse:
    """Confirmation of new routing: each region's state now and after."""
    return await _failover_form(request, request.query.getall("active", []))


async def submit(request: web.Request) -> web.StreamResponse:
    """SubmitMultiRegionAccessPointRoutes: the checked buckets active, the others passive."""
    name = request.match_info["name"]
    form = await request.post()
    active = [str(b) for b in form.getall("active", [])]
    api = calls(request)
    point = await api.get_multi_region_access_point(name)
    routes = await get_routes(api, point.arn(api.account))
    dials = {r.bucket: r.dial for r in _proposed(routes, active)}
    try:
        await submit_routes(api, point.arn(api.account), dials)
    except ApiError as exc:
        return await _failover_form(request, active, exc.status, exc)
    regions = ", ".join(r.region for r in routes if r.bucket in active) or "none"
    return redirect(
        page_url("mraps", name, tab="replication", message=f"Routing updated. Active: {regions}.")
    )


async def replicate_now(request: web.Request) -> web.StreamResponse:
    """The `mrap replicate` extension: two-way replication among the access point's buckets."""
    name = request.match_info["name"]
    buckets = await replicate(calls(request), name)
    message = f"Replication configured among {', '.join(buckets)}; existing objects are copied too."
    return redirect(page_url("mraps", name, tab="replication", message=message))


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/mraps/{name}/failover", failover_page)
    router.add_post("/mraps/{name}/routes", submit)
    router.add_post("/mraps/{name}/replicate", replicate_now)
