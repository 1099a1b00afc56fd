"""Additional checksums (`x-amz-checksum-*`) through boto3 and raw HTTP.

Each algorithm as a header (boto3 over plain HTTP) and as an aws-chunked trailer (boto3's
own encoder, as it sends over HTTPS); verification (BadDigest, InvalidRequest), storage,
and GET/HEAD with checksum mode; S3's default CRC64NVME; multipart uploads with COMPOSITE
and FULL_OBJECT checksums; CopyObject; GetObjectAttributes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from typing import Any

import pytest
from awscrt import checksums as crt
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import Reply, request, temporary_files

MIB = 1024 * 1024
ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
COMPOSITE = ["CRC32", "CRC32C", "SHA1", "SHA256"]
FULL_OBJECT = ["CRC32", "CRC32C", "CRC64NVME"]


def digest(algorithm: str, data: bytes) -> bytes:
    if algorithm == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return int(crt.crc32c(data)).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return int(crt.crc64nvme(data)).to_bytes(8, "big")
    return hashlib.new(algorithm.lower(), data).digest()


def b64sum(algorithm: str, data: bytes) -> str:
    return base64.b64encode(digest(algorithm, data)).decode()


def composite(algorithm: str, parts: list[bytes]) -> str:
    joined = b"".join(digest(algorithm, p) for p in parts)
    return f"{b64sum(algorithm, joined)}-{len(parts)}"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    response: Any = exc.value.response
    return response["Error"]["Code"], response["Error"]["Message"]


def client(gateway: Gateway, calculation: str = "when_supported") -> BaseClient:
    return gateway.client(
        request_checksum_calculation=calculation, response_checksum_validation="when_supported"
    )


def trailer_client(gateway: Gateway) -> tuple[BaseClient, list[AWSRequest]]:
    """boto3 sending checksums as aws-chunked trailers, as it does over HTTPS."""
    s3 = client(gateway)
    sent: list[AWSRequest] = []

    def to_trailer(params: dict[str, Any], **_: Any) -> None:
        algorithm = params["context"].get("checksum", {}).get("request_algorithm")
        if algorithm:
            algorithm["in"] = "trailer"

    s3.meta.events.register("before-call.s3.PutObject", to_trailer)
    s3.meta.events.register("before-call.s3.UploadPart", to_trailer)
    s3.meta.events.register("before-send.s3.*", lambda request, **_: sent.append(request))
    return s3, sent


def assert_stored(s3: BaseClient, bucket: str, key: str, data: bytes, algorithm: str) -> None:
    # With checksum mode, botocore itself checks the body against the full-object value.
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got[f"Checksum{algorithm}"] == b64sum(algorithm, data)
    assert got["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == b64sum(algorithm, data)
    assert f"Checksum{algorithm}" not in s3.head_object(Bucket=bucket, Key=key)


# Single-part uploads


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_header_checksum(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3 = client(gateway)
    data = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == b64sum(algorithm, data)
    assert put["ChecksumType"] == "FULL_OBJECT"
    assert_stored(s3, bucket, "k", data, algorithm)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_trailer_checksum(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3, sent = trailer_client(gateway)
    data = os.urandom(3 * MIB + 5)  # several aws-chunks of botocore's 1 MiB
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=algorithm)
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[-1].headers.items()
    }
    assert headers["content-encoding"] == "aws-chunked"
    assert headers["x-amz-trailer"] == f"x-amz-checksum-{algorithm.lower()}"
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert put[f"Checksum{algorithm}"] == b64sum(algorithm, data)
    assert_stored(s3, bucket, "k", data, algorithm)
    assert "ContentEncoding" not in s3.head_object(Bucket=bucket, Key="k")


def test_default_checksum_is_crc64nvme(gateway: Gateway, bucket: str) -> None:
    s3 = client(gateway, "when_required")
    data = os.urandom(1000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data)
    assert put["ChecksumCRC64NVME"] == b64sum("CRC64NVME", data)
    assert_stored(s3, bucket, "k", data, "CRC64NVME")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_checksum_is_bad_digest(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3 = client(gateway)
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")
    wrong = {f"Checksum{algorithm}": b64sum(algorithm, b"other")}
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", **wrong)
    assert error_of(exc) == (
        "BadDigest",
        f"The {algorithm} you specified did not match the calculated checksum.",
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"before"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_part_checksum_is_bad_digest(gateway: Gateway, bucket: str, algorithm: str) -> None:
    # AWS answers BadDigest (400), naming the algorithm, whatever the request's body.
    s3 = client(gateway)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm=algorithm)[
        "UploadId"
    ]
    wrong = {f"Checksum{algorithm}": b64sum(algorithm, b"other")}
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"data", **wrong
        )
    assert error_of(exc) == (
        "BadDigest",
        f"The {algorithm} you specified did not match the calculated checksum.",
    )
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []


def test_wrong_checksum_of_a_configuration_is_bad_digest(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    body = (
        b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Status>Enabled</Status></VersioningConfiguration>"
    )
    headers = {"x-amz-checksum-crc32": b64sum("CRC32", b"not the body")}
    reply = request(gateway, "PUT", f"/{bucket}?versioning", body=body, headers=headers)
    message = "The CRC32 you specified did not match the calculated checksum."
    assert (reply.status, reply.code, reply.error["Message"]) == (400, "BadDigest", message)
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_trailer_is_bad_digest(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3, _ = trailer_client(gateway)

    def corrupt(request: AWSRequest, **_: Any) -> None:
        request.body = _swap_trailer_value(request.body.read(), algorithm)

    s3.meta.events.register("before-send.s3.PutObject", corrupt)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 100, ChecksumAlgorithm=algorithm)
    assert error_of(exc)[0] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")
    assert temporary_files(gateway) == []


def _swap_trailer_value(body: bytes, algorithm: str) -> bytes:
    name = f"x-amz-checksum-{algorithm.lower()}:".encode()
    head, _, rest = body.partition(name)
    _, _, tail = rest.partition(b"\r\n")
    return head + name + b64sum(algorithm, b"not the body").encode() + b"\r\n" + tail


def _raw_put(gateway: Gateway, bucket: str, headers: dict[str, str]) -> Reply:
    return request(gateway, "PUT", f"/{bucket}/raw", body=b"data", headers=headers)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"x-amz-checksum-crc32": "AAAA"}, "Value for x-amz-checksum-crc32 header is invalid."),
        (
            {"x-amz-checksum-crc32": b64sum("CRC32", b"data"), "x-amz-checksum-sha1": "x"},
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ),
        (
            {
                "x-amz-checksum-crc32c": b64sum("CRC32C", b"data"),
                "x-amz-sdk-checksum-algorithm": "CRC32",
            },
            "Value for x-amz-sdk-checksum-algorithm header is invalid.",
        ),
        (
            {"x-amz-sdk-checksum-algorithm": "CRC32"},
            "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or "
            "x-amz-trailer headers were found.",
        ),
        (
            {"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-checksum-sha1": "x"},
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ),
    ],
)
def test_malformed_checksum_headers(
    gateway: Gateway, s3: BaseClient, bucket: str, headers: dict[str, str], message: str
) -> None:
    reply = _raw_put(gateway, bucket, headers)
    assert (reply.status, reply.code, reply.error["Message"]) == (400, "InvalidRequest", message)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="raw")


def test_unsupported_algorithm_is_not_implemented(gateway: Gateway, bucket: str) -> None:
    reply = _raw_put(
        gateway, bucket, {"x-amz-checksum-sha512": base64.b64encode(bytes(64)).decode()}
    )
    assert (reply.status, reply.code) == (501, "NotImplemented")


# CopyObject


def test_copy_keeps_or_changes_the_algorithm(s3: BaseClient, bucket: str) -> None:
    data = os.urandom(5000)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="SHA1")
    kept = s3.copy_object(Bucket=bucket, Key="same", CopySource={"Bucket": bucket, "Key": "src"})
    assert kept["CopyObjectResult"]["ChecksumSHA1"] == b64sum("SHA1", data)
    changed = s3.copy_object(
        Bucket=bucket,
        Key="other",
        CopySource={"Bucket": bucket, "Key": "src"},
        ChecksumAlgorithm="CRC32C",
    )
    assert changed["CopyObjectResult"]["ChecksumCRC32C"] == b64sum("CRC32C", data)
    assert_stored(s3, bucket, "other", data, "CRC32C")


# Multipart


def _parts(n: int, size: int = 5 * MIB, last: int = 12345) -> list[bytes]:
    return [os.urandom(size) for _ in range(n - 1)] + [os.urandom(last)]


def _multipart(
    s3: BaseClient, bucket: str, key: str, parts: list[bytes], algorithm: str | None, **create: Any
) -> tuple[str, list[dict[str, Any]]]:
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra, **create)
    done = []
    for number, body in enumerate(parts, 1):
        reply = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=body,
            **extra,
        )
        entry = {"PartNumber": number, "ETag": reply["ETag"]}
        if algorithm:
            assert reply[f"Checksum{algorithm}"] == b64sum(algorithm, body)
            entry[f"Checksum{algorithm}"] = reply[f"Checksum{algorithm}"]
        done.append(entry)
    return created["UploadId"], done


@pytest.mark.parametrize("algorithm", COMPOSITE)
def test_composite_multipart(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3 = client(gateway)
    parts = _parts(2)
    upload_id, done = _multipart(s3, bucket, "mp", parts, algorithm)
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == (algorithm, "COMPOSITE")
    assert [p[f"Checksum{algorithm}"] for p in listed["Parts"]] == [
        b64sum(algorithm, p) for p in parts
    ]
    result = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    expected = composite(algorithm, parts)
    assert (result[f"Checksum{algorithm}"], result["ChecksumType"]) == (expected, "COMPOSITE")
    got = s3.get_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(parts)
    assert (got[f"Checksum{algorithm}"], got["ChecksumType"]) == (expected, "COMPOSITE")
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ETag", "Checksum", "ObjectParts", "ObjectSize"]
    )
    assert attributes["ETag"] == result["ETag"].strip('"')
    assert attributes["ObjectSize"] == sum(len(p) for p in parts)
    assert attributes["Checksum"] == {
        f"Checksum{algorithm}": expected.split("-")[0],
        "ChecksumType": "COMPOSITE",
    }
    object_parts = attributes["ObjectParts"]
    assert object_parts["TotalPartsCount"] == 2
    assert [
        (p["PartNumber"], p["Size"], p[f"Checksum{algorithm}"]) for p in object_parts["Parts"]
    ] == [(n, len(p), b64sum(algorithm, p)) for n, p in enumerate(parts, 1)]


@pytest.mark.parametrize("algorithm", FULL_OBJECT)
def test_full_object_multipart(gateway: Gateway, bucket: str, algorithm: str) -> None:
    s3 = client(gateway)
    parts = _parts(3)
    whole = b"".join(parts)
    upload_id, done = _multipart(s3, bucket, "mp", parts, algorithm, ChecksumType="FULL_OBJECT")
    result = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": done},
        ChecksumType="FULL_OBJECT",
        **{f"Checksum{algorithm}": b64sum(algorithm, whole)},
    )
    assert (result[f"Checksum{algorithm}"], result["ChecksumType"]) == (
        b64sum(algorithm, whole),
        "FULL_OBJECT",
    )
    assert_stored(s3, bucket, "mp", whole, algorithm)


def test_full_object_parts_may_leave_the_checksum_to_the_server(
    gateway: Gateway, bucket: str
) -> None:
    s3 = client(gateway, "when_required")
    parts = _parts(2)
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    done = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="mp", UploadId=created["UploadId"], PartNumber=n, Body=p
            )["ETag"],
        }
        for n, p in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=created["UploadId"], MultipartUpload={"Parts": done}
    )
    assert_stored(s3, bucket, "mp", b"".join(parts), "CRC32C")


def test_multipart_without_algorithm_gets_default(gateway: Gateway, bucket: str) -> None:
    s3 = client(gateway, "when_required")
    parts = _parts(2)
    upload_id, done = _multipart(s3, bucket, "mp", parts, None)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    assert_stored(s3, bucket, "mp", b"".join(parts), "CRC64NVME")
    attributes = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"])
    # AWS gives every multipart object's paging fields; Parts only when a checksum was chosen.
    assert attributes["ObjectParts"] == {
        "TotalPartsCount": 2,
        "PartNumberMarker": 0,
        "NextPartNumberMarker": 2,
        "MaxParts": 1000,
        "IsTruncated": False,
    }


def test_upload_file_round_trip(gateway: Gateway, bucket: str, tmp_path: Any) -> None:
    s3 = client(gateway)
    source = tmp_path / "big"
    source.write_bytes(os.urandom(11 * MIB))
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(source), bucket, "big", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert head["ChecksumType"] == "COMPOSITE" and head["ChecksumCRC32"].endswith("-3")
    target = tmp_path / "back"
    s3.download_file(bucket, "big", str(target))
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.parametrize(
    ("create", "code"),
    [
        ({"ChecksumAlgorithm": "SHA256", "ChecksumType": "FULL_OBJECT"}, "InvalidRequest"),
        ({"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"}, "InvalidRequest"),
        ({"ChecksumType": "COMPOSITE"}, "InvalidRequest"),
    ],
)
def test_invalid_multipart_checksum_choice(
    gateway: Gateway, bucket: str, create: dict[str, str], code: str
) -> None:
    s3 = client(gateway, "when_required")
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="mp", **create)
    assert error_of(exc)[0] == code


def test_part_checksum_must_match_upload(gateway: Gateway, bucket: str) -> None:
    s3 = client(gateway)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")[
        "UploadId"
    ]
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"x",
            ChecksumAlgorithm="CRC32",
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "Checksum Type mismatch occurred, expected checksum Type: sha256, "
        "actual checksum Type: crc32",
    )
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id).get("Parts", []) == []


def test_complete_checks_part_checksums(gateway: Gateway, bucket: str) -> None:
    s3 = client(gateway)
    parts = _parts(2)
    upload_id, done = _multipart(s3, bucket, "mp", parts, "CRC32")
    missing = [{k: v for k, v in p.items() if k != "ChecksumCRC32"} for p in done]
    wrong = [{**p, "ChecksumCRC32": b64sum("CRC32", b"x")} for p in done]
    for listed, code in ((missing, "InvalidRequest"), (wrong, "InvalidPart")):
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": listed}
            )
        assert error_of(exc)[0] == code
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": done},
            ChecksumCRC32=b64sum("CRC32", b"x") + "-2",
        )
    assert error_of(exc)[0] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="mp")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )


# GetObjectAttributes


def test_object_attributes_of_a_simple_object(s3: BaseClient, bucket: str) -> None:
    data = b"attributes"
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(
        Bucket=bucket,
        Key="k",
        ObjectAttributes=list(["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]),
    )
    assert got["ETag"] == put["ETag"].strip('"')
    assert got["Checksum"] == {
        "ChecksumSHA256": b64sum("SHA256", data),
        "ChecksumType": "FULL_OBJECT",
    }
    assert (got["StorageClass"], got["ObjectSize"]) == ("STANDARD", len(data))
    assert "ObjectParts" not in got
    assert "LastModified" in got
    only = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only and only["ObjectSize"] == len(data)


def test_object_attributes_pages_parts(gateway: Gateway, bucket: str) -> None:
    s3 = client(gateway)
    parts = _parts(3, size=5 * MIB, last=10)
    upload_id, done = _multipart(s3, bucket, "mp", parts, "SHA1")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    page = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2
    )["ObjectParts"]
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert (page["IsTruncated"], page["NextPartNumberMarker"], page["MaxParts"]) == (True, 2, 2)
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], PartNumberMarker=2
    )["ObjectParts"]
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and rest["IsTruncated"] is False


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [("", 400, "InvalidRequest"), ("ETag,Colour", 400, "InvalidArgument")],
)
def test_object_attributes_header_errors(
    gateway: Gateway, s3: BaseClient, bucket: str, value: str, status: int, code: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    headers = {"x-amz-object-attributes": value} if value else {}
    reply = request(gateway, "GET", f"/{bucket}/k?attributes", headers=headers)
    assert (reply.status, reply.code) == (status, code)
    missing = request(
        gateway, "GET", f"/{bucket}/nope?attributes", headers={"x-amz-object-attributes": "ETag"}
    )
    assert (missing.status, missing.code) == (404, "NoSuchKey")
