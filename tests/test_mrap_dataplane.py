"""Requests through a Multi-Region Access Point: routing, failover and the permission chain.

The access point's alias works as a bucket name on the ordinary endpoint (SigV4, for clients
without SigV4A), and its ARN works through the endpoint proxy with unmodified boto3 and the
aws CLI (SigV4A to `{alias}.accesspoint.s3-global.amazonaws.com`).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import Reply, host_of, send, sign
from test_accounts import error_of
from test_mrap_control import (
    ACCOUNT,
    control,
    create,
    make_bucket,
    new_account,
    s3_client,
    wait,
)
from test_proxy import aws, mrap_env, use_mrap_env
from test_sigv4a import crt_sign

ROUTED = "x-mrap-routed-region"


def delegate(s3: BaseClient, bucket: str, mrap_arn: str) -> None:
    """The seed's bucket policy: access control delegated to the access point."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointArn": mrap_arn}},
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def allow_account(alias: str, actions: list[str], account: str = ACCOUNT) -> str:
    """An access point policy of the bootstrap account granting `account` (by default itself)
    `actions` (seed example)."""
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": actions,
        "Resource": [arn, f"{arn}/object/*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": statement})


class Point:
    """An access point over buckets in us-east-1 and eu-west-1."""

    def __init__(self, gateway: Gateway, s3: BaseClient) -> None:
        self.gateway = gateway
        self.ctl = control(gateway)
        self.east = make_bucket(s3, "us-east-1")
        self.west = make_bucket(s3, "eu-west-1")
        self.name, _ = create(self.ctl, [self.east, self.west])
        point = self.ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=self.name)
        self.alias: str = point["AccessPoint"]["Alias"]
        self.arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{self.alias}"

    def put_policy(self, policy: str) -> None:
        token = self.ctl.put_multi_region_access_point_policy(
            AccountId=ACCOUNT, Details={"Name": self.name, "Policy": policy}
        )["RequestTokenARN"]
        assert wait(self.ctl, token)["RequestStatus"] == "SUCCEEDED"

    def dials(self, **by_bucket: int) -> None:
        updates = [{"Bucket": b, "TrafficDialPercentage": d} for b, d in by_bucket.items()]
        # Route changes are signed for a failover-control region (us-east-1 is one).
        control(self.gateway, "us-east-1").submit_multi_region_access_point_routes(
            AccountId=ACCOUNT, Mrap=self.arn, RouteUpdates=updates
        )


@pytest.fixture
def point(gateway: Gateway, s3: BaseClient) -> Point:
    """An access point with the seed's policies: the account may list, read and write."""
    p = Point(gateway, s3)
    p.put_policy(allow_account(p.alias, ["s3:ListBucket", "s3:GetObject", "s3:PutObject"]))
    delegate(s3, p.east, p.arn)
    delegate(s3, p.west, p.arn)
    return p


@pytest.fixture
def proxied(gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the `mrap env` variables in the environment, as after `eval "$(mrap env)"`."""
    use_mrap_env(gateway, tmp_path, monkeypatch)


def logged(gateway: Gateway, fragment: str) -> str:
    """The access log line holding `fragment`, once the gateway has written it."""
    deadline = time.monotonic() + 10
    while True:
        lines = [x for x in gateway.log().splitlines() if fragment in x]
        if lines or time.monotonic() > deadline:
            assert lines, f"no log line with {fragment!r}"
            return lines[-1]
        time.sleep(0.05)


def routed(response: dict[str, Any]) -> str:
    return str(response["ResponseMetadata"]["HTTPHeaders"][ROUTED])


def keys(s3: BaseClient, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_alias_as_bucket_name_routes_to_the_nearest_active_region(
    s3: BaseClient, point: Point
) -> None:
    # The gateway runs in us-east-1 (its first region): that bucket is the nearest.
    put = s3.put_object(Bucket=point.alias, Key="example.txt", Body=b"Hello S3!")
    assert routed(put) == "us-east-1"
    assert keys(s3, point.east) == ["example.txt"] and keys(s3, point.west) == []
    got = s3.get_object(Bucket=point.alias, Key="example.txt")
    assert got["Body"].read() == b"Hello S3!" and routed(got) == "us-east-1"
    listed = s3.list_objects_v2(Bucket=point.alias)
    assert [o["Key"] for o in listed["Contents"]] == ["example.txt"]


def test_failover_moves_new_writes_on_the_next_request(
    gateway: Gateway, s3: BaseClient, point: Point
) -> None:
    s3.put_object(Bucket=point.alias, Key="before", Body=b"1")
    point.dials(**{point.east: 0, point.west: 100})
    put = s3.put_object(Bucket=point.alias, Key="after", Body=b"2")
    assert routed(put) == "eu-west-1"
    # The access log names the serving region too (written just after the response).
    assert logged(gateway, f"PUT /{point.alias}/after 200").endswith(" region=eu-west-1")
    assert keys(s3, point.east) == ["before"] and keys(s3, point.west) == ["after"]
    # Routing knows nothing of objects: the routed bucket lacks the old one.
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=point.alias, Key="before")
    assert exc.value.response["Error"]["Code"] == "NoSuchKey"


def test_a_region_marked_down_is_skipped_until_it_is_back(
    gateway: Gateway, s3: BaseClient, point: Point
) -> None:
    def mark(state: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "mrap", "region", state, "us-east-1",
             "--data-dir", str(gateway.data_dir)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def region_after_checks() -> str:
        return routed(s3.put_object(Bucket=point.alias, Key="k", Body=b"x"))

    mark("down")
    try:
        assert region_after_checks() == "eu-west-1"
    finally:
        mark("up")
    assert region_after_checks() == "us-east-1"


def test_same_account_needs_no_resource_policy_other_accounts_need_all_three(
    gateway: Gateway, s3: BaseClient
) -> None:
    p = Point(gateway, s3)
    s3.put_object(Bucket=p.east, Key="k", Body=b"x")
    # AWS's current permissions page: "For same account requests, only the underlying IAM
    # policy, which grants the appropriate access, is required" (the root has every one).
    assert s3.get_object(Bucket=p.alias, Key="k")["Body"].read() == b"x"
    other = new_account(gateway)
    stranger = s3_client(gateway, other)

    def code() -> str:
        try:
            stranger.get_object(Bucket=p.alias, Key="k")
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return ""

    # "For a cross-account request to succeed, the following policies must permit the
    # operation: the Multi-Region Access Point policy, the underlying IAM policy, the
    # underlying bucket policy."
    assert code() == "AccessDenied"  # no access point policy
    p.put_policy(allow_account(p.alias, ["s3:GetObject"], other.account))
    assert code() == "AccessDenied"  # the bucket does not delegate
    delegate(s3, p.east, p.arn)
    assert code() == ""
    with pytest.raises(ClientError) as exc:
        stranger.put_object(Bucket=p.alias, Key="k2", Body=b"y")  # not granted by the policy
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert keys(s3, p.east) == ["k"]


REFUSED = [  # (operation, method, query): operations AWS does not offer through an MRAP
    ("ListObjects", "GET", ""),
    ("GetBucketLocation", "GET", "?location"),
    ("CreateBucket", "PUT", ""),
    ("GetBucketVersioning", "GET", "?versioning"),
]


def refusal(reply: Reply) -> dict[str, str]:
    """The error's fields but those naming the request (Resource, RequestId, HostId)."""
    fields = reply.error
    for name in ("Resource", "RequestId", "HostId"):
        fields.pop(name, None)
    return {"Status": str(reply.status), **fields}


@pytest.mark.parametrize(("operation", "method", "query"), REFUSED)
def test_alias_as_bucket_name_refuses_what_the_arn_host_refuses(
    gateway: Gateway, s3: BaseClient, point: Point, operation: str, method: str, query: str
) -> None:
    arn_host = f"{point.alias}.accesspoint.s3-global.localhost:{gateway.port}"
    by_arn = send(gateway, method, f"/{query}", crt_sign(method, arn_host, f"/{query}"))
    path_style = f"/{point.alias}{query}"
    by_name = send(gateway, method, path_style, sign(method, host_of(gateway), path_style))
    assert (
        refusal(by_name)
        == refusal(by_arn)
        == {
            "Status": "405",
            "Code": "MethodNotAllowed",
            "Message": f"The {operation} operation is not supported through a Multi-Region "
            "Access Point.",
            "Method": operation,
            "ResourceType": "MULTIREGIONACCESSPOINT",
        }
    )
    assert point.alias not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_alias_as_bucket_name_with_a_real_client(s3: BaseClient, point: Point) -> None:
    kwargs: dict[str, Any]
    for call, kwargs in (
        (s3.list_objects, {}),
        (s3.get_bucket_location, {}),
        (s3.create_bucket, {}),
        (s3.get_bucket_versioning, {}),
    ):
        with pytest.raises(ClientError) as exc:
            call(Bucket=point.alias, **kwargs)
        assert error_of(exc) == ("MethodNotAllowed", 405), call
    # A name of the alias's shape that no access point has is no bucket, and cannot be one
    # (`.mrap` is a reserved suffix of bucket names).
    unknown = "zzzzzzzzzzzzz.mrap"
    for call, kwargs, want in (
        (s3.get_object, {"Key": "k"}, ("NoSuchBucket", 404)),
        (s3.get_bucket_location, {}, ("NoSuchBucket", 404)),
        (s3.create_bucket, {}, ("InvalidBucketName", 400)),
    ):
        with pytest.raises(ClientError) as exc:
            call(Bucket=unknown, **kwargs)
        assert error_of(exc) == want, call
    assert unknown not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_boto3_with_the_arn_through_the_endpoint_proxy(
    proxied: None, s3: BaseClient, point: Point
) -> None:
    client = boto3.Session().client("s3")
    client.put_object(Bucket=point.arn, Key="example.txt", Body="Hello S3!")
    got = client.get_object(Bucket=point.arn, Key="example.txt")
    assert got["Body"].read() == b"Hello S3!"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=point.arn)["Contents"]] == [
        "example.txt"
    ]
    assert keys(s3, point.east) == ["example.txt"]
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": point.arn, "Key": "example.txt"}
    )
    assert "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256" in url
    assert url.startswith(f"https://{point.alias}.accesspoint.s3-global.amazonaws.com/")
    # Operations that access points do not offer are refused on the global endpoint.
    with pytest.raises(ClientError) as exc:
        client.get_object_attributes(Bucket=point.arn, Key="example.txt", ObjectAttributes=["ETag"])
    assert error_of(exc) == ("MethodNotAllowed", 405)
    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=f"arn:aws:s3::{ACCOUNT}:accesspoint/zzzzzzzzzzzzz.mrap", Key="k")
    assert error_of(exc) == ("NoSuchBucket", 404)


def test_aws_cli_seed_examples(gateway: Gateway, tmp_path: Path, point: Point) -> None:
    body = tmp_path / "example.txt"
    body.write_text("Hello S3!")
    aws(gateway, tmp_path, "s3api", "put-object", "--bucket", point.arn, "--key",
        "example.txt", "--body", str(body))  # fmt: skip
    out = aws(gateway, tmp_path, "s3api", "list-objects-v2", "--bucket", point.arn)
    assert "example.txt" in out
    aws(gateway, tmp_path, "s3api", "get-object", "--bucket", point.arn, "--key",
        "example.txt", str(tmp_path / "downloaded_example.txt"))  # fmt: skip
    assert (tmp_path / "downloaded_example.txt").read_text() == "Hello S3!"
    url = aws(gateway, tmp_path, "s3", "presign", f"{point.arn}/example.txt").strip()
    env = mrap_env(gateway)
    context = ssl.create_default_context(cafile=env["AWS_CA_BUNDLE"])
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": env["HTTPS_PROXY"]}),
        urllib.request.HTTPSHandler(context=context),
    )
    with opener.open(url, timeout=30) as response:
        assert response.read() == b"Hello S3!"


def fetch(gateway: Gateway, url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """A plain HTTPS request (no AWS library) through the gateway as proxy: (status, body)."""
    env = mrap_env(gateway)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": env["HTTPS_PROXY"]}),
        urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=env["AWS_CA_BUNDLE"])
        ),
    )
    request = urllib.request.Request(url, data=data, method="PUT" if data is not None else "GET")
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_presigned_urls_work_with_a_plain_client_until_they_expire(
    proxied: None, gateway: Gateway, s3: BaseClient, point: Point
) -> None:
    client = boto3.Session().client("s3")
    params = {"Bucket": point.arn, "Key": "shared.txt"}
    put_url = client.generate_presigned_url("put_object", Params=params, ExpiresIn=600)
    assert fetch(gateway, put_url, b"uploaded by URL")[0] == 200
    assert s3.get_object(Bucket=point.east, Key="shared.txt")["Body"].read() == b"uploaded by URL"
    get_url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=600)
    assert fetch(gateway, get_url) == (200, b"uploaded by URL")
    short = client.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    time.sleep(2.1)  # the URL's lifetime, not a timing assertion on the server
    status, answer = fetch(gateway, short)
    assert status == 403 and b"Request has expired" in answer


def test_failover_through_the_arn(proxied: None, s3: BaseClient, point: Point) -> None:
    client = boto3.Session().client("s3")
    client.put_object(Bucket=point.arn, Key="written-east", Body=b"1")
    point.dials(**{point.east: 0, point.west: 100})
    client.put_object(Bucket=point.arn, Key="written-west", Body=b"2")
    assert keys(s3, point.east) == ["written-east"]
    assert keys(s3, point.west) == ["written-west"]
