"""Fixtures: a real gateway process on 127.0.0.1 and real clients pointed at it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

# The web console's fixtures (console_gateway, gw, browser), for the modules that ask for them.
pytest_plugins = ["consolehttp"]

ACCESS_KEY = "AKIAMRAPTESTROOT0001"
SECRET_KEY = "mrap-test-secret-key-0000000000000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    """A running `mrap serve` process."""

    data_dir: Path
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mrap",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.extra_args,
            ],
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gateway did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout=20)
        self.process = None
        return code

    def log(self) -> str:
        return self.log_path.read_text()

    def client(self, service: str = "s3", **config: object) -> BaseClient:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"max_attempts": 1}, **config),
        )


def make_gateway(tmp: Path, *extra_args: str, **env: str) -> Gateway:
    environ = dict(os.environ)
    environ.update(
        {
            "MRAP_ROOT_ACCESS_KEY_ID": ACCESS_KEY,
            "MRAP_ROOT_SECRET_ACCESS_KEY": SECRET_KEY,
            "MRAP_BODY_TIMEOUT": "2",
            # Region health answered afresh for every request: tests never wait out a cache.
            "MRAP_HEALTH_INTERVAL": "0",
            # Gateways run side by side: none takes the console's default port unless asked.
            "MRAP_CONSOLE_PORT": "0",
        }
    )
    environ.update(env)
    return Gateway(tmp / "data", free_port(), environ, tmp / "gateway.log", None, list(extra_args))


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway shared by the tests of a worker; tests use their own buckets."""
    gw = make_gateway(tmp_path_factory.mktemp("gateway"))
    gw.start()
    yield gw
    if gw.process is not None:
        gw.stop()


@pytest.fixture
def s3(gateway: Gateway) -> BaseClient:
    return gateway.client()


@pytest.fixture
def bucket(s3: BaseClient) -> str:
    """A fresh, empty bucket in us-east-1."""
    name = "test-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def aws(gateway: Gateway, tmp_path: Path) -> Any:
    """Run the aws CLI against the gateway with nothing from the user's own set-up."""
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
    )

    def run(*args: str, cwd: Path = tmp_path) -> str:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "aws"), "--endpoint-url", gateway.endpoint, *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
        return done.stdout

    return run
