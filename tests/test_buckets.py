"""Buckets through boto3 against the running gateway.

CreateBucket with LocationConstraint choosing the region store, the bucket-name rules, one
global namespace, HeadBucket, GetBucketLocation, ListBuckets and DeleteBucket.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway

from mrap.store.control import ControlStore

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def fresh_name(prefix: str = "bkt") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def create(s3: BaseClient, name: str, region: str | None = None) -> dict[str, Any]:
    created: dict[str, Any]
    if region is None:
        created = s3.create_bucket(Bucket=name)
    else:
        created = s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}
        )
    return created


def region_rows(gateway: Gateway, region: str, sql: str, *params: object) -> list[Any]:
    """Rows of a query on one region store's own database."""
    db = gateway.data_dir / "regions" / region / "db.sqlite3"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def stores_holding(gateway: Gateway, bucket: str) -> list[str]:
    """The regions whose store knows the bucket."""
    return [
        r for r in REGIONS if region_rows(gateway, r, "SELECT 1 FROM buckets WHERE name=?", bucket)
    ]


def exists(s3: BaseClient, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return False
    return True


# regions


def test_no_constraint_means_us_east_1(gateway: Gateway, s3: BaseClient) -> None:
    name = fresh_name()
    response = create(s3, name)
    assert response["Location"] == f"/{name}"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert stores_holding(gateway, name) == ["us-east-1"]


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_constraint_chooses_region_store(gateway: Gateway, s3: BaseClient, region: str) -> None:
    name = fresh_name()
    create(s3, name, region)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == region
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == region
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == region
    assert stores_holding(gateway, name) == [region]

    # Every request for the bucket is served by that region's store.
    s3.put_object(Bucket=name, Key="k1", Body=b"one")
    s3.put_object(Bucket=name, Key="dir/k2", Body=b"two")
    for other in REGIONS:
        keys = region_rows(gateway, other, "SELECT key FROM objects WHERE bucket=?", name)
        expected = [b"dir/k2", b"k1"] if other == region else []
        assert sorted(bytes(k[0]) for k in keys) == expected
    assert s3.get_object(Bucket=name, Key="k1")["Body"].read() == b"one"
    listed = s3.list_objects_v2(Bucket=name)
    assert [o["Key"] for o in listed["Contents"]] == ["dir/k2", "k1"]
    s3.delete_object(Bucket=name, Key="k1")
    assert region_rows(gateway, region, "SELECT key FROM objects WHERE bucket=?", name) == [
        (b"dir/k2",)
    ]


def test_same_key_in_buckets_of_different_regions(s3: BaseClient) -> None:
    names = {region: fresh_name() for region in REGIONS}
    for region, name in names.items():
        create(s3, name, None if region == "us-east-1" else region)
        s3.put_object(Bucket=name, Key="same", Body=region.encode())
    for region, name in names.items():
        assert s3.get_object(Bucket=name, Key="same")["Body"].read() == region.encode()


@pytest.mark.parametrize("constraint", ["mars-north-1", "ap-south-1", "us-east-1", "EU-WEST-1"])
def test_unknown_or_explicit_default_region_is_invalid(
    gateway: Gateway, s3: BaseClient, constraint: str
) -> None:
    name = fresh_name()
    with pytest.raises(ClientError) as exc:
        create(s3, name, constraint)
    assert error_of(exc) == ("InvalidLocationConstraint", 400)
    assert exc.value.response["Error"]["LocationConstraint"] == constraint
    assert not exists(s3, name)
    assert stores_holding(gateway, name) == []
    # The name was not claimed: it can be created afterwards.
    create(s3, name, "us-west-2")
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "us-west-2"


def test_malformed_configuration(s3: BaseClient) -> None:
    name = fresh_name()

    def body(request: Any, **_: object) -> None:
        request.data = b"<CreateBucketConfiguration><LocationConstraint>eu-west-1"

    s3.meta.events.register("before-sign.s3.CreateBucket", body)
    with pytest.raises(ClientError) as exc:
        create(s3, name, "eu-west-1")
    assert error_of(exc) == ("MalformedXML", 400)
    assert not exists(s3, name)


# names


VALID_NAMES = [
    "abc",
    "a" * 63,
    "123",
    "my.bucket.name",
    "my-bucket--double-hyphen",
    "1-2.3-4",
]

INVALID_NAMES = [
    "ab",  # too short
    "a" * 64,  # too long
    "MyBucket",  # uppercase
    "my_bucket",  # underscore
    "192.168.5.4",  # IP address form
    "my..bucket",  # adjacent dots
    "my.-bucket",
    "my-.bucket",
    "-bucket",  # must start with a letter or digit
    ".bucket",
    "bucket-",  # must end with a letter or digit
    "bucket.",
    "xn--bucket",  # reserved prefixes
    "sthree-bucket",
    "amzn-s3-demo-bucket",
    "bucket-s3alias",  # reserved suffixes
    "bucket--ol-s3",
    "bucket.mrap",
    "bucket--table-s3",
]


@pytest.mark.parametrize("base", VALID_NAMES)
def test_valid_names(s3: BaseClient, base: str) -> None:
    # Names are global: make each unique while keeping its shape.
    suffix = secrets.token_hex(3)
    name = (base[: 63 - len(suffix)] + suffix) if len(base) > 6 else base + suffix
    create(s3, name)
    assert exists(s3, name)
    s3.delete_bucket(Bucket=name)
    assert not exists(s3, name)


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_names(s3: BaseClient, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        create(s3, name)
    assert error_of(exc) == ("InvalidBucketName", 400)
    assert exc.value.response["Error"]["BucketName"] == name
    names = [b["Name"] for b in s3.list_buckets(Prefix=name[:3])["Buckets"]]
    assert name not in names


def test_directory_bucket_suffix_is_invalid(s3: BaseClient) -> None:
    # boto3 treats `--x-s3` names as S3 Express directory buckets and addresses them its own
    # way, so the name is swapped into the path just before signing.
    name = f"b{secrets.token_hex(4)}--x-s3"
    placeholder = fresh_name()

    def rename(request: Any, **_: object) -> None:
        request.url = request.url.replace(placeholder, name)

    s3.meta.events.register("before-sign.s3.CreateBucket", rename)
    with pytest.raises(ClientError) as exc:
        create(s3, placeholder)
    assert error_of(exc) == ("InvalidBucketName", 400)
    assert exc.value.response["Error"]["BucketName"] == name
    assert not exists(s3, placeholder)


# one namespace


def test_bucket_already_owned_by_you(gateway: Gateway, s3: BaseClient) -> None:
    name = fresh_name()
    create(s3, name, "eu-west-1")
    s3.put_object(Bucket=name, Key="k", Body=b"kept")
    for region in (None, "eu-west-1", "us-west-2"):
        with pytest.raises(ClientError) as exc:
            # A fresh client signs for us-east-1, the global endpoint's region: `s3` has
            # learnt (region redirect) that the bucket is in eu-west-1 and would sign for it.
            create(gateway.client(), name, region)
        assert error_of(exc) == ("BucketAlreadyOwnedByYou", 409)
        assert exc.value.response["Error"]["BucketName"] == name
    # Nothing moved or got lost.
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    assert stores_holding(gateway, name) == ["eu-west-1"]
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"kept"


def test_recreating_own_us_east_1_bucket_is_200(gateway: Gateway, s3: BaseClient) -> None:
    # AWS CreateBucket docs: "If you create a bucket that already exists and you own, in the
    # us-east-1 Region, Amazon S3 returns 200 OK" (legacy); in any other Region, 409.
    name = fresh_name()
    create(s3, name)
    s3.put_object(Bucket=name, Key="k", Body=b"kept")
    again = create(s3, name)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert again["Location"] == f"/{name}"
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"kept"
    assert stores_holding(gateway, name) == ["us-east-1"]
    for region in ("eu-west-1", "us-west-2"):
        with pytest.raises(ClientError) as exc:
            create(s3, name, region)
        assert error_of(exc) == ("BucketAlreadyOwnedByYou", 409)
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "us-east-1"
    assert stores_holding(gateway, name) == ["us-east-1"]


def test_bucket_already_exists_for_another_account(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    # A second account, made directly in the control store (as `mrap account create` does).
    other = ("AKIAOTHERACCOUNT0001", "other-account-secret-000000000000000000")
    control = ControlStore(gateway.data_dir / "control.sqlite3")
    try:
        control.ensure_account("444455556666")
        if control.get_access_key(other[0]) is None:
            control.add_access_key("444455556666", "arn:aws:iam::444455556666:root", *other)
    finally:
        control.close()
    theirs = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=other[0],
        aws_secret_access_key=other[1],
        config=Config(retries={"max_attempts": 1}),
    )
    for region in (None, "eu-west-1"):
        with pytest.raises(ClientError) as exc:
            create(theirs, bucket, region)
        assert error_of(exc) == ("BucketAlreadyExists", 409)
    # Their own names are theirs; ours stay ours and invisible to them.
    theirs.create_bucket(Bucket=bucket + "-theirs")
    assert [b["Name"] for b in theirs.list_buckets()["Buckets"]] == [bucket + "-theirs"]
    with pytest.raises(ClientError) as exc:
        theirs.list_objects_v2(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    assert bucket + "-theirs" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


# HeadBucket, GetBucketLocation


def test_missing_bucket(s3: BaseClient) -> None:
    name = fresh_name("missing")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert error_of(exc) == ("404", 404)
    calls: tuple[Callable[[], object], ...] = (
        lambda: s3.get_bucket_location(Bucket=name),
        lambda: s3.delete_bucket(Bucket=name),
        lambda: s3.list_objects_v2(Bucket=name),
        lambda: s3.list_objects(Bucket=name),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchBucket", 404)
        assert exc.value.response["Error"]["BucketName"] == name


def test_head_bucket_has_request_id(s3: BaseClient, bucket: str) -> None:
    head = s3.head_bucket(Bucket=bucket)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["ResponseMetadata"]["RequestId"]


# ListBuckets


def test_list_buckets(s3: BaseClient) -> None:
    prefix = "lst-" + secrets.token_hex(4)
    wanted = {f"{prefix}-a": "us-east-1", f"{prefix}-b": "eu-west-1", f"{prefix}-c": "us-west-2"}
    before = datetime.now(UTC) - timedelta(seconds=5)
    for name, region in wanted.items():
        create(s3, name, None if region == "us-east-1" else region)

    everything = s3.list_buckets()
    names = [b["Name"] for b in everything["Buckets"]]
    assert names == sorted(names)
    assert set(wanted) <= set(names)
    assert everything["Owner"]["ID"]

    mine = s3.list_buckets(Prefix=prefix)
    assert [(b["Name"], b["BucketRegion"]) for b in mine["Buckets"]] == sorted(wanted.items())
    assert mine["Prefix"] == prefix
    for entry in mine["Buckets"]:
        assert before <= entry["CreationDate"] <= datetime.now(UTC) + timedelta(seconds=5)

    europe = s3.list_buckets(Prefix=prefix, BucketRegion="eu-west-1")
    assert [b["Name"] for b in europe["Buckets"]] == [f"{prefix}-b"]


def test_list_buckets_pages(s3: BaseClient) -> None:
    prefix = "pg-" + secrets.token_hex(4)
    created = [f"{prefix}-{i}" for i in range(5)]
    for name in created:
        create(s3, name)
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == created[:2]
    assert first["ContinuationToken"]
    second = s3.list_buckets(
        Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"]
    )
    assert [b["Name"] for b in second["Buckets"]] == created[2:4]
    paginator = s3.get_paginator("list_buckets")
    pages = list(paginator.paginate(Prefix=prefix, PaginationConfig={"PageSize": 2}))
    assert [b["Name"] for p in pages for b in p["Buckets"]] == created
    assert len(pages) == 3
    assert "ContinuationToken" not in pages[-1]


# DeleteBucket


def test_delete_bucket_not_empty(gateway: Gateway, s3: BaseClient) -> None:
    name = fresh_name()
    create(s3, name, "eu-west-1")
    s3.put_object(Bucket=name, Key="a", Body=b"x")
    s3.put_object(Bucket=name, Key="b/c", Body=b"y")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=name)
    assert error_of(exc) == ("BucketNotEmpty", 409)
    assert exc.value.response["Error"]["BucketName"] == name
    assert s3.get_object(Bucket=name, Key="a")["Body"].read() == b"x"

    s3.delete_object(Bucket=name, Key="a")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=name)
    assert error_of(exc) == ("BucketNotEmpty", 409)

    s3.delete_object(Bucket=name, Key="b/c")
    response = s3.delete_bucket(Bucket=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not exists(s3, name)
    assert name not in [b["Name"] for b in s3.list_buckets(Prefix=name)["Buckets"]]
    assert stores_holding(gateway, name) == []
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=name)
    assert error_of(exc) == ("NoSuchBucket", 404)


def test_deleted_name_can_move_to_another_region(gateway: Gateway, s3: BaseClient) -> None:
    name = fresh_name()
    create(s3, name, "us-west-2")
    s3.put_object(Bucket=name, Key="old", Body=b"x")
    s3.delete_object(Bucket=name, Key="old")
    s3.delete_bucket(Bucket=name)
    # Not `s3`: it remembers the name's old region and would sign the create for us-west-2.
    create(gateway.client(), name, "eu-west-1")
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    assert stores_holding(gateway, name) == ["eu-west-1"]
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_delete_bucket_with_unfinished_upload(s3: BaseClient) -> None:
    name = fresh_name()
    create(s3, name)
    upload = s3.create_multipart_upload(Bucket=name, Key="partial")
    s3.upload_part(Bucket=name, Key="partial", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")
    s3.delete_bucket(Bucket=name)
    assert not exists(s3, name)
    create(s3, name)
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=name, Key="partial", UploadId=upload["UploadId"])
    assert error_of(exc) == ("NoSuchUpload", 404)
