"""Builds the console's aiohttp application."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from mrap.config import Settings
from mrap.console import (
    pages_auth,
    pages_bucket_access,
    pages_buckets,
    pages_failover,
    pages_iam,
    pages_mraps,
    pages_objects,
)
from mrap.console.web import STATE, ConsoleState, guard


def create_app(gateway_address: str, domain: str, regions: tuple[str, ...]) -> web.Application:
    """The console, calling the gateway's S3 port at `gateway_address` (`host:port`)."""
    # Forms are small; uploads stream their multipart body without this limit.
    app = web.Application(middlewares=[guard], client_max_size=1 << 20)
    console = ConsoleState(gateway_address, domain, regions)
    app[STATE] = console

    async def start(_app: web.Application) -> None:
        await console.open()

    async def stop(_app: web.Application) -> None:
        await console.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_static("/static/", Path(__file__).parent / "static", name="static")
    pages_auth.add_routes(app.router)
    pages_mraps.add_routes(app.router)
    pages_failover.add_routes(app.router)
    pages_buckets.add_routes(app.router)
    pages_objects.add_routes(app.router)
    pages_bucket_access.add_routes(app.router)
    pages_iam.add_routes(app.router)
    return app


def gateway_address(settings: Settings) -> str:
    """`host:port` of the gateway's S3 port as seen from its own machine (loopback for a
    wildcard bind)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    return f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"
