"""Running the gateway: listening socket, worker processes, clean shutdown on signals."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from mrap.api.control.runner import Runner
from mrap.config import Settings
from mrap.console.app import create_app, gateway_address
from mrap.edge.addressing import BadHost, is_ip, normalize_host
from mrap.edge.app import Gateway, access_log
from mrap.edge.metrics import count_slow_client
from mrap.edge.metrics import prometheus_text as edge_prometheus_text
from mrap.edge.proxy import Proxy
from mrap.edge.tls import Authority
from mrap.replication.metrics import prometheus_text
from mrap.replication.worker import replication_worker
from mrap.services import Services

# The S3 header limit is 8 KiB; aiohttp's parser must accept more so that an oversized
# header section reaches the handler and gets S3's error document instead of a bare 400.
# Bodies are stored as sent: `Content-Encoding: gzip` describes the object, so the parser
# must not decompress it.
_PARSER_OPTIONS = {
    "max_line_size": 65536,
    "max_field_size": 65536,
    "max_headers": 1024,
    "auto_decompress": False,
}


class _Connection(web.RequestHandler):
    """aiohttp's protocol for one connection, answering unparseable requests as S3 does.

    `tunnel_host` is the CONNECT host of a proxy tunnel (None for a plain connection): the
    gateway's request handler reads it to check and address the tunnel's requests.

    A request head must arrive whole within `head_timeout` of its first byte; a client that
    trickles it (slowloris) is disconnected and counted. An idle connection with no request
    begun is aiohttp's keep-alive timeout's business.
    """

    def __init__(
        self,
        gateway: Gateway,
        manager: web.Server,
        tunnel_host: str | None,
        head_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._gateway = gateway
        self.tunnel_host = tunnel_host
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        requests = self._request_count
        super().data_received(data)
        if self._request_count != requests:  # a whole head arrived
            self._stop_head_timer()
        elif self._head_timer is None and data and self._awaiting_request():
            loop = asyncio.get_running_loop()
            self._head_timer = loop.call_later(self._head_timeout, self._head_too_slow)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _awaiting_request(self) -> bool:
        """No request is being served or queued: bytes now are the start of a head."""
        return not self._request_in_progress and not self._messages and not self._force_close

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._awaiting_request() or self.transport is None:
            return
        peer = self.transport.get_extra_info("peername")
        count_slow_client("head")
        access_log.info(
            "- - 408 0 %.1fms slow-client=head peer=%s",
            self._head_timeout * 1000,
            f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "-",
        )
        self.force_close()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status != 400 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        return self._gateway.unparseable(exc)


_PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _is_metrics_scrape(request: web.BaseRequest, domain: str) -> bool:
    """An unsigned `GET /metrics` on the gateway's own root (not a bucket, not a tunnel).

    It shadows only anonymous path-style ListObjects of a bucket named "metrics".
    """
    if request.method != "GET" or request.raw_path != "/metrics":
        return False
    if "authorization" in request.headers or getattr(request.protocol, "tunnel_host", None):
        return False
    try:
        host = normalize_host(request.host)
    except BadHost:
        return False
    return host == domain or is_ip(host)


class _Server(web.Server):
    """aiohttp's low-level server with S3 error documents for malformed HTTP."""

    def __init__(self, gateway: Gateway, services: Services, **kwargs: Any) -> None:
        super().__init__(self._handle, **kwargs)
        self._gateway = gateway
        self._services = services
        self.head_timeout = services.settings.head_timeout

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if _is_metrics_scrape(request, self._services.settings.domain):
            # On the loop's thread, like every other read of the stores' read connections.
            text = prometheus_text(self._services) + edge_prometheus_text()
            return web.Response(body=text.encode(), headers={"Content-Type": _PROMETHEUS_TYPE})
        return await self._gateway.handle(request)

    def __call__(self) -> web.RequestHandler:
        return self.connection()

    def connection(self, tunnel_host: str | None = None) -> web.RequestHandler:
        """The request handler of one connection, plain or inside a CONNECT tunnel."""
        return _Connection(
            self._gateway, self, tunnel_host, self.head_timeout, loop=self._loop, **self._kwargs
        )


def _listen(host: str, port: int, shared: bool = False) -> socket.socket:
    """A listening socket on host:port; `shared` ones (SO_REUSEPORT) may share the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"mrap serve: cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def bind(settings: Settings) -> list[socket.socket]:
    """One listening socket per worker process, all on the gateway's host and port.

    A shared listening socket lets whichever worker wakes first take every connection (a
    wrk run's 16 connections were seen all on one of two workers); with a SO_REUSEPORT
    socket each, the kernel hashes connections evenly across the workers. Any process of
    the same user could join such a group unnoticed, so the port is first taken alone (no
    SO_REUSEPORT) to fail at start when something else holds it.
    """
    if settings.workers == 1:
        return [_listen(settings.host, settings.port)]
    _listen(settings.host, settings.port).close()
    first = _listen(settings.host, settings.port, shared=True)
    port = first.getsockname()[1]
    rest = [_listen(settings.host, port, shared=True) for _ in range(settings.workers - 1)]
    return [first, *rest]


def bind_console(settings: Settings) -> socket.socket | None:
    """The web console's listening socket on the gateway's host; None when it is off."""
    return _listen(settings.host, settings.console_port) if settings.console_port else None


async def _start_console(settings: Settings, sock: socket.socket) -> web.AppRunner:
    """The web console: a client of this gateway's S3 port, as the signed-in user."""
    app = create_app(gateway_address(settings), settings.domain, settings.regions)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


def _configure_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("mrap")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False


_PR_SET_PDEATHSIG = 1
_GRACE_SECONDS = 5.0  # how long a stop waits for requests in flight


async def _close_connections(server: web.Server, grace: float) -> None:
    """Close idle connections now and busy ones as their request ends, within `grace`.

    aiohttp stops reading a connection once it is closed, so closing one whose request is
    in progress (an upload still sending its body) would strand that request.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while True:
        busy = False
        for connection in server.connections:
            if connection._request_in_progress:
                busy = True
            else:
                connection.close()
        if not busy or loop.time() > deadline:
            return
        await asyncio.sleep(0.02)


async def _serve(
    settings: Settings, sock: socket.socket, console_sock: socket.socket | None
) -> None:
    services = Services.open(settings)
    gateway = Gateway(services, body_timeout=settings.body_timeout)
    server = _Server(gateway, services, access_log=None, **_PARSER_OPTIONS)
    proxy = Proxy(
        server.connection, Authority(settings.data_dir), settings.domain, settings.head_timeout
    )
    loop = asyncio.get_running_loop()
    # Uploads spend their time in fsync; many concurrent ones let the kernel share journal
    # commits, which the default pool of cpu+4 threads would serialize.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=64, thread_name_prefix="io"))
    # Every connection starts with the proxy's front protocol, which hands plain HTTP to
    # aiohttp and terminates CONNECT tunnels on this same port.
    listener = await loop.create_server(proxy, sock=sock, backlog=1024)
    console_runner = await _start_console(settings, console_sock) if console_sock else None
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Finishes asynchronous MRAP operations (this process's and any left by a stopped one).
    runner = asyncio.create_task(Runner(services).run())
    replicator = asyncio.create_task(replication_worker(services).run())
    try:
        await stop.wait()
    finally:
        runner.cancel()
        replicator.cancel()
        # Let them leave their awaits before the stores they use are closed.
        await asyncio.gather(runner, replicator, return_exceptions=True)
        if console_runner is not None:
            await console_runner.cleanup()
        listener.close()
        proxy.close()
        await _close_connections(server, _GRACE_SECONDS)
        await server.shutdown(timeout=1.0)
        await listener.wait_closed()
        services.close()


def run_worker(
    settings: Settings, sock: socket.socket, console_sock: socket.socket | None = None
) -> None:
    """Serve requests on `sock` (and the console on `console_sock`) until SIGINT or SIGTERM."""
    _configure_logging(settings.quiet)
    asyncio.run(_serve(settings, sock, console_sock))


def _die_with_parent(parent: int) -> None:
    """Have the kernel stop this worker if the parent dies (even by SIGKILL)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)


def run(
    settings: Settings, socks: list[socket.socket], console_sock: socket.socket | None = None
) -> None:
    """Serve with one process per socket of `socks`; the parent forwards stop signals.

    Only the first worker serves the console: its sessions live in that process's memory.
    """
    if len(socks) == 1:
        run_worker(settings, socks[0], console_sock)
        return
    children = []
    parent = os.getpid()
    for index, sock in enumerate(socks):
        pid = os.fork()
        if pid == 0:
            try:
                _die_with_parent(parent)
                # A copy of another worker's socket left open here would keep taking its
                # share of connections after that worker died, with nobody to accept them.
                for other in socks:
                    if other is not sock:
                        other.close()
                run_worker(settings, sock, console_sock if index == 0 else None)
            finally:
                os._exit(0)
        children.append(pid)
    for sock in socks:
        sock.close()

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
