"""`mrap serve`: flags and environment, regions, root key, banner, access log, signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from conftest import free_port

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@dataclass
class Served:
    """A `mrap serve` process started exactly as a user would, output in a file."""

    process: subprocess.Popen[bytes]
    output: Path
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.output.read_text()

    def banner_keys(self) -> tuple[str, str]:
        # The port accepts from the moment it is bound, a moment before the banner prints.
        deadline = time.monotonic() + 10
        pattern = r"access key:\s+(\S+)\s+secret key:\s+(\S+)"
        while not (found := re.search(pattern, self.text())) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert found, self.text()
        return found.group(1), found.group(2)

    def client(self, key: tuple[str, str], **config: object) -> BaseClient:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def stop(self, sig: int = signal.SIGTERM, within: float = 10.0) -> tuple[int, float]:
        """Send `sig`; the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=within)
        return code, time.monotonic() - started


def _environ(**env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MRAP_", "AWS_"))}
    environ["MRAP_CONSOLE_PORT"] = "0"  # servers run side by side; none takes the default
    environ.update(env)
    return environ


def serve(tmp: Path, *args: str, port: int, **env: str) -> Served:
    """Start `mrap serve` in `tmp` and wait until it answers on `port`."""
    output = tmp / f"serve-{port}-{time.monotonic_ns()}.log"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mrap", "serve", *args],
            cwd=tmp,
            env=_environ(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, output, port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mrap serve exited {process.returncode}: {served.text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return served
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("mrap serve did not start")


@pytest.fixture
def processes() -> Iterator[list[Served]]:
    """Servers a test started; any still running at the end are killed."""
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def test_flags_random_root_key_kept_across_restarts(
    tmp_path: Path, processes: list[Served]
) -> None:
    port, data = free_port(), tmp_path / "store"
    args = ("--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data))
    first = serve(tmp_path, *args, "--domain", "example.test", port=port)
    processes.append(first)
    key = first.banner_keys()
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key[0])
    assert len(key[1]) == 40
    for region in REGIONS:
        assert (data / "regions" / region).is_dir()
    assert not (tmp_path / "data").exists(), "--data-dir was not used"
    s3 = first.client(key)
    s3.create_bucket(Bucket="kept")
    s3.put_object(Bucket="kept", Key="k", Body=b"v")
    assert first.stop(signal.SIGINT)[0] == 0

    second = serve(tmp_path, *args, port=port)
    processes.append(second)
    assert second.banner_keys() == key
    assert second.client(key).get_object(Bucket="kept", Key="k")["Body"].read() == b"v"
    assert second.stop()[0] == 0


def test_environment_variables_and_banner(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    key = ("AKIAENVIRONMENT00001", "environment-secret-0000000000000000000000")
    served = serve(
        tmp_path,
        port=port,
        MRAP_HOST="127.0.0.1",
        MRAP_PORT=str(port),
        MRAP_DATA_DIR=str(tmp_path / "env-data"),
        MRAP_DOMAIN="env.test",
        MRAP_ROOT_ACCESS_KEY_ID=key[0],
        MRAP_ROOT_SECRET_ACCESS_KEY=key[1],
    )
    processes.append(served)
    for region in REGIONS:
        assert (tmp_path / "env-data" / "regions" / region).is_dir()
    assert served.banner_keys() == key
    text = served.text()
    assert f"http://127.0.0.1:{port}" in text
    assert f"aws --endpoint-url http://127.0.0.1:{port} s3 " in text
    assert f"export AWS_ACCESS_KEY_ID={key[0]}" in text
    assert f"export AWS_SECRET_ACCESS_KEY={key[1]}" in text
    assert "import boto3" in text
    assert f'endpoint_url="http://127.0.0.1:{port}"' in text

    # The boto3 example, pasted as printed, runs against the gateway.
    example = text[text.index("\nboto3:\n") + len("\nboto3:\n") :].split("\n\n")[0]
    example = textwrap.dedent(example)
    snippet = subprocess.run(
        [sys.executable, "-c", example],
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert snippet.returncode == 0, snippet.stderr
    assert "my-bucket" in snippet.stdout

    # The virtual-hosted domain came from MRAP_DOMAIN.
    status, _ = _raw_signed(served, key, "GET", "my-bucket.env.test", "/")
    assert status == 200
    assert served.stop(signal.SIGTERM)[0] == 0


def test_one_access_log_line_per_request(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    key = ("AKIALOGGING000000001", "logging-secret-00000000000000000000000000")
    served = serve(
        tmp_path,
        "--port",
        str(port),
        port=port,
        MRAP_ROOT_ACCESS_KEY_ID=key[0],
        MRAP_ROOT_SECRET_ACCESS_KEY=key[1],
    )
    processes.append(served)
    assert (tmp_path / "data" / "regions" / "us-east-1").is_dir(), "default ./data"
    s3 = served.client(key)
    s3.create_bucket(Bucket="logged")
    s3.put_object(Bucket="logged", Key="dir/a b.txt", Body=b"x" * 1234)
    s3.get_object(Bucket="logged", Key="dir/a b.txt")["Body"].read()
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="logged", Key="missing")
    assert served.stop()[0] == 0

    line = re.compile(
        r"^(GET|PUT|POST|HEAD|DELETE) (\S+) (\d{3}) (\d+) (\d+(?:\.\d+)?) ?ms( bucket=\S+)?"
        r"( key=\S+)?$"
    )
    entries = [m.groups() for m in map(line.match, served.text().splitlines()) if m]
    assert [(e[0], e[1], e[2]) for e in entries] == [
        ("PUT", "/logged", "200"),
        ("PUT", "/logged/dir/a%20b.txt", "200"),
        ("GET", "/logged/dir/a%20b.txt", "200"),
        ("GET", "/logged/missing", "404"),
    ]
    assert entries[2][3] == "1234"
    assert entries[2][5:] == (" bucket=logged", " key=dir/a%20b.txt")
    assert int(entries[3][3]) > 0  # the error document


def test_signals_stop_cleanly_with_idle_connections(
    tmp_path: Path, processes: list[Served]
) -> None:
    key = ("AKIASIGNALS000000001", "signals-secret-00000000000000000000000000")
    env = {"MRAP_ROOT_ACCESS_KEY_ID": key[0], "MRAP_ROOT_SECRET_ACCESS_KEY": key[1]}
    for sig in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        served = serve(tmp_path, "--port", str(port), port=port, **env)
        processes.append(served)
        s3 = served.client(key)
        s3.list_buckets()  # leaves a keep-alive connection open
        code, elapsed = served.stop(sig)
        assert code == 0, served.text()
        assert elapsed < 3, f"{sig!r} took {elapsed:.1f}s"
        assert "Traceback" not in served.text()


def test_sigterm_lets_an_upload_in_flight_finish(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    key = ("AKIAINFLIGHT00000001", "inflight-secret-0000000000000000000000000")
    env = {"MRAP_ROOT_ACCESS_KEY_ID": key[0], "MRAP_ROOT_SECRET_ACCESS_KEY": key[1]}
    served = serve(tmp_path, "--port", str(port), port=port, **env)
    processes.append(served)
    served.client(key).create_bucket(Bucket="inflight")
    body = os.urandom(1 << 20)
    head, _ = _signed_head(served, key, "PUT", "127.0.0.1", "/inflight/obj", body)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head + body[:1000])
        time.sleep(0.3)
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        conn.sendall(body[1000:])
        reply = conn.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert served.process.wait(timeout=10) == 0
    second = serve(tmp_path, "--port", str(port), port=port, **env)
    processes.append(second)
    assert second.client(key).get_object(Bucket="inflight", Key="obj")["Body"].read() == body
    assert second.stop()[0] == 0


def test_second_start_finds_everything(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    key = ("AKIARESTART000000001", "restart-secret-00000000000000000000000000")
    env = {"MRAP_ROOT_ACCESS_KEY_ID": key[0], "MRAP_ROOT_SECRET_ACCESS_KEY": key[1]}
    first = serve(tmp_path, "--port", str(port), port=port, **env)
    processes.append(first)
    s3 = first.client(key)
    for region in REGIONS:
        bucket = f"keep-{region}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        s3.put_object(
            Bucket=bucket,
            Key=f"dir/{region}.json",
            Body=json.dumps({"region": region}).encode(),
            ContentType="application/json",
            Metadata={"origin": region},
        )
    upload_id = s3.create_multipart_upload(Bucket="keep-eu-west-1", Key="pending")["UploadId"]
    part = s3.upload_part(
        Bucket="keep-eu-west-1", Key="pending", UploadId=upload_id, PartNumber=1, Body=b"p"
    )
    assert first.stop()[0] == 0

    second = serve(tmp_path, "--port", str(port), port=port, **env)
    processes.append(second)
    s3 = second.client(key)
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert names == {f"keep-{region}" for region in REGIONS}
    for region in REGIONS:
        bucket = f"keep-{region}"
        location = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"]
        assert (location or "us-east-1") == region
        got = s3.get_object(Bucket=bucket, Key=f"dir/{region}.json")
        assert json.loads(got["Body"].read()) == {"region": region}
        assert got["ContentType"] == "application/json"
        assert got["Metadata"] == {"origin": region}
        listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
        assert [o["Key"] for o in listed] == [f"dir/{region}.json"]
    parts = s3.list_parts(Bucket="keep-eu-west-1", Key="pending", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, part["ETag"])]
    assert second.stop()[0] == 0


def _signed_head(
    served: Served, key: tuple[str, str], method: str, host: str, path: str, body: bytes
) -> tuple[bytes, dict[str, str]]:
    """The head of a SigV4-signed request for `host`, to send to the gateway."""
    request = AWSRequest(method=method, url=f"http://{host}:{served.port}{path}", data=body)
    S3SigV4Auth(Credentials(*key), "s3", "us-east-1").add_auth(request)
    headers = {"Host": f"{host}:{served.port}", "Content-Length": str(len(body))}
    headers.update(request.headers.items())
    head = f"{method} {path} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode(), headers


def _raw_signed(
    served: Served, key: tuple[str, str], method: str, host: str, path: str, body: bytes = b""
) -> tuple[int, bytes]:
    """A SigV4-signed request with the given Host, sent to the gateway over a raw socket."""
    head, _ = _signed_head(served, key, method, host, path, body)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(head.replace(b"\r\n", b"\r\nConnection: close\r\n", 1) + body)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_domain_addresses_virtual_hosted_buckets(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    key = ("AKIADOMAIN0000000001", "domain-secret-000000000000000000000000000")
    served = serve(
        tmp_path,
        "--port",
        str(port),
        "--domain",
        "example.test",
        port=port,
        MRAP_ROOT_ACCESS_KEY_ID=key[0],
        MRAP_ROOT_SECRET_ACCESS_KEY=key[1],
    )
    processes.append(served)
    served.client(key).create_bucket(Bucket="bkt")

    status, _ = _raw_signed(served, key, "PUT", "bkt.example.test", "/raw.txt", b"raw body")
    assert status == 200
    status, body = _raw_signed(served, key, "GET", "bkt.example.test", "/raw.txt")
    assert (status, body) == (200, b"raw body")
    # Under another domain the host is not a bucket: this is path style, bucket "raw.txt".
    status, body = _raw_signed(served, key, "GET", "bkt.other.test", "/raw.txt")
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body

    # boto3 in virtual-hosted style, reaching the gateway as its HTTP proxy.
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://example.test:{port}",
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=Config(
            s3={"addressing_style": "virtual"},
            proxies={"http": served.endpoint},
            retries={"max_attempts": 1},
        ),
    )
    s3.put_object(Bucket="bkt", Key="via/proxy", Body=b"proxied")
    assert s3.get_object(Bucket="bkt", Key="via/proxy")["Body"].read() == b"proxied"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]]
    assert keys == ["raw.txt", "via/proxy"]
    assert f"PUT http://bkt.example.test:{port}/via/proxy 200" in served.text()
    assert served.stop()[0] == 0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_serve_and_stop(
    tmp_path: Path, processes: list[Served], sig: signal.Signals
) -> None:
    port = free_port()
    key = ("AKIAWORKERS000000001", "workers-secret-00000000000000000000000000")
    served = serve(
        tmp_path,
        "--port",
        str(port),
        "--workers",
        "2",
        port=port,
        MRAP_ROOT_ACCESS_KEY_ID=key[0],
        MRAP_ROOT_SECRET_ACCESS_KEY=key[1],
    )
    processes.append(served)
    # The port accepts as soon as the parent binds it; the workers fork just after.
    deadline = time.monotonic() + 20
    while len(workers := _children(served.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) == 2
    served.client(key).create_bucket(Bucket="shared")
    errors: list[BaseException] = []

    def work(index: int) -> None:
        s3 = served.client(key)
        try:
            for n in range(10):
                body = f"{index}-{n}".encode() * 100
                s3.put_object(Bucket="shared", Key=f"{index}/{n}", Body=body)
                assert s3.get_object(Bucket="shared", Key=f"{index}/{n}")["Body"].read() == body
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    listed = served.client(key).list_objects_v2(Bucket="shared")["KeyCount"]
    assert listed == 80
    code, elapsed = served.stop(sig)
    assert code == 0, served.text()
    assert elapsed < 5
    for pid in workers:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )


def _client_ports_held(pid: int, port: int) -> set[int]:
    """Client-side ports of the established connections to `port` that process `pid` holds."""
    peers: dict[str, int] = {}  # socket inode -> client port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                peers[inode] = int(remote.rsplit(":", 1)[1], 16)
    inodes = {os.readlink(fd)[8:-1] for fd in Path(f"/proc/{pid}/fd").iterdir()}
    return {peers[inode] for inode in inodes if inode in peers}


def test_two_workers_share_the_connections(tmp_path: Path, processes: list[Served]) -> None:
    port = free_port()
    served = serve(tmp_path, "--port", str(port), "--workers", "2", port=port)
    processes.append(served)
    deadline = time.monotonic() + 20
    while len(workers := _children(served.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) == 2
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(32)]
    try:
        for client in clients:  # an answer means a worker accepted the connection
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for client in clients:
            assert client.recv(4096).startswith(b"HTTP/1.1 403 ")
        ours = {client.getsockname()[1] for client in clients}
        held = [_client_ports_held(pid, port) & ours for pid in workers]
        # Each worker has its own SO_REUSEPORT socket, so the kernel hashes the 32
        # connections' source ports across both (all on one has odds of 2 in 2**32).
        assert held[0] | held[1] == ours and not held[0] & held[1]
        assert len(held[0]) >= 1 and len(held[1]) >= 1, [len(h) for h in held]
    finally:
        for client in clients:
            client.close()
    assert served.stop()[0] == 0
