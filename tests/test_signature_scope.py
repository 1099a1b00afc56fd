"""Signature scope: a signature is good only for the region and the service that serve the
request, and for the date it names. The region error names the right region, so SDKs and
the aws CLI configured for another region re-sign and retry."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.crt.auth import CrtS3SigV4AsymAuth
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from rawhttp import Reply, connect, host_of, read_reply, request, send, sign

WEST = "eu-west-1"


def client(gateway: Gateway, region: str, service: str = "s3", **config: Any) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=gateway.endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def west_bucket(s3: BaseClient) -> Iterator[str]:
    """A bucket in eu-west-1 (created through the us-east-1 global endpoint's signature)."""
    name = "scope-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": WEST})
    yield name


def expect(reply: Reply, status: int, code: str) -> dict[str, str]:
    assert reply.status == status, reply.body
    error = reply.error
    assert error["Code"] == code, reply.body
    return error


def objects(gateway: Gateway, bucket: str) -> list[str]:
    listed = client(gateway, WEST).list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


# the bucket's region


def test_wrong_region_names_the_right_one(gateway: Gateway, west_bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{west_bucket}/k", body=b"x", region="us-east-1")
    error = expect(reply, 400, "AuthorizationHeaderMalformed")
    assert error["Message"] == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; "
        "expecting 'eu-west-1'"
    )
    assert error["Region"] == WEST
    assert reply.headers["x-amz-bucket-region"] == WEST
    assert objects(gateway, west_bucket) == []  # nothing was written


def test_head_with_wrong_region_carries_the_region_header(
    gateway: Gateway, west_bucket: str
) -> None:
    reply = request(gateway, "HEAD", f"/{west_bucket}", region="us-west-2")
    assert (reply.status, reply.body) == (400, b"")
    assert reply.headers["x-amz-bucket-region"] == WEST


def test_right_region_is_served(gateway: Gateway, west_bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{west_bucket}/k", body=b"x", region=WEST)
    assert reply.status == 200, reply.body
    assert objects(gateway, west_bucket) == ["k"]


def test_bucket_location_is_answered_to_the_global_region(
    gateway: Gateway, west_bucket: str
) -> None:
    # How clients find a bucket's region: AWS's global endpoint answers for any bucket.
    reply = request(gateway, "GET", f"/{west_bucket}?location", region="us-east-1")
    assert reply.status == 200, reply.body
    assert b">eu-west-1</LocationConstraint>" in reply.body
    other = request(gateway, "GET", f"/{west_bucket}?location", region="us-west-2")
    expect(other, 400, "AuthorizationHeaderMalformed")


def test_no_bucket_no_region_to_sign_for(gateway: Gateway) -> None:
    # ListBuckets and a bucket that does not exist: any region's endpoint would answer.
    for region in ("eu-west-1", "us-west-2", "ap-south-1"):
        assert request(gateway, "GET", "/", region=region).status == 200
        reply = request(gateway, "GET", "/no-such-bucket-scope/k", region=region)
        expect(reply, 404, "NoSuchBucket")


def test_boto3_for_another_region_is_redirected(gateway: Gateway, west_bucket: str) -> None:
    east = client(gateway, "us-east-1")
    east.put_object(Bucket=west_bucket, Key="via-redirect", Body=b"moved")
    assert east.get_object(Bucket=west_bucket, Key="via-redirect")["Body"].read() == b"moved"
    assert east.head_object(Bucket=west_bucket, Key="via-redirect")["ContentLength"] == 5
    assert east.head_bucket(Bucket=west_bucket)["BucketRegion"] == WEST
    # A fresh client's first HEAD has no body to read the region from: the header does it.
    fresh = client(gateway, "us-west-2")
    assert fresh.head_object(Bucket=west_bucket, Key="via-redirect")["ContentLength"] == 5
    listed = client(gateway, "us-west-2").list_objects_v2(Bucket=west_bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["via-redirect"]
    client(gateway, "us-west-2").delete_object(Bucket=west_bucket, Key="via-redirect")
    assert objects(gateway, west_bucket) == []


def test_aws_cli_for_another_region_is_redirected(
    aws: Any, west_bucket: str, tmp_path: Any
) -> None:
    source = tmp_path / "up.txt"
    source.write_text("from the cli")
    aws("s3", "cp", str(source), f"s3://{west_bucket}/cli.txt")
    out = aws("s3api", "get-object", "--bucket", west_bucket, "--key", "cli.txt", "got.txt")
    assert '"ContentLength": 12' in out
    assert (tmp_path / "got.txt").read_text() == "from the cli"
    assert "cli.txt" in aws("s3", "ls", f"s3://{west_bucket}/")


# presigned URLs


def _presigned(gateway: Gateway, region: str, bucket: str, key: str) -> str:
    url = client(gateway, region, signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300
    )
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_presigned_url_for_the_wrong_region(gateway: Gateway, west_bucket: str) -> None:
    client(gateway, WEST).put_object(Bucket=west_bucket, Key="p", Body=b"presigned")
    host = host_of(gateway, None)
    wrong = send(gateway, "GET", _presigned(gateway, "us-east-1", west_bucket, "p"), {"Host": host})
    error = expect(wrong, 400, "AuthorizationQueryParametersError")
    assert error["Message"] == (
        "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; "
        "expecting 'eu-west-1'"
    )
    assert error["Region"] == WEST
    right = send(gateway, "GET", _presigned(gateway, WEST, west_bucket, "p"), {"Host": host})
    assert (right.status, right.body) == (200, b"presigned")


def test_presigned_scope_date_must_be_the_request_date(gateway: Gateway, bucket: str) -> None:
    target = _presigned(gateway, "us-east-1", bucket, "k")
    path, _, query = target.partition("?")
    params = dict(parse_qsl(query))
    akid, _, rest = params["X-Amz-Credential"].partition("/")
    params["X-Amz-Credential"] = f"{akid}/19990101/{rest.partition('/')[2]}"
    reply = send(gateway, "GET", f"{path}?{urlencode(params)}", {"Host": host_of(gateway, None)})
    error = expect(reply, 400, "AuthorizationQueryParametersError")
    assert "Date is not the same as X-Amz-Date" in error["Message"]


def test_header_scope_date_must_be_the_request_date(gateway: Gateway, bucket: str) -> None:
    headers = sign("GET", host_of(gateway, None), f"/{bucket}")
    headers["Authorization"] = headers["Authorization"].replace(
        datetime.now(UTC).strftime("/%Y%m%d/"), "/19990101/"
    )
    reply = send(gateway, "GET", f"/{bucket}", headers)
    error = expect(reply, 400, "AuthorizationHeaderMalformed")
    assert "Date is not the same as X-Amz-Date" in error["Message"]


# the service


def test_s3_refuses_another_service(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/k", body=b"x", service="ec2")
    error = expect(reply, 400, "AuthorizationHeaderMalformed")
    assert "incorrect service 'ec2'. This endpoint belongs to 's3'." in error["Message"]
    reply = request(gateway, "GET", f"/{bucket}", bucket_host=None, service="iam")
    # At the gateway's root the service decides the API; on a bucket it is refused.
    expect(reply, 400, "AuthorizationHeaderMalformed")


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_query_apis_refuse_an_s3_scope(gateway: Gateway, service: str) -> None:
    host = f"{service}.localhost:{gateway.port}"
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = sign("POST", host, "/", body=body, service="s3")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    reply = send(gateway, "POST", "/", headers, body)
    error = expect(reply, 403, "SignatureDoesNotMatch")
    assert error["Message"] == f"Credential should be scoped to correct service: '{service}'. "


def test_boto3_clients_of_every_service_pass(gateway: Gateway) -> None:
    assert client(gateway, "us-east-1", "sts").get_caller_identity()["Account"]
    assert "Users" in client(gateway, "us-east-1", "iam").list_users()


# CreateBucket: the LocationConstraint decides


def _create(gateway: Gateway, name: str, signed_for: str, constraint: str | None) -> Reply:
    body = (
        b""
        if constraint is None
        else b"<CreateBucketConfiguration><LocationConstraint>%s</LocationConstraint>"
        b"</CreateBucketConfiguration>" % constraint.encode()
    )
    return request(gateway, "PUT", f"/{name}", body=body, region=signed_for)


@pytest.mark.parametrize(
    ("signed_for", "constraint", "named"),
    [
        ("eu-west-1", "us-west-2", "us-west-2"),
        ("eu-west-1", None, "unspecified"),
        ("us-west-2", "EU", "EU"),
    ],
)
def test_create_bucket_signed_for_another_region(
    gateway: Gateway, s3: BaseClient, signed_for: str, constraint: str | None, named: str
) -> None:
    name = "scope-" + secrets.token_hex(6)
    error = expect(
        _create(gateway, name, signed_for, constraint), 400, "IllegalLocationConstraintException"
    )
    assert error["Message"] == (
        f"The {named} location constraint is incompatible for the region specific endpoint "
        "this request was sent to."
    )
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    ("signed_for", "constraint", "region"),
    [
        ("eu-west-1", "eu-west-1", "eu-west-1"),
        ("eu-west-1", "EU", "eu-west-1"),
        ("us-east-1", "us-west-2", "us-west-2"),  # the legacy global endpoint
        ("aws-global", "eu-west-1", "eu-west-1"),
        ("us-east-1", None, "us-east-1"),
    ],
)
def test_create_bucket_signed_for_its_region(
    gateway: Gateway, s3: BaseClient, signed_for: str, constraint: str | None, region: str
) -> None:
    name = "scope-" + secrets.token_hex(6)
    reply = _create(gateway, name, signed_for, constraint)
    assert reply.status == 200, reply.body
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == region


def test_boto3_creates_in_its_own_region(gateway: Gateway) -> None:
    name = "scope-" + secrets.token_hex(6)
    west = client(gateway, "us-west-2")
    west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert west.get_bucket_location(Bucket=name)["LocationConstraint"] == "us-west-2"


# SigV4A: the region set must hold the bucket's region


def _sigv4a(gateway: Gateway, method: str, target: str, region_set: str) -> Reply:
    host = host_of(gateway, None)
    aws_request = AWSRequest(method=method, url=f"http://{host}{target}", headers={"Host": host})
    CrtS3SigV4AsymAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region_set).add_auth(aws_request)
    headers = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in aws_request.headers.items()
    }
    return send(gateway, method, target, headers)


def test_sigv4a_region_set_must_hold_the_bucket_region(gateway: Gateway, west_bucket: str) -> None:
    reply = _sigv4a(gateway, "GET", f"/{west_bucket}", "us-*")
    error = expect(reply, 400, "AuthorizationHeaderMalformed")
    assert error["Region"] == WEST
    for region_set in ("eu-*", "*", "us-east-1,eu-west-1"):
        assert _sigv4a(gateway, "GET", f"/{west_bucket}", region_set).status == 200


# one signature per request


def test_two_authorization_headers_are_refused(gateway: Gateway, bucket: str) -> None:
    host = host_of(gateway, None)
    headers = sign("PUT", host, f"/{bucket}/twice", body=b"x")
    lines = [f"PUT /{bucket}/twice HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Authorization: {headers['Authorization']}", "Content-Length: 1"]
    sock: socket.socket
    with connect(gateway) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\nx").encode())
        reply = read_reply(sock, "PUT")
    error = expect(reply, 400, "InvalidArgument")
    assert error["ArgumentName"] == "Authorization"
    reply = request(gateway, "GET", f"/{bucket}?list-type=2")
    assert b"twice" not in reply.body
