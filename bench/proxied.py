"""The gateway as AWS endpoint proxy: figures for `bench/core.py`, beside the direct ones.

Clients reach `https://{bucket}.s3.amazonaws.com/…` by `CONNECT` to the gateway, which
terminates TLS with a leaf from its own CA. wrk cannot CONNECT, so curl drives the small
objects (`--parallel`, one config line per presigned URL, tunnels reused) and the 256 MiB GET.
Nothing is resolved or dialled but the gateway: curl hands the AWS name to the proxy.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

CONNECTIONS = 16


def _write_config(path: Path, urls: list[str], upload: Path | None) -> None:
    """A curl config file: one transfer per URL, answers to /dev/null."""
    lines = []
    for url in urls:
        lines += [f'url = "{url}"', 'output = "/dev/null"']
        if upload is not None:
            lines.append(f'upload-file = "{upload}"')
    path.write_text("\n".join(lines) + "\n")


class ProxiedPath:
    """Presigned AWS-name URLs for one bucket of the gateway, and the runs over them."""

    def __init__(
        self,
        endpoint: str,
        ca: Path,
        bucket: str,
        keys: list[str],
        work: Path,
        body: bytes,
        credentials: tuple[str, str],
    ) -> None:
        self.curl = ["curl", "-s", "--proxy", endpoint, "--cacert", str(ca), "--noproxy", ""]
        # No endpoint: the presigned URLs name `{bucket}.s3.amazonaws.com`, as a client's would.
        aws = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id=credentials[0],
            aws_secret_access_key=credentials[1],
            config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
        )

        def urls(operation: str, names: list[str]) -> list[str]:
            params = [{"Bucket": bucket, "Key": name} for name in names]
            return [aws.generate_presigned_url(operation, Params=p, ExpiresIn=3600) for p in params]

        small = work / "proxied-small.bin"
        small.write_bytes(body)
        self.get_config = work / "proxied-get.cfg"
        self.put_config = work / "proxied-put.cfg"
        _write_config(self.get_config, urls("get_object", keys), None)
        put_keys = [f"proxied/{n:05d}" for n in range(len(keys))]
        _write_config(self.put_config, urls("put_object", put_keys), small)
        self.large_get = urls("get_object", ["large"])[0]

    def _parallel(self, config: Path, seconds: int) -> dict[str, float]:
        """ops/s and latency of whole passes over a config, repeated for about `seconds`."""
        times: list[float] = []
        errors = 0
        started = time.monotonic()
        parallel = ["-Z", "--parallel-max", str(CONNECTIONS)]
        report = ["-w", "%{http_code} %{time_total}\n"]
        while not times or time.monotonic() - started < seconds:
            out = subprocess.run(
                [*self.curl, *parallel, *report, "-K", str(config)],
                capture_output=True,
                text=True,
                timeout=600,
            ).stdout
            for line in out.splitlines():
                code, total = line.split()
                errors += not code.startswith("2")
                times.append(float(total))
        elapsed = time.monotonic() - started
        if errors:
            print(f"  ! mrap proxied {config.name}: {errors} errors", file=sys.stderr)
        times.sort()
        return {
            "ops": len(times) / elapsed,
            "p50_ms": times[len(times) // 2] * 1000,
            "p99_ms": times[min(len(times) - 1, len(times) * 99 // 100)] * 1000,
        }

    def round(self, seconds: int) -> dict[str, float]:
        """One round of proxied figures (the 256 MiB object must exist)."""
        figures: dict[str, float] = {}
        for method, config in (("PUT", self.put_config), ("GET", self.get_config)):
            for name, value in self._parallel(config, seconds).items():
                figures[f"{method} 4KiB proxied c={CONNECTIONS} {name}"] = value
        out = subprocess.run(
            [*self.curl, "-f", "-o", "/dev/null", "-w", "%{speed_download}", self.large_get],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures["GET 256MiB proxied MB/s"] = float(out) / 1e6
        return figures
