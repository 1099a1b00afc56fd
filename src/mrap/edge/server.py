"""Running the gateway: listening socket, worker processes, clean shutdown on signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys

from aiohttp import web

from mrap.config import Settings
from mrap.edge.app import Gateway
from mrap.services import Services

# The S3 header limit is 8 KiB; aiohttp's parser must accept more so that an oversized
# header section reaches the handler and gets S3's error document instead of a bare 400.
_PARSER_LIMITS = {"max_line_size": 65536, "max_field_size": 65536, "max_headers": 1024}


def bind(settings: Settings) -> socket.socket:
    """The listening socket, shared by every worker process."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _configure_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("mrap")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False


async def _serve(settings: Settings, sock: socket.socket) -> None:
    services = Services.open(settings)
    gateway = Gateway(services, body_timeout=settings.body_timeout)
    server = web.Server(gateway.handle, access_log=None, **_PARSER_LIMITS)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(server, sock=sock, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        listener.close()
        await server.shutdown(timeout=5.0)
        await listener.wait_closed()
        services.close()


def run_worker(settings: Settings, sock: socket.socket) -> None:
    """Serve requests on `sock` in this process until SIGINT or SIGTERM."""
    _configure_logging(settings.quiet)
    asyncio.run(_serve(settings, sock))


def run(settings: Settings, sock: socket.socket) -> None:
    """Serve with `settings.workers` processes; the parent forwards stop signals."""
    if settings.workers == 1:
        run_worker(settings, sock)
        return
    children = []
    for _ in range(settings.workers):
        pid = os.fork()
        if pid == 0:
            try:
                run_worker(settings, sock)
            finally:
                os._exit(0)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
