"""The AWS endpoint proxy: CONNECT tunnels terminated on the gateway's own port.

Every accepted connection starts with a `Front` protocol that looks at the first bytes. An
ordinary request (origin-form or absolute-form) is handed to aiohttp's request handler with the
bytes read so far. `CONNECT host:443` to a name the gateway serves is answered `200`, TLS is
terminated with a leaf certificate for that name, and a request handler is attached to the TLS
transport, so the tunnel carries ordinary requests into the same handling. Any other CONNECT
is refused: the gateway never opens a connection on a client's behalf.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from mrap.edge import addressing
from mrap.edge.metrics import count_slow_client
from mrap.edge.tls import Authority

log = logging.getLogger("mrap.proxy")
access_log = logging.getLogger("mrap.access")

_CONNECT = b"CONNECT "
MAX_CONNECT_HEAD = 8192  # a CONNECT head is one line and a few headers
HEAD_TIMEOUT = 60.0  # seconds from a connection's start until it is told plain or CONNECT
HANDSHAKE_TIMEOUT = 30.0

# A request handler for a transport; `tunnel_host` names the CONNECT host, None for plain.
HandlerFactory = Callable[[str | None], asyncio.Protocol]


def _printable(text: str) -> str:
    """Client-sent text for a log line: escaped, so it cannot forge lines, and bounded."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:300])


def _answer(status: str, body: str) -> bytes:
    data = body.encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(data)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + data


class Proxy:
    """What every front protocol of one listener shares; tracks connections not yet handed on."""

    def __init__(
        self,
        handlers: HandlerFactory,
        authority: Authority,
        domain: str,
        head_timeout: float = HEAD_TIMEOUT,
    ) -> None:
        self.handlers = handlers
        self.authority = authority
        self.domain = domain
        self.head_timeout = head_timeout
        self.pending: set[Front] = set()
        self.tasks: set[asyncio.Task[None]] = set()  # handshakes in progress, kept referenced

    def __call__(self) -> Front:
        """A protocol for a new connection (the listener's protocol factory)."""
        return Front(self)

    def close(self) -> None:
        """Close connections still deciding or in their TLS handshake (at shutdown)."""
        for front in list(self.pending):
            front.abort()


class _TlsShim(asyncio.Protocol):
    """Holds what arrives on a TLS transport before its request handler is attached.

    `loop.start_tls` never calls `connection_made` on the protocol it is given, and decrypted
    bytes can arrive before it returns.
    """

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost = False
        self.exc: Exception | None = None

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True  # the handler, once attached, decides

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost, self.exc = True, exc


class Front(asyncio.Protocol):
    """The first protocol of an accepted connection: plain HTTP, or a CONNECT tunnel."""

    def __init__(self, proxy: Proxy) -> None:
        self._proxy = proxy
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._timer: asyncio.TimerHandle | None = None
        self._peer = "-"
        self._decided = False  # handed over, refused or tunnelling: no more bytes are ours

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "-"
        self._proxy.pending.add(self)
        # A connection that says nothing, or too little to tell what it is, is dropped.
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._proxy.head_timeout, self._too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._done()

    def eof_received(self) -> bool:
        return False  # nothing to answer yet: close

    def abort(self) -> None:
        """Drop the connection."""
        self._done()
        if self._transport is not None:
            self._transport.abort()

    def _too_slow(self) -> None:
        """Nothing to tell a plain request from a CONNECT came in time (slowloris): drop it."""
        count_slow_client("head")
        access_log.info("- - 408 0 0.0ms slow-client=head peer=%s", self._peer)
        self.abort()

    def _done(self) -> None:
        self._decided = True
        self._proxy.pending.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        if self._decided:
            return
        buffer = self._buffer + data
        self._buffer = buffer
        start = buffer.lstrip(b"\r\n")  # empty lines before a request line are allowed
        if not start:
            return
        prefix = start[: len(_CONNECT)]
        if prefix != _CONNECT[: len(prefix)]:
            self._hand_over()
            return
        end = start.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_CONNECT_HEAD:
                self._refuse("400 Bad Request", "CONNECT head too large", "-")
            return
        self._connect(start[:end].decode("latin-1"), start[end + 4 :])

    def _hand_over(self) -> None:
        """Give the connection and the bytes read so far to an ordinary request handler."""
        self._done()
        transport = self._transport
        assert transport is not None
        handler = self._proxy.handlers(None)
        transport.set_protocol(handler)
        handler.connection_made(transport)
        buffer, self._buffer = self._buffer, b""
        handler.data_received(buffer)

    def _refuse(self, status: str, reason: str, target: str) -> None:
        target = _printable(target)
        log.warning("CONNECT %s refused (%s) from %s", target, reason, self._peer)
        access_log.info("CONNECT %s %s 0 0.0ms", target, status.split()[0])
        self._done()
        assert self._transport is not None
        self._transport.write(_answer(status, f"{reason}\n"))
        self._transport.close()

    def _connect(self, head: str, rest: bytes) -> None:
        request_line = head.split("\r\n", 1)[0]
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0") or not parts[1]:
            self._refuse("400 Bad Request", "malformed CONNECT request", request_line)
            return
        target = parts[1]
        name = addressing.connect_allowed(target, self._proxy.domain)
        if name is None:
            self._refuse("403 Forbidden", "not a host this gateway serves", target)
            return
        if rest:
            # Bytes sent before our answer cannot be given to the TLS layer.
            self._refuse("400 Bad Request", "data before the tunnel was established", target)
            return
        assert self._transport is not None
        self._transport.pause_reading()  # the ClientHello is for the TLS layer, not us
        self._transport.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        access_log.info("CONNECT %s 200 0 0.0ms", target)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._decided = True
        task = asyncio.get_running_loop().create_task(self._tunnel(name))
        self._proxy.tasks.add(task)
        task.add_done_callback(self._proxy.tasks.discard)

    async def _tunnel(self, name: str) -> None:
        transport = self._transport
        assert transport is not None
        loop = asyncio.get_running_loop()
        shim = _TlsShim()
        try:
            context = self._proxy.authority.context_for(name)
            tls = await loop.start_tls(
                transport,
                shim,
                context,
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            # start_tls has closed the transport (garbage, wrong SNI name, timeout).
            log.info("CONNECT %s: TLS handshake failed from %s: %s", name, self._peer, exc)
            transport.abort()
            return
        except Exception:
            log.exception("CONNECT %s: tunnel failed", name)
            transport.abort()
            return
        finally:
            self._done()
        if tls is None:  # the connection went away during the handshake
            transport.abort()
            return
        handler = self._proxy.handlers(name)
        tls.set_protocol(handler)
        handler.connection_made(tls)
        for chunk in shim.data:
            handler.data_received(chunk)
        if shim.lost:
            handler.connection_lost(shim.exc)
        elif shim.eof and not handler.eof_received():
            tls.close()
