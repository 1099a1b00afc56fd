"""Durability of the embedded store: SIGKILL the gateway mid-upload, restart, check.

Every acknowledged write must read back byte-identical after the restart, no partial object
may ever be visible, an overwrite leaves the old object or the new one, and temporary files
left by the crash are swept at start.
"""

from __future__ import annotations

import hashlib
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.credentials import Credentials
from conftest import ACCESS_KEY, SECRET_KEY, Gateway, make_gateway

KIB = 1024
MIB = 1024 * KIB
THREADS = 12
MAX_UPLOADS = 400  # bounds the run in count as well as in time
KILL_AFTER_ACKS = 60
KILL_AFTER_SECONDS = 6.0


@dataclass
class Version:
    """One attempted write: enough to recognise its bytes."""

    size: int
    md5: str
    sha256: str


@dataclass
class Ledger:
    """What the writers attempted and what the gateway acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempted: dict[str, list[Version]] = field(default_factory=dict)
    acked: dict[str, Version] = field(default_factory=dict)
    uploads: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def attempt(self, key: str, version: Version) -> bool:
        with self.lock:
            if self.stop.is_set() or self.uploads >= MAX_UPLOADS:
                return False
            self.uploads += 1
            self.attempted.setdefault(key, []).append(version)
            return True

    def ack(self, key: str, version: Version) -> None:
        with self.lock:
            self.acked[key] = version


def _body(rng: random.Random) -> tuple[bytes, Version]:
    data = rng.randbytes(rng.randint(64 * KIB, 2 * MIB))
    version = Version(len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())
    return data, version


def _writer(gw: Gateway, bucket: str, ledger: Ledger, index: int, overwrite: bool) -> None:
    """Upload until stopped; writers that overwrite reuse one key, the others never do."""
    s3 = gw.client(connect_timeout=2, read_timeout=10)
    rng = random.Random(index)
    n = 0
    while True:
        key = f"same/{index}" if overwrite else f"fresh/{index}/{n}"
        n += 1
        data, version = _body(rng)
        if not ledger.attempt(key, version):
            return
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=data)
        except Exception:
            return  # the gateway is gone: this write was not acknowledged
        ledger.ack(key, version)


def _tmp_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "regions").glob("*/data/*/.tmp-*") if p.is_file()]


def _data_files(data_dir: Path, region: str) -> list[Path]:
    folder = data_dir / "regions" / region / "data"
    return [p for p in folder.glob("*/*") if p.is_file() and not p.name.startswith(".tmp-")]


def _sha256_of(s3: BaseClient, bucket: str, key: str) -> tuple[int, str]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return len(body), hashlib.sha256(body).hexdigest()


def test_sigkill_during_concurrent_uploads(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, "--quiet")
    gw.start()
    try:
        s3 = gw.client()
        bucket = "durable"
        s3.create_bucket(Bucket=bucket)
        ledger = Ledger()
        threads = [
            threading.Thread(target=_writer, args=(gw, bucket, ledger, i, i % 3 == 0))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + KILL_AFTER_SECONDS
        while len(ledger.acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gw.stop(signal.SIGKILL) == -signal.SIGKILL
        ledger.stop.set()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive()
        assert len(ledger.acked) >= 10, "too few uploads finished before the kill"
        # A temporary file in every region, as a crash before an acknowledgement leaves.
        for region_dir in (gw.data_dir / "regions").iterdir():
            (region_dir / "data" / "00" / ".tmp-leftover-from-crash").write_bytes(b"x" * 1000)
        assert _tmp_files(gw.data_dir)

        gw.start()
        assert _tmp_files(gw.data_dir) == []

        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                listed[item["Key"]] = item
        assert set(ledger.acked) <= set(listed), "an acknowledged object is missing"
        for key, item in listed.items():
            attempted = ledger.attempted[key]
            etag = item["ETag"].strip('"')
            matches = [v for v in attempted if (v.size, v.md5) == (item["Size"], etag)]
            assert len(matches) == 1, f"{key} is not any complete upload"
            # What is visible reads back byte-identical to the complete upload it claims.
            assert _sha256_of(s3, bucket, key) == (matches[0].size, matches[0].sha256), key
            if key in ledger.acked:
                # Writes to a key are sequential: after the kill it holds the last
                # acknowledged version or the one in flight then, never an older one.
                allowed = attempted[attempted.index(ledger.acked[key]) :]
                assert matches[0] in allowed, key
        # Data files of writes that never committed are swept too.
        assert len(_data_files(gw.data_dir, "us-east-1")) == len(listed)
    finally:
        if gw.process is not None:
            gw.stop()


def _signed_headers(gw: Gateway, method: str, path: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(method=method, url=gw.endpoint + path, data=body)
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = f"127.0.0.1:{gw.port}"
    headers["Content-Length"] = str(len(body))
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}


def test_sigkill_during_multipart_upload(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, "--quiet")
    gw.start()
    try:
        s3 = gw.client()
        bucket, key = "multipart-durable", "big/object"
        s3.create_bucket(Bucket=bucket)
        rng = random.Random(7)
        parts = [rng.randbytes(5 * MIB), rng.randbytes(5 * MIB), rng.randbytes(3 * MIB)]
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etags = [
            s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=parts[n - 1]
            )["ETag"]
            for n in (1, 2)
        ]
        # Part 3 is half sent when the gateway dies.
        path = f"/{bucket}/{key}?partNumber=3&uploadId={upload_id}"
        headers = _signed_headers(gw, "PUT", path, parts[2])
        head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        with socket.create_connection(("127.0.0.1", gw.port)) as conn:
            conn.sendall(head.encode() + b"\r\n" + parts[2][: len(parts[2]) // 2])
            deadline = time.monotonic() + 5
            while not _tmp_files(gw.data_dir) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _tmp_files(gw.data_dir), "the half-sent part never reached a temporary file"
            gw.stop(signal.SIGKILL)

        gw.start()
        assert _tmp_files(gw.data_dir) == []
        listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [
            (1, etags[0], 5 * MIB),
            (2, etags[1], 5 * MIB),
        ]
        etags.append(
            s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=3, Body=parts[2])[
                "ETag"
            ]
        )
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n - 1]} for n in (1, 2, 3)]},
        )
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(b"".join(parts)).digest()
        # The parts' files are gone: the object's own file is the only one left.
        assert len(_data_files(gw.data_dir, "us-east-1")) == 1
    finally:
        if gw.process is not None:
            gw.stop()


def test_rename_lost_in_a_crash_is_finished_at_start(tmp_path: Path) -> None:
    """The commit names a file whose rename the crash undid: the start-up sweep renames it."""
    gw = make_gateway(tmp_path, "--quiet")
    gw.start()
    try:
        s3 = gw.client()
        s3.create_bucket(Bucket="rolled-forward")
        body = random.Random(3).randbytes(300_000)
        s3.put_object(Bucket="rolled-forward", Key="k", Body=body)
        gw.stop(signal.SIGKILL)
        (final,) = _data_files(gw.data_dir, "us-east-1")
        final.rename(final.with_name(".tmp-" + final.name))

        gw.start()
        assert s3.get_object(Bucket="rolled-forward", Key="k")["Body"].read() == body
        assert _tmp_files(gw.data_dir) == []
        assert [p.name for p in _data_files(gw.data_dir, "us-east-1")] == [final.name]
    finally:
        if gw.process is not None:
            gw.stop()
