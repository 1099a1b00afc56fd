"""Replication benchmark: 4 KiB objects written at 200/s for 30 s through a Multi-Region
Access Point whose two buckets (us-east-1, eu-west-1) replicate to each other.

Prints the replication latency (write accepted → copy committed) p50 and p99, as the
gateway's `/metrics` reports them, and the high-water mark of the replication backlog
sampled every 100 ms. Target (issue 8): p99 under 1 s.

    python bench/replication.py [--rate 200] [--seconds 30] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config

ACCOUNT = "111122223333"
ACCESS_KEY = "AKIABENCHMARK0000001"
SECRET_KEY = "bench-secret-key-000000000000000000000000"
SMALL = 4096
_SAMPLE = re.compile(r"^(mrap_replication_\w+)\{([^}]*)\} (\S+)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(endpoint: str, service: str, **config: object) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-west-2" if service == "s3control" else "us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 3}, max_pool_connections=64, **config),
    )


def start(data: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(
        os.environ, MRAP_ROOT_ACCESS_KEY_ID=ACCESS_KEY, MRAP_ROOT_SECRET_ACCESS_KEY=SECRET_KEY
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "mrap", "serve", "--port", str(port), "--data-dir", str(data),
         "--workers", str(workers), "--quiet"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gateway did not start")


def wait_operation(control: BaseClient, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        op = control.describe_multi_region_access_point_operation(
            AccountId=ACCOUNT, RequestTokenARN=token
        )["AsyncOperation"]
        if op["RequestStatus"] == "SUCCEEDED":
            return
        if op["RequestStatus"] == "FAILED":
            raise RuntimeError(f"access point operation failed: {op}")
        time.sleep(0.1)
    raise RuntimeError("access point operation did not finish")


def set_up(endpoint: str, data: Path) -> str:
    """Two buckets, an access point over them that the root may write through, two-way
    replication (`mrap replicate`); the access point's alias."""
    port = endpoint.rsplit(":", 1)[1]
    s3 = client(endpoint, "s3")
    control = client(f"http://localhost:{port}", "s3control", proxies={"http": endpoint})
    east, west = "bench-repl-east", "bench-repl-west"
    s3.create_bucket(Bucket=east)
    s3.create_bucket(Bucket=west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    token = control.create_multi_region_access_point(
        AccountId=ACCOUNT,
        Details={"Name": "bench", "Regions": [{"Bucket": east}, {"Bucket": west}]},
    )["RequestTokenARN"]
    wait_operation(control, token)
    alias = control.get_multi_region_access_point(AccountId=ACCOUNT, Name="bench")["AccessPoint"][
        "Alias"
    ]
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["s3:PutObject"],
            "Resource": f"{arn}/object/*",
        },
    }
    token = control.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": "bench", "Policy": json.dumps(policy)}
    )["RequestTokenARN"]
    wait_operation(control, token)
    for bucket in (east, west):
        delegate = {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"StringEquals": {"s3:DataAccessPointArn": arn}},
        }
        s3.put_bucket_policy(
            Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [delegate]})
        )
    subprocess.run(
        [sys.executable, "-m", "mrap", "replicate", "bench", "--data-dir", str(data)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(alias)


def scrape(endpoint: str) -> dict[tuple[str, str], float]:
    """The replication series of /metrics, summed over pairs: (name, quantile) → value."""
    with urllib.request.urlopen(f"{endpoint}/metrics", timeout=10) as response:
        text = response.read().decode()
    values: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            quantile = re.search(r'quantile="([^"]+)"', match.group(2))
            name = (match.group(1), quantile.group(1) if quantile else "")
            if quantile:  # only one pair carries copies in this benchmark: take the largest
                values[name] = max(values.get(name, 0.0), float(match.group(3)))
            else:
                values[name] = values.get(name, 0.0) + float(match.group(3))
    return values


def run(endpoint: str, alias: str, rate: int, seconds: int) -> tuple[int, float]:
    """Write at `rate` per second for `seconds`; (objects written, backlog high-water mark)."""
    s3 = client(endpoint, "s3")
    body = os.urandom(SMALL)
    high = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal high
        while not done.is_set():
            pending = scrape(endpoint).get(("mrap_replication_pending_operations", ""), 0.0)
            high = max(high, pending)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    total = rate * seconds
    begin = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for n in range(total):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(
                pool.submit(s3.put_object, Bucket=alias, Key=f"bench/{n:06d}", Body=body)
            )
        for future in futures:
            future.result()  # a failed write fails the benchmark
    while scrape(endpoint).get(("mrap_replication_pending_operations", ""), 0.0) > 0:
        time.sleep(0.1)
    done.set()
    sampler.join()
    return total, high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200, help="objects per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mrap-bench-repl-") as tmp:
        data = Path(tmp) / "data"
        process, endpoint = start(data, args.workers)
        try:
            alias = set_up(endpoint, data)
            written, high = run(endpoint, alias, args.rate, args.seconds)
            figures = scrape(endpoint)
        finally:
            process.terminate()
            process.wait(timeout=30)
    p50 = figures[("mrap_replication_latency_seconds", "0.5")]
    p99 = figures[("mrap_replication_latency_seconds", "0.99")]
    copies = figures[("mrap_replication_operations_total", "")]
    print(f"objects written         {written} x {SMALL} B at {args.rate}/s for {args.seconds} s")
    print(f"copies completed        {copies:.0f}")
    print(f"replication latency p50 {p50 * 1000:.1f} ms")
    print(f"replication latency p99 {p99 * 1000:.1f} ms  (target < 1000 ms)")
    print(f"backlog high-water mark {high:.0f} operations")


if __name__ == "__main__":
    main()
