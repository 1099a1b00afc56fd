"""Requester Pays on ordinary buckets: the configuration, its enforcement and `mrap usage`.

A second account (made with `mrap account create`) is granted GetObject, PutObject and
ListBucket by the owner's bucket policy; once the bucket is Requester Pays it must agree to
pay on every request, and what it is charged shows in `mrap usage`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from awschunked import SIGNED, Chain, encode, seed
from awschunked import send as send_chunked
from botocore import UNSIGNED
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import Gateway, make_gateway
from rawhttp import host_of, presign, request, send

PAYER_XML = (
    '<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Payer>{}</Payer></RequestPaymentConfiguration>"
)


@dataclass(frozen=True)
class Account:
    """An account made by `mrap account create`: its id and root keys."""

    id: str
    access_key_id: str
    secret: str


def mrap(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m mrap ARGS --data-dir DATA_DIR` with no MRAP_/AWS_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MRAP_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "mrap", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def new_account(gateway: Gateway) -> Account:
    done = mrap(gateway.data_dir, "account", "create")
    assert done.returncode == 0, done.stderr
    found = re.search(
        r"account:\s+(\d{12})\n.*?access key:\s+(\S+)\nsecret key:\s+(\S+)\n",
        done.stdout,
        re.DOTALL,
    )
    assert found, done.stdout
    return Account(found.group(1), found.group(2), found.group(3))


def client_of(gateway: Gateway, account: Account, **config: Any) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def charged_header(response: Any) -> str | None:
    value: str | None = response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-charged")
    return value


def grant(s3: BaseClient, bucket: str, account: Account) -> None:
    """A bucket policy giving `account` GetObject, PutObject and ListBucket."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account.id}:root"},
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def requester_pays(s3: BaseClient, bucket: str) -> None:
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})


def payer(s3: BaseClient, bucket: str) -> str:
    return str(s3.get_bucket_request_payment(Bucket=bucket)["Payer"])


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> Account:
    """A second account, shared by this module's tests."""
    return new_account(gateway)


@pytest.fixture
def shared(s3: BaseClient, bucket: str, other: Account) -> str:
    """A Requester Pays bucket holding `data` (5 bytes), granted to the other account."""
    s3.put_object(Bucket=bucket, Key="data", Body=b"hello")
    grant(s3, bucket, other)
    requester_pays(s3, bucket)
    return bucket


# the configuration


def test_buckets_start_with_the_owner_paying_and_the_owner_can_switch(
    s3: BaseClient, bucket: str
) -> None:
    assert payer(s3, bucket) == "BucketOwner"
    requester_pays(s3, bucket)
    assert payer(s3, bucket) == "Requester"
    s3.put_bucket_request_payment(
        Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"}
    )
    assert payer(s3, bucket) == "BucketOwner"


def test_get_bucket_request_payment_document(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    requester_pays(s3, bucket)
    reply = request(gateway, "GET", f"/{bucket}?requestPayment")
    assert reply.status == 200
    assert reply.body.endswith(
        b'<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Payer>Requester</Payer></RequestPaymentConfiguration>"
    )


@pytest.mark.parametrize(
    "body",
    [
        PAYER_XML.format("Nobody"),
        PAYER_XML.format("requester"),
        PAYER_XML.format(""),
        "<RequestPaymentConfiguration></RequestPaymentConfiguration>",
        "<RequestPaymentConfiguration><Payer>Requester</Payer><Payer>BucketOwner</Payer>"
        "</RequestPaymentConfiguration>",
        "<RequestPaymentConfiguration><Payer>Requester</Payer><Extra/>"
        "</RequestPaymentConfiguration>",
        "<PaymentConfiguration><Payer>BucketOwner</Payer></PaymentConfiguration>",
        "<RequestPaymentConfiguration><Payer>BucketOwner</Payer>",
    ],
)
def test_malformed_configuration_is_refused_and_changes_nothing(
    gateway: Gateway, s3: BaseClient, bucket: str, body: str
) -> None:
    requester_pays(s3, bucket)
    reply = request(gateway, "PUT", f"/{bucket}?requestPayment", body=body.encode())
    assert (reply.status, reply.code) == (400, "MalformedXML")
    assert payer(s3, bucket) == "Requester"


def test_empty_configuration_is_missing_body(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}?requestPayment")
    assert (reply.status, reply.code) == (400, "MissingRequestBodyError")
    assert payer(s3, bucket) == "BucketOwner"


def test_boto3_sends_an_unknown_payer_and_gets_malformed_xml(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_request_payment(
            Bucket=bucket, RequestPaymentConfiguration={"Payer": "Everyone"}
        )
    assert error_of(exc) == ("MalformedXML", 400)
    assert payer(s3, bucket) == "BucketOwner"


def test_only_the_owner_account_reads_or_sets_the_configuration(
    gateway: Gateway, s3: BaseClient, bucket: str, other: Account
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{other.id}:root"},
                "Action": ["s3:GetBucketRequestPayment", "s3:PutBucketRequestPayment"],
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    stranger = client_of(gateway, other)
    with pytest.raises(ClientError) as exc:
        stranger.put_bucket_request_payment(
            Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"}
        )
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        stranger.get_bucket_request_payment(Bucket=bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    assert payer(s3, bucket) == "BucketOwner"


def test_a_bucket_policy_deny_binds_the_owner(s3: BaseClient, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutBucketRequestPayment",
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(ClientError) as exc:
        requester_pays(s3, bucket)
    assert error_of(exc) == ("AccessDenied", 403)
    assert payer(s3, bucket) == "BucketOwner"


# enforcement


def test_another_account_must_agree_to_pay(gateway: Gateway, shared: str, other: Account) -> None:
    stranger = client_of(gateway, other)
    with pytest.raises(ClientError) as exc:
        stranger.get_object(Bucket=shared, Key="data")
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        stranger.list_objects_v2(Bucket=shared)
    assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        stranger.put_object(Bucket=shared, Key="mine", Body=b"x")
    assert error_of(exc) == ("AccessDenied", 403)

    got = stranger.get_object(Bucket=shared, Key="data", RequestPayer="requester")
    assert got["Body"].read() == b"hello"
    assert got["RequestCharged"] == "requester"
    head = stranger.head_object(Bucket=shared, Key="data", RequestPayer="requester")
    assert head["RequestCharged"] == "requester"
    listed = stranger.list_objects_v2(Bucket=shared, RequestPayer="requester")
    assert [o["Key"] for o in listed["Contents"]] == ["data"]
    assert listed["RequestCharged"] == "requester"
    put = stranger.put_object(Bucket=shared, Key="mine", Body=b"x", RequestPayer="requester")
    assert put["RequestCharged"] == "requester"


def test_the_agreement_is_case_insensitive(gateway: Gateway, shared: str, other: Account) -> None:
    reply = request(
        gateway,
        "GET",
        f"/{shared}/data",
        headers={"x-amz-request-payer": "REQUESTER"},
        access_key=other.access_key_id,
        secret=other.secret,
    )
    assert reply.status == 200
    assert reply.body == b"hello"
    assert reply.headers["x-amz-request-charged"] == "requester"
    reply = request(
        gateway,
        "GET",
        f"/{shared}/data",
        headers={"x-amz-request-payer": "bucketowner"},
        access_key=other.access_key_id,
        secret=other.secret,
    )
    assert (reply.status, reply.code) == (403, "AccessDenied")
    assert "x-amz-request-charged" not in reply.headers


def test_the_owner_is_never_charged(s3: BaseClient, shared: str) -> None:
    got = s3.get_object(Bucket=shared, Key="data")
    assert got["Body"].read() == b"hello"
    assert "RequestCharged" not in got
    assert charged_header(got) is None
    agreed = s3.get_object(Bucket=shared, Key="data", RequestPayer="requester")
    assert "RequestCharged" not in agreed
    listed = s3.list_objects_v2(Bucket=shared)
    assert charged_header(listed) is None


def test_agreeing_to_pay_is_no_permission(
    gateway: Gateway, s3: BaseClient, bucket: str, other: Account
) -> None:
    s3.put_object(Bucket=bucket, Key="data", Body=b"hello")
    requester_pays(s3, bucket)  # no policy: the other account has no grant
    stranger = client_of(gateway, other)
    with pytest.raises(ClientError) as exc:
        stranger.get_object(Bucket=bucket, Key="data", RequestPayer="requester")
    assert error_of(exc) == ("AccessDenied", 403)


def test_buckets_where_the_owner_pays_need_no_agreement(
    gateway: Gateway, s3: BaseClient, bucket: str, other: Account
) -> None:
    s3.put_object(Bucket=bucket, Key="data", Body=b"hello")
    grant(s3, bucket, other)
    got = client_of(gateway, other).get_object(Bucket=bucket, Key="data")
    assert got["Body"].read() == b"hello"
    assert charged_header(got) is None


def test_anonymous_callers_cannot_pay(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="data", Body=b"hello")
    s3.delete_public_access_block(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    anonymous = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    assert anonymous.get_object(Bucket=bucket, Key="data")["Body"].read() == b"hello"
    requester_pays(s3, bucket)
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=bucket, Key="data", RequestPayer="requester")
    assert error_of(exc) == ("AccessDenied", 403)


def _fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_boto3_presigned_urls_sign_the_agreement_as_a_header(
    gateway: Gateway, shared: str, other: Account
) -> None:
    stranger = client_of(gateway, other, signature_version="s3v4")
    url = stranger.generate_presigned_url(
        "get_object", Params={"Bucket": shared, "Key": "data", "RequestPayer": "requester"}
    )
    assert "X-Amz-SignedHeaders=host%3Bx-amz-request-payer" in url
    status, headers, body = _fetch(url, {"x-amz-request-payer": "requester"})
    assert (status, body) == (200, b"hello")
    assert headers["x-amz-request-charged"] == "requester"
    plain = stranger.generate_presigned_url("get_object", Params={"Bucket": shared, "Key": "data"})
    status, headers, body = _fetch(plain, {})
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert "x-amz-request-charged" not in headers


def test_presigned_urls_may_carry_the_agreement_in_the_query(
    gateway: Gateway, shared: str, other: Account
) -> None:
    agreed = presign(
        "GET",
        host_of(gateway),
        f"/{shared}/data?x-amz-request-payer=requester",
        300,
        access_key=other.access_key_id,
        secret=other.secret,
    )
    reply = send(gateway, "GET", agreed, {"Host": host_of(gateway)})
    assert (reply.status, reply.body) == (200, b"hello")
    assert reply.headers["x-amz-request-charged"] == "requester"
    plain = presign(
        "GET",
        host_of(gateway),
        f"/{shared}/data",
        300,
        access_key=other.access_key_id,
        secret=other.secret,
    )
    reply = send(gateway, "GET", plain, {"Host": host_of(gateway)})
    assert (reply.status, reply.code) == (403, "AccessDenied")


def test_aws_chunked_uploads_are_charged(
    gateway: Gateway, s3: BaseClient, shared: str, other: Account
) -> None:
    chunks = [b"a" * 8192, b"b" * 100]
    target = f"/{shared}/chunked"
    for agreement, status in (({}, 403), ({"x-amz-request-payer": "requester"}, 200)):
        headers = {
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(8292),
            "Content-Length": str(len(encode(chunks, Chain(b"", "", "", "")))),
            **agreement,
        }
        signed, chain = seed(
            "PUT",
            host_of(gateway),
            target,
            SIGNED,
            headers,
            access_key=other.access_key_id,
            secret=other.secret,
        )
        reply = send_chunked(gateway, "PUT", target, signed, encode(chunks, chain))
        assert reply.status == status, reply.body
        assert reply.headers.get("x-amz-request-charged") == ("requester" if agreement else None)
    assert s3.get_object(Bucket=shared, Key="chunked")["Body"].read() == b"".join(chunks)


@pytest.fixture
def aws_as(tmp_path: Path, gateway: Gateway) -> Iterator[Any]:
    """Run the aws CLI against the gateway with an account's keys."""
    config = tmp_path / "aws-config"
    config.write_text("")

    def run(account: Account, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=account.access_key_id,
            AWS_SECRET_ACCESS_KEY=account.secret,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(config),
            AWS_SHARED_CREDENTIALS_FILE=str(config),
        )
        return subprocess.run(
            [str(Path(sys.executable).parent / "aws"), "--endpoint-url", gateway.endpoint, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    yield run


def test_aws_cli_get_object_with_request_payer(
    aws_as: Any, tmp_path: Path, shared: str, other: Account
) -> None:
    refused = aws_as(other, "s3api", "get-object", "--bucket", shared, "--key", "data", "out")
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr
    done = aws_as(
        other,
        "s3api",
        "get-object",
        "--bucket",
        shared,
        "--key",
        "data",
        "--request-payer",
        "requester",
        "out",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["RequestCharged"] == "requester"
    assert (tmp_path / "out").read_bytes() == b"hello"


# usage accounting


def usage_rows(data_dir: Path, *args: str) -> list[list[str]]:
    done = mrap(data_dir, "usage", *args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["ACCOUNT", "BUCKET", "REQUESTS", "BYTES_IN", "BYTES_OUT"]
    return [line.split() for line in lines[1:]]


def test_usage_counts_each_requesters_requests_and_bytes(tmp_path: Path) -> None:
    """Two worker processes add into the same rows; a clean stop flushes what is left."""
    gw = make_gateway(tmp_path, "--workers", "2", "--quiet")
    gw.start()
    try:
        owner = gw.client()
        first, second = new_account(gw), new_account(gw)
        name = "rp-" + secrets.token_hex(5)
        owner.create_bucket(Bucket=name)
        owner.put_object(Bucket=name, Key="data", Body=b"0123456789")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a.id}:root" for a in (first, second)]},
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        }
        owner.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        requester_pays(owner, name)
        one, two = client_of(gw, first), client_of(gw, second)
        for _ in range(6):
            one.get_object(Bucket=name, Key="data", RequestPayer="requester")["Body"].read()
        one.put_object(Bucket=name, Key="up", Body=b"x" * 300, RequestPayer="requester")
        one.head_object(Bucket=name, Key="data", RequestPayer="requester")
        with pytest.raises(ClientError):  # refused without the agreement: not charged
            one.get_object(Bucket=name, Key="data")
        two.get_object(Bucket=name, Key="data", RequestPayer="requester")["Body"].read()
        owner.get_object(Bucket=name, Key="data")["Body"].read()  # the owner pays nothing
    finally:
        assert gw.stop() == 0

    # 6 GETs of 10 bytes, a PUT of 300 bytes, a HEAD (no body)
    assert usage_rows(gw.data_dir, "--account", first.id) == [[first.id, name, "8", "300", "60"]]
    assert usage_rows(gw.data_dir) == sorted(
        [[first.id, name, "8", "300", "60"], [second.id, name, "1", "0", "10"]]
    )
    assert usage_rows(gw.data_dir, "--account", "111122223333") == []


def test_usage_is_flushed_while_the_gateway_runs(
    gateway: Gateway, shared: str, other: Account
) -> None:
    stranger = client_of(gateway, other)
    stranger.get_object(Bucket=shared, Key="data", RequestPayer="requester")["Body"].read()
    # The flushing thread writes about once a second: poll for the row, do not sleep blindly.
    for _ in range(200):
        rows = [r for r in usage_rows(gateway.data_dir, "--account", other.id) if r[1] == shared]
        if rows:
            break
    assert rows == [[other.id, shared, "1", "0", "5"]]


def test_usage_refuses_a_malformed_account(gateway: Gateway) -> None:
    done = mrap(gateway.data_dir, "usage", "--account", "12ab")
    assert done.returncode == 2
    assert "12 digits" in done.stderr
