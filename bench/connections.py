"""How connections and requests spread over the gateway's worker processes.

Starts `mrap serve --workers 2`, opens C keep-alive connections at once that each repeat a
presigned 4 KiB GET for a few seconds, and prints, per round, how many connections and
requests each worker process served. A connection's worker is the process holding its
server-side socket (`/proc/<pid>/fd` against `/proc/net/tcp`), so the gateway needs no
extra header. `--src` runs another checkout's code (e.g. a copy of an older commit).

    python bench/connections.py [--src DIR] [--connections 16 64] [--rounds 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
ACCESS_KEY = "AKIABENCHMARK0000001"
SECRET_KEY = "bench-secret-key-000000000000000000000000"
_ESTABLISHED = "01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """The child processes of `pid` (the gateway's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def client_ports_by_worker(workers: list[int], port: int) -> dict[int, set[int]]:
    """Per worker, the client-side ports of the established connections it holds on `port`."""
    peers: dict[str, int] = {}  # socket inode -> client port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == _ESTABLISHED and int(local.rsplit(":", 1)[1], 16) == port:
                peers[inode] = int(remote.rsplit(":", 1)[1], 16)
    held: dict[int, set[int]] = {}
    for pid in workers:
        ports = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed while listing
                continue
            if target.startswith("socket:[") and (inode := target[8:-1]) in peers:
                ports.add(peers[inode])
        held[pid] = ports
    return held


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    writer.write(head)
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    length = next(int(h.split(b":")[1]) for h in lines if h.lower().startswith(b"content-length"))
    body = await reader.readexactly(length)
    assert lines[0].split()[1] == b"200", body


async def one_round(
    port: int, workers: list[int], head: bytes, count: int, seconds: float
) -> dict[int, tuple[int, int]]:
    """Per worker: (connections, requests) of `count` connections each looping GETs."""
    streams = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(count))
    )
    await asyncio.gather(*(_get(r, w, head) for r, w in streams))  # each one accepted
    owner = {
        client: pid
        for pid, ports in client_ports_by_worker(workers, port).items()
        for client in ports
    }
    done: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    async def loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid = owner[writer.get_extra_info("sockname")[1]]
        while time.monotonic() < deadline:
            await _get(reader, writer, head)
            done[pid] += 1

    await asyncio.gather(*(loop(r, w) for r, w in streams))
    for _, writer in streams:
        writer.close()
    connections = Counter(owner[w.get_extra_info("sockname")[1]] for _, w in streams)
    return {pid: (connections[pid], done[pid]) for pid in workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(args.src.resolve()),
        MRAP_ROOT_ACCESS_KEY_ID=ACCESS_KEY,
        MRAP_ROOT_SECRET_ACCESS_KEY=SECRET_KEY,
        MRAP_CONSOLE_PORT="0",
    )
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "mrap", "serve", "--port", str(port), "--quiet"]
        command += ["--workers", str(args.workers), "--data-dir", data]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while len(workers := children(process.pid)) < args.workers:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the gateway did not start its workers")
                time.sleep(0.1)
            endpoint = f"http://127.0.0.1:{port}"
            s3 = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 10},
                ),
            )
            s3.create_bucket(Bucket="bench")
            s3.put_object(Bucket="bench", Key="small", Body=os.urandom(4096))
            url = urlsplit(
                s3.generate_presigned_url(
                    "get_object", Params={"Bucket": "bench", "Key": "small"}, ExpiresIn=3600
                )
            )
            head = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
            print(f"workers {workers} ({args.src})")
            for count in args.connections:
                for index in range(args.rounds):
                    spread = asyncio.run(one_round(port, workers, head, count, args.seconds))
                    conns = " / ".join(str(spread[pid][0]) for pid in workers)
                    reqs = " / ".join(f"{spread[pid][1]:,}" for pid in workers)
                    print(f"c={count} round {index + 1}: connections {conns}, requests {reqs}")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
