"""Real clients against the gateway over plain HTTP: the aws CLI v1 and boto3's transfers.

Current clients send the raw body with an `x-amz-checksum-crc32` header over HTTP; the
gateway verifies it, and a wrong one is `BadDigest`.
"""

from __future__ import annotations

import base64
import filecmp
import hashlib
import json
import os
import re
import socket
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.credentials import Credentials
from conftest import ACCESS_KEY, SECRET_KEY, Gateway

MIB = 1024 * 1024


def _random_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def test_aws_s3_mb_cp_ls_rm(aws: Any, s3: BaseClient, tmp_path: Path) -> None:
    name = "cli-" + os.urandom(4).hex()
    assert f"make_bucket: {name}" in aws("s3", "mb", f"s3://{name}")
    small = _random_file(tmp_path / "small.txt", 1000)
    big = _random_file(tmp_path / "big.bin", 20 * MIB)
    aws("s3", "cp", str(small), f"s3://{name}/docs/small.txt")
    aws("s3", "cp", str(big), f"s3://{name}/big.bin")

    head = s3.head_object(Bucket=name, Key="big.bin")
    assert head["ContentLength"] == 20 * MIB
    assert re.fullmatch(r'"[0-9a-f]{32}-\d+"', head["ETag"]), "20 MiB goes multipart"

    listing = aws("s3", "ls", f"s3://{name}")
    assert re.search(r"PRE docs/", listing)
    assert re.search(rf"\s{20 * MIB} big\.bin$", listing, re.MULTILINE)
    recursive = aws("s3", "ls", "--recursive", f"s3://{name}")
    assert re.search(r"\s1000 docs/small\.txt$", recursive, re.MULTILINE)
    assert name in aws("s3", "ls")

    aws("s3", "cp", f"s3://{name}/big.bin", str(tmp_path / "big.copy"))
    assert filecmp.cmp(big, tmp_path / "big.copy", shallow=False)

    assert f"delete: s3://{name}/docs/small.txt" in aws("s3", "rm", f"s3://{name}/docs/small.txt")
    for n in range(5):
        s3.put_object(Bucket=name, Key=f"tree/{n % 2}/{n}", Body=b"x")
    removed = aws("s3", "rm", "--recursive", f"s3://{name}/tree/")
    assert removed.count("delete: ") == 5
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
    assert keys == ["big.bin"]
    aws("s3", "rm", f"s3://{name}/big.bin")
    assert f"remove_bucket: {name}" in aws("s3", "rb", f"s3://{name}")


def test_aws_s3_sync_twice_uploads_nothing(
    aws: Any, s3: BaseClient, bucket: str, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    files = {
        "top.txt": 10,
        "with space.txt": 20,
        "sub/b.txt": 3000,
        "sub/deeper/c.bin": 70000,
        "sub/deeper/ünï.txt": 5,
    }
    for rel, size in files.items():
        _random_file(tree / rel, size)
    first = aws("s3", "sync", str(tree), f"s3://{bucket}/mirror")
    assert first.count("upload: ") == len(files)
    listed = {
        o["Key"]: o["Size"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="mirror/").get("Contents", [])
    }
    assert listed == {f"mirror/{rel}": size for rel, size in files.items()}

    assert aws("s3", "sync", str(tree), f"s3://{bucket}/mirror") == ""

    _random_file(tree / "sub" / "b.txt", 3001)
    third = aws("s3", "sync", str(tree), f"s3://{bucket}/mirror")
    assert third.count("upload: ") == 1 and "sub/b.txt" in third

    down = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/mirror", str(down))
    for rel in files:
        assert filecmp.cmp(tree / rel, down / rel, shallow=False), rel
    assert aws("s3", "sync", f"s3://{bucket}/mirror", str(down)) == ""


def test_aws_s3api_put_get_list(aws: Any, bucket: str, tmp_path: Path) -> None:
    body = _random_file(tmp_path / "in.bin", 4096)
    put = json.loads(
        aws(
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "api/obj.bin",
            "--body",
            str(body),
            "--content-type",
            "application/x-test",
            "--metadata",
            "color=blue",
        )
    )
    assert put["ETag"] == f'"{hashlib.md5(body.read_bytes()).hexdigest()}"'
    got = json.loads(
        aws(
            "s3api",
            "get-object",
            "--bucket",
            bucket,
            "--key",
            "api/obj.bin",
            str(tmp_path / "out.bin"),
        )
    )
    assert got["ContentLength"] == 4096
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue"}
    assert (tmp_path / "out.bin").read_bytes() == body.read_bytes()
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "api/"))
    assert [(o["Key"], o["Size"]) for o in listed["Contents"]] == [("api/obj.bin", 4096)]


def test_boto3_upload_and_download_file_20_mib(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    source = _random_file(tmp_path / "source.bin", 20 * MIB)
    s3.upload_file(str(source), bucket, "transfers/source.bin")
    head = s3.head_object(Bucket=bucket, Key="transfers/source.bin")
    assert head["ContentLength"] == 20 * MIB
    assert head["ETag"].endswith('-3"'), head["ETag"]  # three 8 MiB parts
    target = tmp_path / "target.bin"
    s3.download_file(bucket, "transfers/source.bin", str(target))
    assert filecmp.cmp(source, target, shallow=False)


def test_boto3_paginator(s3: BaseClient, bucket: str) -> None:
    keys = [*sorted(f"page/{n:02d}" for n in range(23)), "page/sub/x", "page/sub/y"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(
        paginator.paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 7})
    )
    assert [p["KeyCount"] for p in pages] == [7, 7, 7, 4]
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys
    grouped = list(
        paginator.paginate(
            Bucket=bucket, Prefix="page/", Delimiter="/", PaginationConfig={"PageSize": 10}
        )
    )
    assert [o["Key"] for p in grouped for o in p.get("Contents", [])] == keys[:23]
    prefixes = [c["Prefix"] for p in grouped for c in p.get("CommonPrefixes", [])]
    assert prefixes == ["page/sub/"]
    v1 = s3.get_paginator("list_objects")
    assert [
        o["Key"]
        for p in v1.paginate(Bucket=bucket, PaginationConfig={"PageSize": 5})
        for o in p["Contents"]
    ] == keys


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_default_crc32_header_is_accepted_and_kept(s3: BaseClient, bucket: str) -> None:
    sent: list[dict[str, str | bytes]] = []
    s3.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: sent.append(dict(request.headers.items())),
    )
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="crc", Body=data)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[0].items()}
    assert headers["x-amz-checksum-crc32"] == _crc32(data)
    assert "aws-chunked" not in headers.get("content-encoding", "")
    assert put["ChecksumCRC32"] == _crc32(data)
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == _crc32(data)
    assert got["Body"].read() == data


def _raw_put(gw: Gateway, path: str, body: bytes, extra: dict[str, str]) -> tuple[int, bytes]:
    request = AWSRequest(method="PUT", url=gw.endpoint + path, data=body, headers=extra)
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    headers = {"Host": f"127.0.0.1:{gw.port}", "Content-Length": str(len(body))}
    headers.update(request.headers.items())
    head = f"PUT {path} HTTP/1.1\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as conn:
        conn.sendall(head.encode() + body)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_wrong_crc32_is_bad_digest(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    data = b"the body as sent" * 1000
    wrong = _crc32(data + b"!")
    status, body = _raw_put(gateway, f"/{bucket}/bad", data, {"x-amz-checksum-crc32": wrong})
    assert status == 400
    assert b"<Code>BadDigest</Code>" in body
    with pytest.raises(s3.exceptions.ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="bad")
    assert caught.value.response["Error"]["Code"] == "404"

    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="bad-part")["UploadId"]
    status, body = _raw_put(
        gateway,
        f"/{bucket}/bad-part?partNumber=1&uploadId={upload_id}",
        data,
        {"x-amz-checksum-crc32": wrong},
    )
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    assert s3.list_parts(Bucket=bucket, Key="bad-part", UploadId=upload_id).get("Parts", []) == []

    status, _ = _raw_put(gateway, f"/{bucket}/good", data, {"x-amz-checksum-crc32": _crc32(data)})
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="good")["Body"].read() == data
