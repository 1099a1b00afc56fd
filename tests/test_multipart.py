"""Multipart upload through boto3 against the running gateway.

Create, UploadPart, Complete (with S3's ETag and its InvalidPart, InvalidPartOrder and
EntityTooSmall checks), Abort, ListParts, and boto3's upload_file/download_file of 20 MiB.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway

MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part allowed before the last one


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def start(s3: BaseClient, bucket: str, key: str = "mp", **kwargs: Any) -> str:
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]
    return upload_id


def put_part(s3: BaseClient, bucket: str, upload_id: str, number: int, body: bytes) -> str:
    etag: str = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=body
    )["ETag"]
    return etag


def complete(s3: BaseClient, bucket: str, upload_id: str, parts: list[tuple[int, str]]) -> Any:
    return s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
    )


def gone(s3: BaseClient, bucket: str, upload_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert error_of(exc) == ("NoSuchUpload", 404)


@pytest.fixture(scope="module")
def big_part() -> bytes:
    return os.urandom(PART)


def test_create_upload_complete(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ContentType="video/mp4", Metadata={"take": "2"}
    )
    assert created["Bucket"] == bucket
    assert created["Key"] == "mp"
    upload_id = created["UploadId"]
    tail = b"the last part may be small"
    parts = [(1, put_part(s3, bucket, upload_id, 1, big_part))]
    parts.append((2, put_part(s3, bucket, upload_id, 2, tail)))
    assert parts[0][1] == f'"{hashlib.md5(big_part).hexdigest()}"'
    assert parts[1][1] == f'"{hashlib.md5(tail).hexdigest()}"'

    done = complete(s3, bucket, upload_id, parts)
    assert done["ETag"] == multipart_etag([big_part, tail])
    assert done["Bucket"] == bucket
    assert done["Key"] == "mp"

    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["ETag"] == done["ETag"]
    assert got["ContentLength"] == PART + len(tail)
    assert got["ContentType"] == "video/mp4"
    assert got["Metadata"] == {"take": "2"}
    assert got["Body"].read() == big_part + tail
    ranged = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={PART - 3}-{PART + 2}")
    assert ranged["Body"].read() == big_part[-3:] + tail[:3]
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == [
        ("mp", done["ETag"], PART + len(tail))
    ]
    gone(s3, bucket, upload_id)


def test_single_small_part(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    etag = put_part(s3, bucket, upload_id, 1, b"tiny")
    done = complete(s3, bucket, upload_id, [(1, etag)])
    assert done["ETag"] == multipart_etag([b"tiny"])
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"tiny"


def test_complete_uses_listed_parts_only(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    upload_id = start(s3, bucket)
    first = put_part(s3, bucket, upload_id, 1, big_part)
    put_part(s3, bucket, upload_id, 2, b"left out")
    last = put_part(s3, bucket, upload_id, 5, b"end")
    done = complete(s3, bucket, upload_id, [(1, first), (5, last)])
    assert done["ETag"] == multipart_etag([big_part, b"end"])
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == big_part + b"end"


def test_reuploaded_part_replaces_the_first(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    old = put_part(s3, bucket, upload_id, 1, b"old")
    new = put_part(s3, bucket, upload_id, 1, b"new!")
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, new, 4)]
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, old)])
    assert error_of(exc) == ("InvalidPart", 400)
    complete(s3, bucket, upload_id, [(1, new)])
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"new!"


def test_complete_replaces_existing_object(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="mp", Body=b"before", Metadata={"old": "1"})
    upload_id = start(s3, bucket, Metadata={"new": "1"})
    complete(s3, bucket, upload_id, [(1, put_part(s3, bucket, upload_id, 1, b"after"))])
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"after"
    assert got["Metadata"] == {"new": "1"}


def test_repeated_complete_answers_the_first_result(s3: BaseClient, bucket: str) -> None:
    # AWS: "CompleteMultipartUpload is idempotent"—a retry after a lost response gets 200 and
    # the object's ETag while the object is still the one the upload produced.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    upload_id = start(s3, bucket, ChecksumAlgorithm="CRC32")
    body = b"only part"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    etag = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=body, ChecksumCRC32=crc
    )["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag, "ChecksumCRC32": crc}]}
    first = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload=parts
    )
    again = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload=parts
    )
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    fields = ("ETag", "VersionId", "ChecksumCRC32", "Bucket", "Key")
    assert {f: again[f] for f in fields} == {f: first[f] for f in fields}
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == [first["VersionId"]]
    # Once the key holds another object, the upload is gone for good.
    s3.put_object(Bucket=bucket, Key="mp", Body=b"newer")
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, etag)])
    assert error_of(exc) == ("NoSuchUpload", 404)
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"newer"


def test_repeated_complete_of_another_key_is_no_such_upload(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    etag = put_part(s3, bucket, upload_id, 1, b"data")
    complete(s3, bucket, upload_id, [(1, etag)])
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="copy",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
    assert error_of(exc) == ("NoSuchUpload", 404)


def test_object_invisible_until_complete(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    put_part(s3, bucket, upload_id, 1, b"data")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="mp")
    assert error_of(exc) == ("404", 404)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_invalid_part_wrong_etag(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    upload_id = start(s3, bucket)
    first = put_part(s3, bucket, upload_id, 1, big_part)
    put_part(s3, bucket, upload_id, 2, b"end")
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, first), (2, '"0123456789abcdef0123456789abcdef"')])
    assert error_of(exc) == ("InvalidPart", 400)
    # The upload is still open and can be completed properly.
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]


def test_invalid_part_missing(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    upload_id = start(s3, bucket)
    first = put_part(s3, bucket, upload_id, 1, big_part)
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, first), (3, first)])
    assert error_of(exc) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="mp")
    assert error_of(exc) == ("404", 404)


def test_invalid_part_order(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    upload_id = start(s3, bucket)
    first = put_part(s3, bucket, upload_id, 1, big_part)
    second = put_part(s3, bucket, upload_id, 2, big_part)
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(2, second), (1, first)])
    assert error_of(exc) == ("InvalidPartOrder", 400)
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, first), (1, first)])
    assert error_of(exc) == ("InvalidPartOrder", 400)
    done = complete(s3, bucket, upload_id, [(1, first), (2, second)])
    assert done["ETag"] == multipart_etag([big_part, big_part])


def test_entity_too_small(s3: BaseClient, bucket: str, big_part: bytes) -> None:
    upload_id = start(s3, bucket)
    small = put_part(s3, bucket, upload_id, 1, big_part[:-1])
    last = put_part(s3, bucket, upload_id, 2, b"end")
    with pytest.raises(ClientError) as exc:
        complete(s3, bucket, upload_id, [(1, small), (2, last)])
    assert error_of(exc) == ("EntityTooSmall", 400)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_abort(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    etag = put_part(s3, bucket, upload_id, 1, b"data")
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    gone(s3, bucket, upload_id)
    for call in (
        lambda: put_part(s3, bucket, upload_id, 2, b"more"),
        lambda: complete(s3, bucket, upload_id, [(1, etag)]),
        lambda: s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchUpload", 404)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_unknown_upload_id(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        put_part(s3, bucket, "no-such-upload", 1, b"x")
    assert error_of(exc) == ("NoSuchUpload", 404)
    # An upload id belongs to its key.
    upload_id = start(s3, bucket, key="other")
    gone(s3, bucket, upload_id)


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_out_of_range(s3: BaseClient, bucket: str, number: int) -> None:
    upload_id = start(s3, bucket)
    with pytest.raises(ClientError) as exc:
        put_part(s3, bucket, upload_id, number, b"x")
    assert error_of(exc) == ("InvalidArgument", 400)


def test_part_content_md5_and_crc32(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket, ChecksumAlgorithm="CRC32")
    body = b"part with checksums"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    response = s3.upload_part(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        PartNumber=1,
        Body=body,
        ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode(),
        ChecksumCRC32=crc,
    )
    assert response["ChecksumCRC32"] == crc
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=2,
            Body=body,
            ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode(),
        )
    assert error_of(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=3,
            Body=body,
            ChecksumCRC32=base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode(),
        )
    assert error_of(exc) == ("BadDigest", 400)
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1]
    assert parts[0]["ChecksumCRC32"] == crc


# ListParts


def test_list_parts_pages(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    bodies = {n: f"part {n}".encode() * n for n in range(1, 8)}
    etags = {n: put_part(s3, bucket, upload_id, n, body) for n, body in bodies.items()}

    whole = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert whole["Bucket"] == bucket
    assert whole["Key"] == "mp"
    assert whole["UploadId"] == upload_id
    assert whole["IsTruncated"] is False
    assert whole["StorageClass"] == "STANDARD"
    assert whole["Owner"]["ID"] == whole["Initiator"]["ID"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in whole["Parts"]] == [
        (n, etags[n], len(bodies[n])) for n in range(1, 8)
    ]

    first = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id, MaxParts=3)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2, 3]
    assert first["IsTruncated"] is True
    assert first["MaxParts"] == 3
    assert first["NextPartNumberMarker"] == 3
    second = s3.list_parts(
        Bucket=bucket, Key="mp", UploadId=upload_id, MaxParts=3, PartNumberMarker=3
    )
    assert second["PartNumberMarker"] == 3
    assert [p["PartNumber"] for p in second["Parts"]] == [4, 5, 6]
    third = s3.list_parts(
        Bucket=bucket, Key="mp", UploadId=upload_id, MaxParts=3, PartNumberMarker=6
    )
    assert [p["PartNumber"] for p in third["Parts"]] == [7]
    assert third["IsTruncated"] is False

    paginator = s3.get_paginator("list_parts")
    pages = list(
        paginator.paginate(
            Bucket=bucket, Key="mp", UploadId=upload_id, PaginationConfig={"PageSize": 2}
        )
    )
    assert len(pages) == 4
    assert [p["PartNumber"] for page in pages for p in page["Parts"]] == list(range(1, 8))


def test_list_parts_empty(s3: BaseClient, bucket: str) -> None:
    upload_id = start(s3, bucket)
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert "Parts" not in listed
    assert listed["IsTruncated"] is False


# region stores


def test_upload_lives_in_the_bucket_region(gateway: Gateway, s3: BaseClient) -> None:
    bucket = "mp-eu-" + os.urandom(6).hex()
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    upload_id = start(s3, bucket)
    etag = put_part(s3, bucket, upload_id, 1, b"europe")

    def uploads(region: str) -> list[Any]:
        db = gateway.data_dir / "regions" / region / "db.sqlite3"
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute(
                "SELECT upload_id FROM uploads WHERE bucket = ?", (bucket,)
            ).fetchall()
        finally:
            conn.close()

    assert uploads("eu-west-1") == [(upload_id,)]
    assert uploads("us-east-1") == []
    complete(s3, bucket, upload_id, [(1, etag)])
    assert uploads("eu-west-1") == []
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"europe"


# boto3's managed transfers


def test_upload_file_and_download_file_20_mib(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    data = os.urandom(20 * MIB)
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "big/file.bin")  # boto3 defaults: 8 MiB parts, CRC32

    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == len(data)
    chunks = [data[i : i + 8 * MIB] for i in range(0, len(data), 8 * MIB)]
    assert head["ETag"] == multipart_etag(chunks)

    target = tmp_path / "target.bin"
    s3.download_file(bucket, "big/file.bin", str(target))
    assert target.read_bytes() == data

    # Ranged, concurrent download in small pieces comes back identical too.
    small = TransferConfig(multipart_threshold=MIB, multipart_chunksize=MIB, max_concurrency=4)
    again = tmp_path / "again.bin"
    s3.download_file(bucket, "big/file.bin", str(again), Config=small)
    assert again.read_bytes() == data


def test_upload_fileobj_single_request(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "small.bin"
    data = os.urandom(3 * MIB)
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "small.bin")
    head = s3.head_object(Bucket=bucket, Key="small.bin")
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    target = tmp_path / "small.out"
    s3.download_file(bucket, "small.bin", str(target))
    assert target.read_bytes() == data
