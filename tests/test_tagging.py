"""Object and bucket tags: the tagging operations, x-amz-tagging on uploads, the limits."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import Reply, request

ABSENT = "A" * 32
ASTRAL = "\U0001d49c"  # a letter outside the BMP: two UTF-16 code units, as S3 counts


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def tag_set(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs]}


def tags_of(s3: BaseClient, bucket: str, key: str, **params: Any) -> list[tuple[str, str]]:
    got = s3.get_object_tagging(Bucket=bucket, Key=key, **params)
    return [(t["Key"], t["Value"]) for t in got["TagSet"]]


def tagging_xml(pairs: list[tuple[str, str]]) -> bytes:
    tags = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
    return f"<Tagging><TagSet>{tags}</TagSet></Tagging>".encode()


def send_tagging(gateway: Gateway, target: str, body: bytes) -> Reply:
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return request(gateway, "PUT", target, body=body, headers={"Content-MD5": md5})


def head_headers(s3: BaseClient, bucket: str, key: str) -> dict[str, str]:
    return dict(s3.head_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPHeaders"])


# Object tags


def test_object_tagging_round_trip(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="key", Body=b"hello")
    assert tags_of(s3, bucket, "key") == []
    assert "x-amz-tagging-count" not in head_headers(s3, bucket, "key")
    ten = [(f"key-{i}", f"value-{i}") for i in range(7)]
    ten += [("b c+d-e=f.g_h:i/j@k", "2 + 2 = 4"), ("empty", ""), (ASTRAL * 64, "文" * 256)]
    put = s3.put_object_tagging(Bucket=bucket, Key="key", Tagging=tag_set(ten))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200 and "VersionId" not in put
    assert tags_of(s3, bucket, "key") == ten
    got = s3.get_object(Bucket=bucket, Key="key")
    assert got["TagCount"] == 10 and got["Body"].read() == b"hello"
    assert head_headers(s3, bucket, "key")["x-amz-tagging-count"] == "10"
    s3.put_object_tagging(Bucket=bucket, Key="key", Tagging=tag_set([("only", "one")]))
    assert tags_of(s3, bucket, "key") == [("only", "one")]
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="key")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(s3, bucket, "key") == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="key")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1&b=2", [("a", "1"), ("b", "2")]),
        ("a&b=", [("a", ""), ("b", "")]),
        ("a%20b=c%2Bd&e+f=g=h", [("a b", "c+d"), ("e f", "g=h")]),
        ("%C3%BC=%E6%96%87", [("ü", "文")]),
    ],
)
def test_tagging_header_of_put_object(
    gateway: Gateway, s3: BaseClient, bucket: str, header: str, expected: list[tuple[str, str]]
) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/key", body=b"x", headers={"x-amz-tagging": header})
    assert reply.status == 200, reply.body
    assert tags_of(s3, bucket, "key") == expected


def test_tagging_of_multipart_upload(s3: BaseClient, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="team=blue&tier=1")
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"part"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert tags_of(s3, bucket, "mp") == [("team", "blue"), ("tier", "1")]
    assert (
        s3.head_object(Bucket=bucket, Key="mp")["ResponseMetadata"]["HTTPHeaders"][
            "x-amz-tagging-count"
        ]
        == "2"
    )


def test_tagging_directive_of_copy(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="a=1&b=2")
    source = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=source)
    assert tags_of(s3, bucket, "copied") == [("a", "1"), ("b", "2")]
    s3.copy_object(Bucket=bucket, Key="same", CopySource=source, TaggingDirective="COPY")
    assert tags_of(s3, bucket, "same") == [("a", "1"), ("b", "2")]
    s3.copy_object(
        Bucket=bucket, Key="replaced", CopySource=source, TaggingDirective="REPLACE", Tagging="c=3"
    )
    assert tags_of(s3, bucket, "replaced") == [("c", "3")]
    s3.copy_object(Bucket=bucket, Key="none", CopySource=source, TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "none") == []
    # Metadata directive REPLACE leaves the tags to the tagging directive.
    s3.copy_object(Bucket=bucket, Key="meta", CopySource=source, MetadataDirective="REPLACE")
    assert tags_of(s3, bucket, "meta") == [("a", "1"), ("b", "2")]


def test_unknown_tagging_directive(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    reply = request(
        gateway,
        "PUT",
        f"/{bucket}/dst",
        headers={"x-amz-copy-source": f"/{bucket}/src", "x-amz-tagging-directive": "MERGE"},
    )
    assert (reply.status, reply.code) == (400, "InvalidArgument")
    assert reply.error["ArgumentName"] == "x-amz-tagging-directive"


def test_tags_of_versions(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="key", Body=b"1", Tagging="first=1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="key", Body=b"2")["VersionId"]
    put = s3.put_object_tagging(Bucket=bucket, Key="key", Tagging=tag_set([("current", "2")]))
    assert put["VersionId"] == second
    put = s3.put_object_tagging(
        Bucket=bucket, Key="key", VersionId=first, Tagging=tag_set([("old", "1")])
    )
    assert put["VersionId"] == first
    got = s3.get_object_tagging(Bucket=bucket, Key="key")
    assert got["VersionId"] == second and got["TagSet"] == [{"Key": "current", "Value": "2"}]
    assert tags_of(s3, bucket, "key", VersionId=first) == [("old", "1")]
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="key", VersionId=first)
    assert deleted["VersionId"] == first
    assert tags_of(s3, bucket, "key", VersionId=first) == []
    assert s3.get_object(Bucket=bucket, Key="key")["TagCount"] == 1

    s3.delete_object(Bucket=bucket, Key="key")
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="key")
    assert error_of(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="key", Tagging=tag_set([("a", "1")]))
    assert error_of(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="key", VersionId=ABSENT)
    assert error_of(exc) == ("NoSuchVersion", 404)
    # Tags stay with their version.
    assert tags_of(s3, bucket, "key", VersionId=second) == [("current", "2")]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_tagging_of_a_missing_key(gateway: Gateway, bucket: str, method: str) -> None:
    body = tagging_xml([("a", "1")]) if method == "PUT" else b""
    reply = request(gateway, method, f"/{bucket}/missing?tagging", body=body)
    assert (reply.status, reply.code, reply.error["Key"]) == (404, "NoSuchKey", "missing")


# The limits, and documents that are not right


@pytest.fixture
def tagged(s3: BaseClient, bucket: str) -> Iterator[str]:
    """A bucket with the object `object` tagged a=1; the test must leave the tag as it is."""
    s3.put_object(Bucket=bucket, Key="object", Body=b"x", Tagging="a=1")
    yield bucket
    assert tags_of(s3, bucket, "object") == [("a", "1")]


def _invalid(reply: Reply, code: str = "InvalidTag", message: str | None = None) -> None:
    assert (reply.status, reply.code) == (400, code), reply.body
    if message is not None:
        assert reply.error["Message"] == message


@pytest.mark.parametrize(
    ("pairs", "code", "message"),
    [
        # AWS answers an 11th object tag with InvalidTag (PutObjectTagging's Errors).
        ([(f"k{i}", "") for i in range(11)], "InvalidTag", "Object tags cannot be greater than 10"),
        ([("a", "1"), ("a", "2")], "InvalidTag", "Cannot provide multiple Tags with the same key"),
        ([("k" * 129, "")], "InvalidTag", "The TagKey you have provided is invalid"),
        ([(ASTRAL * 65, "")], "InvalidTag", "The TagKey you have provided is invalid"),
        ([("", "v")], "InvalidTag", "The TagKey you have provided is invalid"),
        ([("k", "v" * 257)], "InvalidTag", "The TagValue you have provided is invalid"),
        ([("aws:cost", "1")], "InvalidTag", "System tags cannot be added/updated by requester"),
        ([("AWS:cost", "1")], "InvalidTag", "System tags cannot be added/updated by requester"),
        ([("a,b", "v")], "InvalidTag", "The TagKey you have provided is invalid"),
        ([("k", "a;b")], "InvalidTag", "The TagValue you have provided is invalid"),
        ([("k", "😀")], "InvalidTag", "The TagValue you have provided is invalid"),
        ([("k", "a\tb")], "InvalidTag", "The TagValue you have provided is invalid"),
    ],
)  # fmt: skip
def test_tag_set_limits(
    gateway: Gateway, tagged: str, pairs: list[tuple[str, str]], code: str, message: str
) -> None:
    reply = send_tagging(gateway, f"/{tagged}/object?tagging", tagging_xml(pairs))
    _invalid(reply, code, message)


def test_duplicate_keys_name_the_key(gateway: Gateway, tagged: str) -> None:
    reply = send_tagging(
        gateway, f"/{tagged}/object?tagging", tagging_xml([("dup", "1"), ("dup", "2")])
    )
    _invalid(reply)
    assert reply.error["TagKey"] == "dup"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<Tagging><TagSet>", "MalformedXML"),
        (b"<Tagging></Tagging>", "MalformedXML"),
        (b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", "MalformedXML"),
        (b"<Tags><TagSet></TagSet></Tags>", "MalformedXML"),
        (b"not xml", "MalformedXML"),
        (b"", "MissingRequestBodyError"),
    ],
)
def test_malformed_tagging_documents(gateway: Gateway, tagged: str, body: bytes, code: str) -> None:
    _invalid(send_tagging(gateway, f"/{tagged}/object?tagging", body), code)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("a=1&a=2", "InvalidArgument"),
        ("=1", "InvalidArgument"),
        ("a=%FF", "InvalidArgument"),
        ("&".join(f"k{i}=" for i in range(11)), "InvalidTag"),
        ("a,b=1", "InvalidTag"),
        ("aws:cost=1", "InvalidTag"),
    ],
)
def test_bad_tagging_header_stores_nothing(
    gateway: Gateway, s3: BaseClient, bucket: str, header: str, code: str
) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/new", body=b"x", headers={"x-amz-tagging": header})
    _invalid(reply, code)
    if code == "InvalidArgument":
        assert reply.error["ArgumentName"] == "x-amz-tagging"
        assert reply.error["ArgumentValue"] == header
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_eleven_tags_are_refused_by_copy_and_multipart_upload(s3: BaseClient, bucket: str) -> None:
    # AWS: "Object tags cannot be greater than 10" (InvalidTag) for x-amz-tagging on every
    # write that accepts it, and nothing is created.
    eleven = "&".join(f"k{i}=v" for i in range(11))
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    source = {"Bucket": bucket, "Key": "src"}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("copy_object", {"CopySource": source, "TaggingDirective": "REPLACE"}),
        ("create_multipart_upload", {}),
    ]
    for operation, params in calls:
        with pytest.raises(ClientError) as exc:
            getattr(s3, operation)(Bucket=bucket, Key="dst", Tagging=eleven, **params)
        assert error_of(exc) == ("InvalidTag", 400)
        assert exc.value.response["Error"]["Message"] == "Object tags cannot be greater than 10"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_tag_limits_are_inclusive(s3: BaseClient, tagged: str) -> None:
    for pairs in ([("k" * 128, "v" * 256)], [(f"k{i}", "") for i in range(10)]):
        s3.put_object_tagging(Bucket=tagged, Key="object", Tagging=tag_set(pairs))
        assert tags_of(s3, tagged, "object") == pairs
    s3.put_object_tagging(Bucket=tagged, Key="object", Tagging=tag_set([("a", "1")]))


# Bucket tags


def test_bucket_tagging_round_trip(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc) == ("NoSuchTagSet", 404)
    assert exc.value.response["Error"]["Message"] == "The TagSet does not exist"
    fifty = [(f"key-{i}", f"value {i}") for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set(fifty))
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert [(t["Key"], t["Value"]) for t in got] == fifty
    deleted = s3.delete_bucket_tagging(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc) == ("NoSuchTagSet", 404)
    # An empty tag set removes the tags too.
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set([("a", "1")]))
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set([]))
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc) == ("NoSuchTagSet", 404)


@pytest.mark.parametrize(
    ("pairs", "code"),
    [
        ([(f"k{i}", "") for i in range(51)], "BadRequest"),
        ([("a", "1"), ("a", "2")], "InvalidTag"),
        ([("aws:x", "1")], "InvalidTag"),
    ],
)
def test_bad_bucket_tags_change_nothing(
    gateway: Gateway, s3: BaseClient, bucket: str, pairs: list[tuple[str, str]], code: str
) -> None:
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set([("keep", "me")]))
    _invalid(send_tagging(gateway, f"/{bucket}?tagging", tagging_xml(pairs)), code)
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert got == [{"Key": "keep", "Value": "me"}]


def test_bucket_tagging_of_a_missing_bucket(gateway: Gateway) -> None:
    reply = request(gateway, "GET", "/no-such-bucket-tagging?tagging")
    assert (reply.status, reply.code) == (404, "NoSuchBucket")
