"""Slow clients: a request head or body that trickles in is cut off after a bounded time,
counted in /metrics, and hundreds of them do not keep other clients from being served."""

from __future__ import annotations

import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Gateway, make_gateway
from rawhttp import connect, sign

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def slow_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = make_gateway(
        tmp_path_factory.mktemp("slow"),
        MRAP_HEAD_TIMEOUT=str(HEAD_TIMEOUT),
        MRAP_BODY_TIMEOUT=str(BODY_TIMEOUT),
    )
    gw.start()
    yield gw
    if gw.process is not None:
        gw.stop()


def closed_counts(gateway: Gateway) -> dict[str, int]:
    """mrap_slow_clients_closed_total by phase, as scraped."""
    with urllib.request.urlopen(f"{gateway.endpoint}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.findall(r'^mrap_slow_clients_closed_total\{phase="(\w+)"\} (\d+)$', text, re.M)
    return {phase: int(count) for phase, count in found}


def wait_closed(sock: socket.socket, deadline: float) -> bool:
    """Whether the server closes `sock` (EOF or reset) before `deadline` (monotonic)."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        if not data:
            return True
    return False


def test_trickling_heads_do_not_stop_others_and_are_cut_off(slow_gateway: Gateway) -> None:
    before = closed_counts(slow_gateway)
    s3 = slow_gateway.client()
    s3.create_bucket(Bucket="slow-heads")
    s3.put_object(Bucket="slow-heads", Key="k", Body=b"still served")
    sockets = [connect(slow_gateway) for _ in range(200)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /slow-heads/k HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened = time.monotonic()
        # A byte every 0.3 s from each: trickling does not push the deadline back.
        for _ in range(2):
            started = time.monotonic()
            got = s3.get_object(Bucket="slow-heads", Key="k")["Body"].read()
            assert got == b"still served"
            assert time.monotonic() - started < 0.5  # promptly, with 200 slow sockets open
            for sock in sockets:
                sock.sendall(b"X")
            time.sleep(0.3)
        deadline = opened + HEAD_TIMEOUT + 5
        assert all(wait_closed(sock, deadline) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    after = closed_counts(slow_gateway)
    assert after["head"] - before.get("head", 0) >= 200
    assert "slow-client=head" in slow_gateway.log()


def test_silent_connection_is_closed(slow_gateway: Gateway) -> None:
    before = closed_counts(slow_gateway)["head"]
    with connect(slow_gateway) as sock:
        opened = time.monotonic()
        assert wait_closed(sock, opened + HEAD_TIMEOUT + 5)
        assert time.monotonic() - opened >= HEAD_TIMEOUT * 0.9
    assert closed_counts(slow_gateway)["head"] == before + 1


def test_whole_head_sent_slowly_in_time_is_served(slow_gateway: Gateway) -> None:
    s3 = slow_gateway.client()
    s3.create_bucket(Bucket="slow-but-in-time")
    s3.put_object(Bucket="slow-but-in-time", Key="k", Body=b"ok")
    host = f"127.0.0.1:{slow_gateway.port}"
    headers = sign("GET", host, "/slow-but-in-time/k")
    head = "GET /slow-but-in-time/k HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    with connect(slow_gateway) as sock:
        for piece in (head[:10], head[10:], "\r\n"):
            sock.sendall(piece.encode())
            time.sleep(HEAD_TIMEOUT / 4)
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert reply.endswith(b"ok")


def test_stalled_body_is_cut_off_and_counted(slow_gateway: Gateway, tmp_path: Path) -> None:
    s3 = slow_gateway.client()
    s3.create_bucket(Bucket="slow-body")
    before = closed_counts(slow_gateway)["body"]
    host = f"127.0.0.1:{slow_gateway.port}"
    body = b"x" * 100
    headers = sign("PUT", host, "/slow-body/k", body=body)
    head = "PUT /slow-body/k HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with connect(slow_gateway) as sock:
        sock.sendall(head.encode() + body[:10])
        opened = time.monotonic()
        sock.settimeout(BODY_TIMEOUT + 5)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        assert time.monotonic() - opened >= BODY_TIMEOUT * 0.9
    assert reply.startswith(b"HTTP/1.1 400"), reply
    assert b"<Code>RequestTimeout</Code>" in reply
    assert closed_counts(slow_gateway)["body"] == before + 1
    assert "Contents" not in s3.list_objects_v2(Bucket="slow-body")
