"""More of multipart upload, through boto3 against the running gateway.

ListMultipartUploads (prefix, delimiter, markers, max-uploads, encoding-type), GetObject
and HeadObject with `partNumber`, and UploadPartCopy (ranges, conditions, versions,
checksums, across regions).
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any
from urllib.parse import quote

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_multipart import PART, error_of, multipart_etag

MIB = 1024 * 1024


def create(s3: BaseClient, bucket: str, key: str, **kwargs: Any) -> str:
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]
    return upload_id


def part(s3: BaseClient, bucket: str, key: str, upload_id: str, number: int, body: bytes) -> str:
    etag: str = s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
    )["ETag"]
    return etag


def finish(s3: BaseClient, bucket: str, key: str, upload_id: str, parts: list[Any]) -> Any:
    return s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
    )


def uploads_of(listed: Any) -> list[tuple[str, str]]:
    return [(u["Key"], u["UploadId"]) for u in listed.get("Uploads", [])]


def quoted_md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


@pytest.fixture(scope="module")
def big() -> bytes:
    return os.urandom(PART)


# ListMultipartUploads


@pytest.fixture
def many(s3: BaseClient, bucket: str) -> list[tuple[str, str]]:
    """Uploads in listing order: keys in byte order, a key's uploads oldest first."""
    made = []
    for key in ("a/1", "a/2", "b", "b", "c/x/y", "d"):
        made.append((key, create(s3, bucket, key)))
    return made


def test_list_uploads_all(s3: BaseClient, bucket: str, many: list[tuple[str, str]]) -> None:
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert uploads_of(listed) == many
    assert listed["Bucket"] == bucket
    assert listed["IsTruncated"] is False
    assert listed["MaxUploads"] == 1000
    assert "CommonPrefixes" not in listed
    first = listed["Uploads"][0]
    assert first["StorageClass"] == "STANDARD"
    assert first["Owner"]["ID"] == first["Initiator"]["ID"]
    assert first["Initiated"].year >= 2024
    assert listed["NextKeyMarker"] == "d"
    assert listed["NextUploadIdMarker"] == many[-1][1]


def test_list_uploads_prefix_and_delimiter(
    s3: BaseClient, bucket: str, many: list[tuple[str, str]]
) -> None:
    listed = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert uploads_of(listed) == [u for u in many if "/" not in u[0]]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "c/"]
    assert listed["Delimiter"] == "/"

    under = s3.list_multipart_uploads(Bucket=bucket, Prefix="c/", Delimiter="/")
    assert "Uploads" not in under
    assert [p["Prefix"] for p in under["CommonPrefixes"]] == ["c/x/"]
    assert under["Prefix"] == "c/"

    only_a = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert uploads_of(only_a) == many[:2]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket, Prefix="zzz")


def test_list_uploads_pages(s3: BaseClient, bucket: str, many: list[tuple[str, str]]) -> None:
    seen: list[tuple[str, str]] = []
    key_marker, upload_id_marker = "", ""
    for _ in range(10):
        page = s3.list_multipart_uploads(
            Bucket=bucket, MaxUploads=2, KeyMarker=key_marker, UploadIdMarker=upload_id_marker
        )
        assert page["MaxUploads"] == 2
        assert len(page.get("Uploads", [])) <= 2
        seen += uploads_of(page)
        if not page["IsTruncated"]:
            break
        key_marker, upload_id_marker = page["NextKeyMarker"], page["NextUploadIdMarker"]
        assert (key_marker, upload_id_marker) == seen[-1]
    assert seen == many

    # The two uploads of "b" are split across pages by the upload-id marker.
    after_first_b = s3.list_multipart_uploads(
        Bucket=bucket, KeyMarker="b", UploadIdMarker=many[2][1]
    )
    assert uploads_of(after_first_b) == many[3:]
    assert after_first_b["KeyMarker"] == "b"
    assert after_first_b["UploadIdMarker"] == many[2][1]
    # A key marker alone lists from the next key.
    assert uploads_of(s3.list_multipart_uploads(Bucket=bucket, KeyMarker="b")) == many[4:]
    assert uploads_of(s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/")) == many

    paginator = s3.get_paginator("list_multipart_uploads")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 4}))
    assert len(pages) == 2
    assert [u for p in pages for u in uploads_of(p)] == many


def test_list_uploads_pages_with_delimiter(
    s3: BaseClient, bucket: str, many: list[tuple[str, str]]
) -> None:
    items: list[str] = []
    key_marker, upload_id_marker = "", ""
    for _ in range(10):
        page = s3.list_multipart_uploads(
            Bucket=bucket,
            Delimiter="/",
            MaxUploads=1,
            KeyMarker=key_marker,
            UploadIdMarker=upload_id_marker,
        )
        items += [u["UploadId"] for u in page.get("Uploads", [])]
        items += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        key_marker, upload_id_marker = page["NextKeyMarker"], page["NextUploadIdMarker"]
    assert items == ["a/", many[2][1], many[3][1], "c/", many[5][1]]


def test_list_uploads_max_zero_and_invalid(
    s3: BaseClient, bucket: str, many: list[tuple[str, str]]
) -> None:
    empty = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=0)
    assert "Uploads" not in empty
    assert empty["IsTruncated"] is True
    with pytest.raises(ClientError) as exc:
        s3.list_multipart_uploads(Bucket=bucket, MaxUploads=-1)
    assert error_of(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.list_multipart_uploads(Bucket=bucket, EncodingType="base64")
    assert error_of(exc) == ("InvalidArgument", 400)


def test_list_uploads_url_encoding(s3: BaseClient, bucket: str) -> None:
    key = "dir one/naïve+key&x"
    upload_id = create(s3, bucket, key)
    listed = s3.list_multipart_uploads(Bucket=bucket, EncodingType="url")
    assert listed["EncodingType"] == "url"
    assert uploads_of(listed) == [(quote(key, safe="/"), upload_id)]
    rolled = s3.list_multipart_uploads(
        Bucket=bucket, EncodingType="url", Delimiter="/", Prefix="dir "
    )
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == [quote("dir one/")]
    assert rolled["Prefix"] == "dir%20"
    plain = s3.list_multipart_uploads(Bucket=bucket)
    assert uploads_of(plain) == [(key, upload_id)]


def test_orphaned_uploads_listed_and_abortable(s3: BaseClient, bucket: str) -> None:
    ids = [create(s3, bucket, f"orphan-{i}") for i in range(3)]
    for i, upload_id in enumerate(ids):
        part(s3, bucket, f"orphan-{i}", upload_id, 1, b"left behind")
    done = create(s3, bucket, "done")
    finish(s3, bucket, "done", done, [(1, part(s3, bucket, "done", done, 1, b"x"))])
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert uploads_of(listed) == [(f"orphan-{i}", ids[i]) for i in range(3)]
    # Whoever finds them can abort them all, then the bucket can go.
    for upload in listed["Uploads"]:
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="done")
    s3.delete_bucket(Bucket=bucket)


def test_list_uploads_shows_checksum_and_only_its_bucket(s3: BaseClient, bucket: str) -> None:
    other = bucket + "-o"
    s3.create_bucket(Bucket=other)
    create(s3, other, "elsewhere")
    upload_id = create(s3, bucket, "k", ChecksumAlgorithm="SHA256")
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert uploads_of(listed) == [("k", upload_id)]
    assert listed["Uploads"][0]["ChecksumAlgorithm"] == "SHA256"
    with pytest.raises(ClientError) as exc:
        s3.list_multipart_uploads(Bucket=bucket + "-missing")
    assert error_of(exc) == ("NoSuchBucket", 404)


# GetObject / HeadObject with partNumber


def test_get_and_head_part_number(s3: BaseClient, bucket: str, big: bytes) -> None:
    tail = b"the small last part"
    upload_id = create(s3, bucket, "mp")
    # Part numbers need not be contiguous: partNumber counts the object's parts.
    parts = [(1, part(s3, bucket, "mp", upload_id, 1, big))]
    parts.append((7, part(s3, bucket, "mp", upload_id, 7, tail)))
    finish(s3, bucket, "mp", upload_id, parts)
    total = len(big) + len(tail)

    first = s3.get_object(Bucket=bucket, Key="mp", PartNumber=1)
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert first["ContentRange"] == f"bytes 0-{len(big) - 1}/{total}"
    assert first["ContentLength"] == len(big)
    assert first["PartsCount"] == 2
    assert first["ETag"] == multipart_etag([big, tail])
    assert first["Body"].read() == big

    second = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert second["ContentRange"] == f"bytes {len(big)}-{total - 1}/{total}"
    assert second["Body"].read() == tail

    head = s3.head_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == len(tail)
    assert head["PartsCount"] == 2
    assert head["ContentRange"] == second["ContentRange"]

    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=3)
    assert error_of(exc) == ("InvalidPartNumber", 416)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="mp", PartNumber=3)
    assert error_of(exc) == ("416", 416)


def test_part_number_of_a_checksummed_upload(s3: BaseClient, bucket: str, big: bytes) -> None:
    upload_id = create(s3, bucket, "mp", ChecksumAlgorithm="SHA256")
    bodies = [big, big[::-1], b"end"]
    done = []
    for number, body in enumerate(bodies, 1):
        response = s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="SHA256",
        )
        done.append(
            {
                "PartNumber": number,
                "ETag": response["ETag"],
                "ChecksumSHA256": response["ChecksumSHA256"],
            }
        )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    for number, body in enumerate(bodies, 1):
        got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=number)
        assert got["Body"].read() == body
        assert got["PartsCount"] == 3
        # With checksum mode, a part shows its own checksum (and botocore verifies it).
        checked = s3.get_object(Bucket=bucket, Key="mp", PartNumber=number, ChecksumMode="ENABLED")
        assert checked["ChecksumSHA256"] == done[number - 1]["ChecksumSHA256"]
        assert checked["Body"].read() == body
        head = s3.head_object(Bucket=bucket, Key="mp", PartNumber=number, ChecksumMode="ENABLED")
        assert head["ChecksumSHA256"] == done[number - 1]["ChecksumSHA256"]


def test_part_number_of_a_simple_object(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="plain", Body=b"one piece")
    got = s3.get_object(Bucket=bucket, Key="plain", PartNumber=1)
    assert got["Body"].read() == b"one piece"
    assert "PartsCount" not in got
    assert s3.head_object(Bucket=bucket, Key="plain", PartNumber=1)["ContentLength"] == 9
    whole = s3.get_object(Bucket=bucket, Key="plain", PartNumber=1, ChecksumMode="ENABLED")
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    checksums = {k: v for k, v in head.items() if k.startswith("Checksum")}
    assert len(checksums) >= 2  # the value and ChecksumType
    assert {k: whole[k] for k in checksums} == checksums
    assert whole["Body"].read() == b"one piece"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="plain", PartNumber=2)
    assert error_of(exc) == ("InvalidPartNumber", 416)


def test_part_number_with_range_or_out_of_bounds(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="plain", Body=b"one piece")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="plain", PartNumber=1, Range="bytes=0-1")
    assert error_of(exc) == ("InvalidRequest", 400)
    for number in (0, 10001):
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key="plain", PartNumber=number)
        assert error_of(exc) == ("InvalidArgument", 400)


def test_part_number_of_an_older_version(s3: BaseClient, bucket: str, big: bytes) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    upload_id = create(s3, bucket, "mp")
    parts = [(1, part(s3, bucket, "mp", upload_id, 1, big))]
    parts.append((2, part(s3, bucket, "mp", upload_id, 2, b"v1 tail")))
    version = finish(s3, bucket, "mp", upload_id, parts)["VersionId"]
    s3.put_object(Bucket=bucket, Key="mp", Body=b"v2")
    got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, VersionId=version)
    assert got["Body"].read() == b"v1 tail"
    assert got["VersionId"] == version
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=1)["Body"].read() == b"v2"


# GetObjectAttributes


def test_object_parts_of_a_multipart_object_without_checksum(
    gateway: Gateway, bucket: str, big: bytes
) -> None:
    # AWS answers ObjectParts for every multipart object: TotalPartsCount and the paging
    # fields over all its parts; the Part entries only when the upload chose a checksum
    # (GetObjectAttributes API reference, ObjectParts / GetObjectAttributesParts).
    s3 = gateway.client(request_checksum_calculation="when_required")
    upload_id = create(s3, bucket, "mp")
    parts = [
        (n, part(s3, bucket, "mp", upload_id, n, body))
        for n, body in enumerate([big, big, b"t"], 1)
    ]
    finish(s3, bucket, "mp", upload_id, parts)

    def object_parts(**params: Any) -> Any:
        return s3.get_object_attributes(
            Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], **params
        )["ObjectParts"]

    assert object_parts() == {
        "TotalPartsCount": 3,
        "PartNumberMarker": 0,
        "NextPartNumberMarker": 3,
        "MaxParts": 1000,
        "IsTruncated": False,
    }
    first = object_parts(MaxParts=2)
    assert (first["IsTruncated"], first["NextPartNumberMarker"], first["MaxParts"]) == (True, 2, 2)
    rest = object_parts(PartNumberMarker=2)
    assert (rest["IsTruncated"], rest["PartNumberMarker"], rest["NextPartNumberMarker"]) == (
        False,
        2,
        3,
    )
    assert "Parts" not in first and "Parts" not in rest and rest["TotalPartsCount"] == 3
    # A simple object has no ObjectParts at all.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    plain = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ObjectParts"])
    assert "ObjectParts" not in plain


# UploadPartCopy


@pytest.fixture(scope="module")
def source_data() -> bytes:
    return os.urandom(12 * MIB + 123)


def test_upload_part_copy_ranges(s3: BaseClient, bucket: str, source_data: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=source_data)
    upload_id = create(s3, bucket, "dst")
    cuts = [(0, 6 * MIB - 1), (6 * MIB, len(source_data) - 1)]
    parts = []
    for number, (first, last) in enumerate(cuts, 1):
        copied = s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=f"bytes={first}-{last}",
        )
        result = copied["CopyPartResult"]
        assert result["ETag"] == quoted_md5(source_data[first : last + 1])
        assert result["LastModified"].year >= 2024
        parts.append((number, result["ETag"]))
    listed = s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload_id)["Parts"]
    assert [p["Size"] for p in listed] == [6 * MIB, len(source_data) - 6 * MIB]
    done = finish(s3, bucket, "dst", upload_id, parts)
    pieces = [source_data[a : b + 1] for a, b in cuts]
    assert done["ETag"] == multipart_etag(pieces)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source_data
    assert s3.get_object(Bucket=bucket, Key="dst", PartNumber=2)["Body"].read() == pieces[1]


def test_upload_part_copy_whole_and_mixed(s3: BaseClient, bucket: str, big: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="dir/src file", Body=big)
    upload_id = create(s3, bucket, "dst")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource=f"{bucket}/dir/src file",
    )
    etag = copied["CopyPartResult"]["ETag"]
    assert etag == quoted_md5(big)
    tail = part(s3, bucket, "dst", upload_id, 2, b"uploaded tail")
    finish(s3, bucket, "dst", upload_id, [(1, etag), (2, tail)])
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == big + b"uploaded tail"


def test_upload_part_copy_across_regions(s3: BaseClient, bucket: str) -> None:
    europe = "mpc-eu-" + os.urandom(6).hex()
    s3.create_bucket(Bucket=europe, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    data = os.urandom(3000)
    s3.put_object(Bucket=europe, Key="far", Body=data)
    upload_id = create(s3, bucket, "near")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="near",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": europe, "Key": "far"},
        CopySourceRange="bytes=100-1099",
    )
    finish(s3, bucket, "near", upload_id, [(1, copied["CopyPartResult"]["ETag"])])
    assert s3.get_object(Bucket=bucket, Key="near")["Body"].read() == data[100:1100]
    # and the other way round
    upload_id = create(s3, europe, "back")
    s3.put_object(Bucket=bucket, Key="here", Body=b"from us-east-1")
    copied = s3.upload_part_copy(
        Bucket=europe,
        Key="back",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "here"},
    )
    finish(s3, europe, "back", upload_id, [(1, copied["CopyPartResult"]["ETag"])])
    assert s3.get_object(Bucket=europe, Key="back")["Body"].read() == b"from us-east-1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=0-", ("InvalidArgument", 400)),
        ("bytes=-5", ("InvalidArgument", 400)),
        ("bytes=5-2", ("InvalidArgument", 400)),
        ("0-5", ("InvalidArgument", 400)),
        ("bytes=0-1,3-4", ("InvalidArgument", 400)),
        ("bytes=0-10", ("InvalidRange", 416)),
        ("bytes=20-30", ("InvalidRange", 416)),
    ],
)
def test_upload_part_copy_bad_range(
    s3: BaseClient, bucket: str, value: str, expected: tuple[str, int]
) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = create(s3, bucket, "dst")
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=value,
        )
    assert error_of(exc) == expected
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload_id)


def test_upload_part_copy_conditions(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"conditional")["ETag"]
    upload_id = create(s3, bucket, "dst")

    def copy(**conditions: Any) -> Any:
        return s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src"},
            **conditions,
        )

    for failing in (
        {"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
        {"CopySourceIfNoneMatch": etag},
    ):
        with pytest.raises(ClientError) as exc:
            copy(**failing)
        assert error_of(exc) == ("PreconditionFailed", 412)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload_id)
    assert copy(CopySourceIfMatch=etag)["CopyPartResult"]["ETag"] == etag


def test_upload_part_copy_errors(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    upload_id = create(s3, bucket, "dst")

    def copy(source: Any, upload: str = upload_id, number: int = 1) -> Any:
        return s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId=upload, PartNumber=number, CopySource=source
        )

    cases: list[tuple[Any, dict[str, Any], tuple[str, int]]] = [
        ({"Bucket": bucket, "Key": "missing"}, {}, ("NoSuchKey", 404)),
        ({"Bucket": bucket + "-missing", "Key": "src"}, {}, ("NoSuchBucket", 404)),
        ({"Bucket": bucket, "Key": "src"}, {"upload": "no-such-upload"}, ("NoSuchUpload", 404)),
        ({"Bucket": bucket, "Key": "src"}, {"number": 10001}, ("InvalidArgument", 400)),
    ]
    for source, extra, expected in cases:
        with pytest.raises(ClientError) as exc:
            copy(source, **extra)
        assert error_of(exc) == expected


def test_upload_part_copy_of_a_version(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="src", Body=b"old bytes")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"new bytes")
    upload_id = create(s3, bucket, "dst")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src", "VersionId": old},
    )
    assert copied["CopySourceVersionId"] == old
    finish(s3, bucket, "dst", upload_id, [(1, copied["CopyPartResult"]["ETag"])])
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"old bytes"


def test_upload_part_copy_with_checksum(s3: BaseClient, bucket: str) -> None:
    data = b"checksummed copy source"
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    upload_id = create(s3, bucket, "dst", ChecksumAlgorithm="SHA256")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=0-10",
    )
    result = copied["CopyPartResult"]
    expected = base64.b64encode(hashlib.sha256(data[:11]).digest()).decode()
    assert result["ChecksumSHA256"] == expected
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": result["ETag"], "ChecksumSHA256": expected}]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data[:11]
