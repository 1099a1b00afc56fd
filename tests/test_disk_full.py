"""A full disk: writes fail with 507 StorageFull, never 500; deletes keep working; nothing stored
is damaged. The data directory is a small tmpfs (mounting needs root: skipped otherwise)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway, make_gateway

MIB = 1 << 20
RESERVE = 2 * MIB


def _mount(path: Path, size: str) -> str | None:
    """Mount a tmpfs at `path`; the reason when it cannot be done here."""
    path.mkdir(parents=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}"
    return None


@pytest.fixture(scope="module")
def full_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("disk-full")
    gw = make_gateway(tmp, MRAP_RESERVED_SPACE=str(RESERVE))
    reason = _mount(gw.data_dir, "48m")
    if reason is not None:
        pytest.skip(reason)
    try:
        gw.start()
        yield gw
        if gw.process is not None:
            gw.stop()
    finally:
        subprocess.run(["umount", "-l", str(gw.data_dir)], check=False)


def _free(gw: Gateway) -> int:
    stats = os.statvfs(gw.data_dir)
    return stats.f_bavail * stats.f_frsize


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = exc.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def _fill(s3: BaseClient, bucket: str) -> dict[str, str]:
    """Put 1 MiB objects until the gateway refuses; their keys and MD5s."""
    stored: dict[str, str] = {}
    for n in range(100):
        body = os.urandom(MIB)
        try:
            s3.put_object(Bucket=bucket, Key=f"fill/{n:03d}", Body=body)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            assert (exc.response["ResponseMetadata"]["HTTPStatusCode"], code) == (
                507,
                "StorageFull",
            )
            return stored
        stored[f"fill/{n:03d}"] = hashlib.md5(body).hexdigest()
    raise AssertionError("a 48 MiB disk took 100 MiB")


def test_a_full_disk_refuses_writes_and_frees_space_through_deletes(
    full_gateway: Gateway,
) -> None:
    s3 = full_gateway.client()
    s3.create_bucket(Bucket="full")
    upload = s3.create_multipart_upload(Bucket="full", Key="parts")["UploadId"]
    s3.upload_part(Bucket="full", Key="parts", UploadId=upload, PartNumber=1, Body=b"p" * MIB)

    # A body larger than the free space streams into the disk until it is full: the write
    # fails as StorageFull and its partial file is removed.
    before = _free(full_gateway)
    with pytest.raises(ClientError) as too_big:
        s3.put_object(Bucket="full", Key="too-big", Body=b"x" * (before + 4 * MIB))
    assert _error(too_big) == (507, "StorageFull")
    assert "full" in str(too_big.value)
    assert _free(full_gateway) >= before - MIB
    assert "Contents" not in s3.list_objects_v2(Bucket="full", Prefix="too-big")

    stored = _fill(s3, "full")
    assert len(stored) >= 10
    calls: tuple[Callable[[], object], ...] = (
        lambda: s3.put_object(Bucket="full", Key="more", Body=b"y" * MIB),
        lambda: s3.upload_part(
            Bucket="full", Key="parts", UploadId=upload, PartNumber=2, Body=b"q" * MIB
        ),
        lambda: s3.copy_object(
            Bucket="full", Key="copy", CopySource={"Bucket": "full", "Key": "fill/000"}
        ),
    )
    for call in calls:
        with pytest.raises(ClientError) as refused:
            call()
        assert _error(refused) == (507, "StorageFull")

    # Everything acknowledged reads back intact, and listing works on a full disk.
    listed = s3.list_objects_v2(Bucket="full", Prefix="fill/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(stored)
    for key, digest in stored.items():
        body = s3.get_object(Bucket="full", Key=key)["Body"].read()
        assert hashlib.md5(body).hexdigest() == digest

    # Deletes free space without a restart.
    keys = sorted(stored)
    s3.delete_object(Bucket="full", Key=keys[0])
    deleted = s3.delete_objects(Bucket="full", Delete={"Objects": [{"Key": k} for k in keys[1:4]]})
    assert len(deleted["Deleted"]) == 3 and "Errors" not in deleted
    s3.abort_multipart_upload(Bucket="full", Key="parts", UploadId=upload)
    s3.put_object(Bucket="full", Key="after", Body=b"z" * MIB)
    assert s3.get_object(Bucket="full", Key="after")["Body"].read() == b"z" * MIB
    for key in keys[4:]:
        body = s3.get_object(Bucket="full", Key=key)["Body"].read()
        assert hashlib.md5(body).hexdigest() == stored[key]

    log = full_gateway.log()
    assert "Traceback" not in log
    assert " 500 " not in log
