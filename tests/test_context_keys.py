"""The condition keys S3 supplies to policies (issue 5, request context).

A second account reads and writes the bootstrap account's bucket under a bucket policy whose
conditions test one key each; the request either carries the key's expected value or not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway
from test_accounts import NewAccount, client, create_account, error_of


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> NewAccount:
    return create_account(gateway.data_dir)


@pytest.fixture
def s3b(gateway: Gateway, other: NewAccount) -> BaseClient:
    return client(gateway, other)


@pytest.fixture
def presigner(gateway: Gateway, other: NewAccount) -> BaseClient:
    """The other account's client, presigning with SigV4 (boto3's default here is SigV2)."""
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=other.access_key_id,
        aws_secret_access_key=other.secret,
        config=Config(signature_version="s3v4"),
    )


def grant(
    s3: BaseClient,
    bucket: str,
    other: NewAccount,
    actions: list[str],
    condition: dict[str, Any],
    resource: str = "/*",
) -> None:
    """Let the other account perform `actions` in `bucket` when `condition` holds."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{other.id}:root"},
        "Action": actions,
        "Resource": f"arn:aws:s3:::{bucket}{resource}",
        "Condition": condition,
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def denied(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403, exc.response
        return True
    return False


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_auth_type_tells_header_from_presigned(
    s3: BaseClient, s3b: BaseClient, presigner: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    grant(
        s3, bucket, other, ["s3:GetObject"], {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}
    )
    assert denied(s3b.get_object, Bucket=bucket, Key="k")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert fetch(url) == 200


def test_signature_version_and_age(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    grant(
        s3,
        bucket,
        other,
        ["s3:GetObject"],
        {
            "StringEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"},
            "NumericLessThan": {"s3:signatureAge": "600000"},
        },
    )
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    grant(
        s3,
        bucket,
        other,
        ["s3:GetObject"],
        {"StringEquals": {"s3:signatureversion": "AWS4-ECDSA-P256-SHA256"}},
    )
    assert denied(s3b.get_object, Bucket=bucket, Key="k")


def test_secure_transport_and_tls_version_over_plain_http(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    grant(s3, bucket, other, ["s3:GetObject"], {"Bool": {"aws:SecureTransport": "false"}})
    assert s3b.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    grant(s3, bucket, other, ["s3:GetObject"], {"Bool": {"aws:SecureTransport": "true"}})
    assert denied(s3b.get_object, Bucket=bucket, Key="k")
    # Without TLS there is no s3:TlsVersion: a numeric test of it cannot hold.
    grant(
        s3, bucket, other, ["s3:GetObject"], {"NumericGreaterThanEquals": {"s3:TlsVersion": "1.2"}}
    )
    assert denied(s3b.get_object, Bucket=bucket, Key="k")


def test_content_sha256_and_user_agent(
    s3: BaseClient, s3b: BaseClient, presigner: BaseClient, bucket: str, other: NewAccount
) -> None:
    grant(
        s3,
        bucket,
        other,
        ["s3:PutObject"],
        {
            "StringNotEquals": {"s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
            "StringLike": {"aws:UserAgent": "*Boto3/*"},
        },
    )
    s3b.put_object(Bucket=bucket, Key="signed", Body=b"x")  # boto3 signs the payload over http
    url = presigner.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "unsigned"}
    )
    request = urllib.request.Request(url, data=b"x", method="PUT")
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 403
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["signed"]


def test_request_object_tags_on_put_and_put_tagging(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    grant(
        s3,
        bucket,
        other,
        ["s3:PutObject", "s3:PutObjectTagging"],
        {
            "StringEquals": {"s3:RequestObjectTag/project": "alpha"},
            "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["project", "team"]},
        },
    )
    s3b.put_object(Bucket=bucket, Key="a", Body=b"x", Tagging="project=alpha")
    assert denied(s3b.put_object, Bucket=bucket, Key="b", Body=b"x", Tagging="project=beta")
    assert denied(s3b.put_object, Bucket=bucket, Key="c", Body=b"x")
    assert denied(
        s3b.put_object, Bucket=bucket, Key="d", Body=b"x", Tagging="project=alpha&secret=1"
    )
    s3b.put_object_tagging(
        Bucket=bucket,
        Key="a",
        Tagging={"TagSet": [{"Key": "project", "Value": "alpha"}, {"Key": "team", "Value": "t"}]},
    )
    assert denied(
        s3b.put_object_tagging,
        Bucket=bucket,
        Key="a",
        Tagging={"TagSet": [{"Key": "project", "Value": "beta"}]},
    )
    tags = s3.get_object_tagging(Bucket=bucket, Key="a")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"project": "alpha", "team": "t"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["a"]


def test_existing_object_tags(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount
) -> None:
    s3.put_object(Bucket=bucket, Key="open", Body=b"o", Tagging="class=public")
    s3.put_object(Bucket=bucket, Key="closed", Body=b"c", Tagging="class=private")
    s3.put_object(Bucket=bucket, Key="bare", Body=b"b")
    grant(
        s3,
        bucket,
        other,
        ["s3:GetObject"],
        {"StringEquals": {"s3:ExistingObjectTag/class": "public"}},
    )
    assert s3b.get_object(Bucket=bucket, Key="open")["Body"].read() == b"o"
    assert denied(s3b.get_object, Bucket=bucket, Key="closed")
    assert denied(s3b.get_object, Bucket=bucket, Key="bare")


def test_listing_keys_and_resource_account(
    s3: BaseClient, s3b: BaseClient, bucket: str, other: NewAccount, gateway: Gateway
) -> None:
    s3.put_object(Bucket=bucket, Key="home/a", Body=b"x")
    grant(
        s3,
        bucket,
        other,
        ["s3:ListBucket"],
        {
            "StringEquals": {"s3:prefix": "home/", "s3:ResourceAccount": "111122223333"},
            "NumericLessThanEquals": {"s3:max-keys": "100"},
        },
        resource="",
    )
    listed = s3b.list_objects_v2(Bucket=bucket, Prefix="home/", MaxKeys=50)
    assert [o["Key"] for o in listed["Contents"]] == ["home/a"]
    assert denied(s3b.list_objects_v2, Bucket=bucket, Prefix="other/")
    assert denied(s3b.list_objects_v2, Bucket=bucket, Prefix="home/", MaxKeys=500)
    with pytest.raises(ClientError) as exc:
        s3b.list_objects_v2(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
