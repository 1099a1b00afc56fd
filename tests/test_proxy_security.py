"""The endpoint proxy is never an open proxy: bad CONNECTs and bad TLS are refused or closed.

After each refusal the gateway owns no TCP socket other than its listener and the
connections it accepted (read from /proc: an outbound attempt would show a socket with
another local port), and it keeps serving other clients.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from pathlib import Path

import pytest
from botocore.client import BaseClient
from conftest import Gateway
from rawhttp import connect, request
from tunnel import client_context, closed_by_peer, open_tunnel, read_head, send_connect


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def gateway_tcp_ports(gateway: Gateway) -> list[tuple[int, int]]:
    """(local port, remote port) of every TCP socket the gateway process holds."""
    assert gateway.process is not None
    pid = gateway.process.pid
    owned = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] in owned:
                local, remote = fields[1], fields[2]
                found.append((int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)))
    return found


def assert_no_outbound(gateway: Gateway) -> None:
    """Every TCP socket of the gateway is its listener or a connection it accepted."""
    sockets = gateway_tcp_ports(gateway)
    assert sockets, "the gateway's sockets should be visible"
    assert all(local == gateway.port for local, _ in sockets), sockets
    assert not any(remote in (443, 22, 80, 53) for _, remote in sockets), sockets


def assert_still_serving(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/alive", body=b"alive")
    assert reply.status == 200, reply.body
    with open_tunnel(gateway, f"{bucket}.s3.amazonaws.com") as tls:
        tls.sendall(f"HEAD / HTTP/1.1\r\nHost: {bucket}.s3.amazonaws.com\r\n\r\n".encode())
        assert read_head(tls).startswith(b"HTTP/1.1 403")  # unsigned: denied, but answered


@pytest.mark.parametrize(
    "authority",
    [
        "example.com:443",
        "dynamodb.us-east-1.amazonaws.com:443",
        "ec2.amazonaws.com:443",
        "bkt.s3.amazonaws.com:22",
        "bkt.s3.amazonaws.com:80",
        "bkt.s3.amazonaws.com",
        "127.0.0.1:22",
        "127.0.0.1:443",
        "[::1]:443",
        "localhost:22",
        "s3.amazonaws.com.evil.test:443",
        "mfzwi23gnjvgw.accesspoint.s3-global.amazonaws.com:443",
    ],
)
def test_connect_to_other_hosts_and_ports_is_refused(
    gateway: Gateway, bucket: str, authority: str
) -> None:
    with connect(gateway) as sock:
        status, head = send_connect(sock, authority)
        assert status == 403, head
        assert_no_outbound(gateway)
        assert closed_by_peer(sock)
    assert f"CONNECT {authority} refused" in gateway.log()
    assert_still_serving(gateway, bucket)


@pytest.mark.parametrize(
    "request_line",
    [
        "CONNECT  HTTP/1.1",  # no host at all
        "CONNECT :443 HTTP/1.1",
        "CONNECT HTTP/1.1",
        "CONNECT bkt.s3.amazonaws.com:443",  # no version
        "CONNECT bkt.s3.amazonaws.com:443 HTTP/2.0",
        "CONNECT bkt.s3.amazonaws.com:443 HTTP/1.1 extra",
    ],
)
def test_malformed_connect_is_refused(gateway: Gateway, bucket: str, request_line: str) -> None:
    with connect(gateway) as sock:
        sock.sendall(f"{request_line}\r\nHost: x\r\n\r\n".encode())
        status_line = read_head(sock).split(b"\r\n", 1)[0]
        assert status_line.split(b" ")[1] in (b"400", b"403"), status_line
        assert closed_by_peer(sock)
    assert_no_outbound(gateway)
    assert_still_serving(gateway, bucket)


def test_oversized_connect_head_is_refused(gateway: Gateway, bucket: str) -> None:
    with connect(gateway) as sock:
        sock.sendall(b"CONNECT bkt.s3.amazonaws.com:443 HTTP/1.1\r\nX: " + b"a" * 9000)
        assert read_head(sock).startswith(b"HTTP/1.1 400")
        assert closed_by_peer(sock)
    assert_still_serving(gateway, bucket)


def test_bytes_sent_before_the_tunnel_is_established_are_refused(
    gateway: Gateway, bucket: str
) -> None:
    with connect(gateway) as sock:
        sock.sendall(b"CONNECT s3.amazonaws.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05hello")
        assert read_head(sock).startswith(b"HTTP/1.1 400")
        assert closed_by_peer(sock)
    assert_still_serving(gateway, bucket)


@pytest.mark.parametrize(
    "sni", ["other.s3.amazonaws.com", "example.com", "bkt.s3.amazonaws.com.evil.test"]
)
def test_tls_with_another_sni_name_is_closed(gateway: Gateway, bucket: str, sni: str) -> None:
    with connect(gateway) as sock:
        assert send_connect(sock, "bkt.s3.amazonaws.com:443")[0] == 200
        context = client_context(gateway)
        context.check_hostname = False  # whatever the certificate, the handshake must fail
        context.verify_mode = ssl.CERT_NONE
        with pytest.raises((ssl.SSLError, ConnectionError)):
            context.wrap_socket(sock, server_hostname=sni)
    assert_no_outbound(gateway)
    assert "SNI name" in gateway.log()
    assert_still_serving(gateway, bucket)


def test_tls_without_sni_is_closed(gateway: Gateway, bucket: str) -> None:
    with connect(gateway) as sock:
        assert send_connect(sock, "bkt.s3.amazonaws.com:443")[0] == 200
        context = client_context(gateway)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with pytest.raises((ssl.SSLError, ConnectionError)):
            context.wrap_socket(sock, server_hostname=None)
    assert_still_serving(gateway, bucket)


@pytest.mark.parametrize(
    ("garbage", "then_eof"),
    [
        (b"GET / HTTP/1.1\r\nHost: bkt.s3.amazonaws.com\r\n\r\n", False),  # plain HTTP
        (os.urandom(512), False),
        (b"\x16\x03\x01\x00\x02\x01\x00", True),  # a truncated ClientHello, then EOF
    ],
)
def test_garbage_instead_of_a_client_hello_is_closed(
    gateway: Gateway, bucket: str, garbage: bytes, then_eof: bool
) -> None:
    with connect(gateway) as sock:
        assert send_connect(sock, "bkt.s3.amazonaws.com:443")[0] == 200
        sock.sendall(garbage)
        if then_eof:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        sock.settimeout(10)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pytest.fail("the gateway kept the connection open")
        except ConnectionError:
            pass
        assert b"HTTP/1.1" not in answer  # nothing but at most a TLS alert
    assert_no_outbound(gateway)
    assert_still_serving(gateway, bucket)


def test_a_stalled_handshake_does_not_block_others(gateway: Gateway, bucket: str) -> None:
    stalled = [connect(gateway) for _ in range(3)]
    try:
        for n, sock in enumerate(stalled):
            if n == 0:
                sock.sendall(b"CONNECT bkt.s3.amaz")  # a CONNECT head that never ends
            else:
                assert send_connect(sock, "bkt.s3.amazonaws.com:443")[0] == 200  # no ClientHello
        assert_still_serving(gateway, bucket)
    finally:
        for sock in stalled:
            sock.close()


def test_connect_lines_never_dial_anything(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    # A listener on 127.0.0.1 stands in for "somewhere else": refused CONNECTs never reach it.
    with socket.socket() as decoy:
        decoy.bind(("127.0.0.1", 0))
        decoy.listen(8)
        decoy.setblocking(False)
        port = decoy.getsockname()[1]
        for authority in (f"127.0.0.1:{port}", f"localhost:{port}", f"bkt.localhost:{port}"):
            with connect(gateway) as sock:
                assert send_connect(sock, authority)[0] == 403
        time.sleep(0.2)  # not a timing assertion: give a (wrong) dial the chance to land
        with pytest.raises(BlockingIOError):
            decoy.accept()
    assert_no_outbound(gateway)
    assert s3.head_bucket(Bucket=bucket)["BucketRegion"] == "us-east-1"
