"""The first slice: a signed ListBuckets and a round trip through one object."""

from __future__ import annotations

from botocore.client import BaseClient


def test_signed_list_buckets_answers(s3: BaseClient, bucket: str) -> None:
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in names


def test_object_round_trip(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello world")
    body = s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    assert body == b"hello world"
