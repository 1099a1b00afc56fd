"""Raw CONNECT tunnels to the gateway for tests: the proxy handshake, TLS, signed requests.

Nothing here resolves a name or dials anything but 127.0.0.1: AWS host names only travel
inside CONNECT lines, SNI and Host headers.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import subprocess
from collections.abc import Mapping
from pathlib import Path

from conftest import Gateway
from rawhttp import Reply, connect, read_reply, sign

VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def ca_path(gateway: Gateway) -> Path:
    """The gateway's CA certificate, as `mrap ca-path` prints it."""
    return _ca_path(gateway.data_dir)


@functools.cache
def _ca_path(data_dir: Path) -> Path:
    out = subprocess.run(
        [str(VENV_BIN / "mrap"), "ca-path", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return Path(out.strip())


def read_head(sock: socket.socket) -> bytes:
    """Bytes up to the end of a response head, read one at a time so none is over-read."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            break
        data += byte
    return data


def send_connect(sock: socket.socket, authority: str) -> tuple[int, bytes]:
    """Write a CONNECT request; (status, head) of the answer, status 0 if none came."""
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    head = read_head(sock)
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), head


def client_context(gateway: Gateway) -> ssl.SSLContext:
    """A TLS client context trusting only the gateway's CA."""
    return ssl.create_default_context(cafile=str(ca_path(gateway)))


def open_tunnel(gateway: Gateway, host: str, sni: str | None = None) -> ssl.SSLSocket:
    """A TLS connection to `host` through the gateway's CONNECT proxy."""
    sock = connect(gateway)
    status, head = send_connect(sock, f"{host}:443")
    assert status == 200, head
    return client_context(gateway).wrap_socket(sock, server_hostname=sni or host)


def tunnel_request(
    tls: ssl.SSLSocket,
    method: str,
    host: str,
    target: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    service: str = "s3",
) -> Reply:
    """One SigV4-signed request on an open tunnel (which stays open for more)."""
    signed = sign(method, host, target, body=body, headers=headers, service=service)
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in signed.items())]
    if body or method in ("PUT", "POST"):
        lines.append(f"Content-Length: {len(body)}")
    tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return read_reply(tls, method)


def closed_by_peer(sock: socket.socket | ssl.SSLSocket, timeout: float = 10.0) -> bool:
    """Whether the other side closes the connection within `timeout` (EOF, reset, alert)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except (ConnectionError, ssl.SSLError, OSError):
        return True
    return True


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without AWS, proxy or gateway settings."""
    dropped = ("AWS_", "MRAP_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(dropped) and not k.lower().endswith("_proxy")
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env
