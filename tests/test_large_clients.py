"""Real clients on large and versioned data, and malformed multipart requests (issue 3)."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import request, snapshot

MIB = 1024 * 1024


def _random_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for _ in range(size // MIB):
            fh.write(os.urandom(MIB))
        fh.write(os.urandom(size % MIB))
    return path


def test_boto3_upload_file_100_mib(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    source = _random_file(tmp_path / "big.bin", 100 * MIB)
    s3.upload_file(str(source), bucket, "big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 100 * MIB
    assert head["ETag"].strip('"').endswith("-13")  # 8 MiB parts, multipart
    s3.download_file(bucket, "big.bin", str(tmp_path / "back.bin"))
    assert filecmp.cmp(source, tmp_path / "back.bin", shallow=False)


def test_aws_cli_cp_and_sync_with_a_50_mib_file(
    aws: Any,
    s3: BaseClient,
    bucket: str,
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    big = _random_file(tree / "media" / "big.bin", 50 * MIB)
    _random_file(tree / "notes.txt", 1000)
    aws("s3", "cp", str(big), f"s3://{bucket}/copied/big.bin")
    out = aws("s3", "sync", str(tree), f"s3://{bucket}/synced")
    assert out.count("upload: ") == 2
    assert aws("s3", "sync", str(tree), f"s3://{bucket}/synced") == ""
    for key in ("copied/big.bin", "synced/media/big.bin"):
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 50 * MIB
    down = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/synced", str(down))
    assert filecmp.cmp(big, down / "media" / "big.bin", shallow=False)


def test_versioned_overwrite_and_delete_marker_round_trip(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    marker = s3.delete_object(Bucket=bucket, Key="doc")
    assert marker["DeleteMarker"] is True
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="doc")
    assert exc.value.response["Error"]["Code"] == "NoSuchKey"
    old = s3.get_object(Bucket=bucket, Key="doc", VersionId=first)["Body"].read()
    assert old == b"one"
    # Removing the marker brings the latest version back.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    versions = s3.list_object_versions(Bucket=bucket, Prefix="doc")
    assert [v["VersionId"] for v in versions["Versions"]] == [second, first]
    assert "DeleteMarkers" not in versions


@pytest.mark.parametrize(
    "body",
    [
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
        b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload></CompleteMultipartUpload>",
        b"<Other/>",
        b"not xml at all",
    ],
    ids=["truncated", "no-part-number", "no-parts", "wrong-root", "not-xml"],
)
def test_malformed_complete_is_refused(
    gateway: Gateway, s3: BaseClient, bucket: str, body: bytes
) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"x")
    before = snapshot(s3)
    reply = request(gateway, "POST", f"/{bucket}/k?uploadId={upload}", body=body)
    assert (reply.status, reply.error["Code"]) == (400, "MalformedXML")
    assert snapshot(s3) == before
    # The upload is still there and can be completed properly.
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)["Parts"]) == 1


@pytest.mark.parametrize("number", ["0", "10001", "-1", "x"])
def test_upload_part_number_out_of_range(
    gateway: Gateway, s3: BaseClient, bucket: str, number: str
) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    reply = request(
        gateway, "PUT", f"/{bucket}/k?partNumber={number}&uploadId={upload}", body=b"data"
    )
    assert (reply.status, reply.error["Code"]) == (400, "InvalidArgument")
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload).get("Parts", []) == []
