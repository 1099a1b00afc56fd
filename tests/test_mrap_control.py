"""Multi-Region Access Points, control plane: the ten S3 Control operations through boto3.

botocore puts the account id in front of the endpoint host (`111122223333.localhost:PORT`),
which nothing resolves: the clients reach the gateway as their HTTP proxy (absolute-form
targets), as AWS-NOTES §1.4 describes. Management operations are signed for us-west-2, route
operations for one of the five failover-control regions, as AWS requires.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway, make_gateway
from rawhttp import Reply, send, sign

ACCOUNT = "111122223333"
ALIAS = re.compile(r"[a-z][a-z0-9]*\.mrap")
TOKEN_ARN = re.compile(
    rf"arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/(create|delete|put-policy)/\S+"
)
TERMINAL = ("SUCCEEDED", "FAILED")


@dataclass
class Keys:
    account: str
    access_key_id: str
    secret: str


ROOT = Keys(ACCOUNT, ACCESS_KEY, SECRET_KEY)


def control(gateway: Gateway, region: str = "us-west-2", keys: Keys = ROOT) -> BaseClient:
    """A boto3 s3control client that reaches the gateway through it as HTTP proxy."""
    return boto3.client(
        "s3control",
        endpoint_url=f"http://localhost:{gateway.port}",
        region_name=region,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret,
        config=Config(proxies={"http": gateway.endpoint}, retries={"max_attempts": 1}),
    )


def s3_client(gateway: Gateway, keys: Keys = ROOT) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret,
        config=Config(retries={"max_attempts": 1}),
    )


def new_account(gateway: Gateway) -> Keys:
    """A fresh account made with `mrap account create` in the gateway's data directory."""
    done = subprocess.run(
        [sys.executable, "-m", "mrap", "account", "create", "--data-dir", str(gateway.data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = re.search(r"account:\s+(\d+)\n.*?access key:\s+(\S+)\nsecret key:\s+(\S+)\n",
                      done.stdout, re.DOTALL)  # fmt: skip
    assert found, done.stdout
    return Keys(found.group(1), found.group(2), found.group(3))


def make_bucket(s3: BaseClient, region: str) -> str:
    name = f"mrap-{region}-{secrets.token_hex(4)}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def unique_name() -> str:
    return "mrap-" + secrets.token_hex(5)


def error_of(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return error_of(caught.value)


def describe(ctl: BaseClient, token: str, account: str = ACCOUNT) -> dict[str, Any]:
    op: dict[str, Any] = ctl.describe_multi_region_access_point_operation(
        AccountId=account, RequestTokenARN=token
    )["AsyncOperation"]
    return op


def wait(ctl: BaseClient, token: str, account: str = ACCOUNT) -> dict[str, Any]:
    """Describe the operation until it reaches SUCCEEDED or FAILED."""
    deadline = time.monotonic() + 30
    while True:
        op = describe(ctl, token, account)
        if op["RequestStatus"] in TERMINAL or time.monotonic() > deadline:
            return op
        time.sleep(0.05)


def create(
    ctl: BaseClient,
    buckets: list[str],
    name: str | None = None,
    account: str = ACCOUNT,
    **extra: Any,
) -> tuple[str, str]:
    """Create an access point and wait for it: (name, token ARN)."""
    name = name or unique_name()
    details = {"Name": name, "Regions": [{"Bucket": b} for b in buckets], **extra}
    token = ctl.create_multi_region_access_point(AccountId=account, Details=details)[
        "RequestTokenARN"
    ]
    assert wait(ctl, token, account)["RequestStatus"] == "SUCCEEDED"
    return name, token


def names(ctl: BaseClient, account: str = ACCOUNT) -> list[str]:
    points = ctl.list_multi_region_access_points(AccountId=account)["AccessPoints"]
    return [p["Name"] for p in points]


def routes_of(ctl: BaseClient, arn: str, account: str = ACCOUNT) -> dict[str, int]:
    routes = ctl.get_multi_region_access_point_routes(AccountId=account, Mrap=arn)["Routes"]
    return {r["Bucket"]: r["TrafficDialPercentage"] for r in routes}


def raw(
    gateway: Gateway,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    account: str = ACCOUNT,
    region: str = "us-west-2",
    keys: Keys = ROOT,
) -> Reply:
    """A signed S3 Control request written exactly as given (for bodies boto3 cannot send)."""
    host = f"{account}.localhost:{gateway.port}"
    headers = sign(
        method,
        host,
        path,
        body=body,
        headers={"x-amz-account-id": account},
        region=region,
        access_key=keys.access_key_id,
        secret=keys.secret,
    )
    return send(gateway, method, f"http://{host}{path}", headers, body)


@pytest.fixture
def ctl(gateway: Gateway) -> BaseClient:
    return control(gateway)


@pytest.fixture
def west_and_east(s3: BaseClient) -> list[str]:
    return [make_bucket(s3, "us-east-1"), make_bucket(s3, "us-west-2")]


# Create, Describe, Get, List, routes: the seed sequence


def test_create_describe_get_routes_submit(
    gateway: Gateway, ctl: BaseClient, west_and_east: list[str]
) -> None:
    east, west = west_and_east
    name = unique_name()
    token = ctl.create_multi_region_access_point(
        AccountId=ACCOUNT,
        Details={"Name": name, "Regions": [{"Bucket": east}, {"Bucket": west}]},
    )["RequestTokenARN"]
    assert TOKEN_ARN.fullmatch(token) and "/create/" in token
    op = wait(ctl, token)
    assert op["RequestStatus"] == "SUCCEEDED"
    assert op["Operation"] == "CreateMultiRegionAccessPoint"
    assert op["RequestTokenARN"] == token
    params = op["RequestParameters"]["CreateMultiRegionAccessPointRequest"]
    assert params["Name"] == name
    assert [r["Bucket"] for r in params["Regions"]] == [east, west]
    assert all(params["PublicAccessBlock"].values())
    regions = op["ResponseDetails"]["MultiRegionAccessPointDetails"]["Regions"]
    assert {r["Name"]: r["RequestStatus"] for r in regions} == {
        "us-east-1": "COMPLETED",
        "us-west-2": "COMPLETED",
    }

    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert point["Status"] == "READY"
    assert ALIAS.fullmatch(point["Alias"]) and name not in point["Alias"]
    assert point["PublicAccessBlock"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert {(r["Bucket"], r["Region"], r["BucketAccountId"]) for r in point["Regions"]} == {
        (east, "us-east-1", ACCOUNT),
        (west, "us-west-2", ACCOUNT),
    }
    assert name in names(ctl)

    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{point['Alias']}"
    failover = control(gateway, "ap-southeast-2")
    got = failover.get_multi_region_access_point_routes(AccountId=ACCOUNT, Mrap=arn)
    assert got["Mrap"] == arn
    assert {(r["Bucket"], r["Region"], r["TrafficDialPercentage"]) for r in got["Routes"]} == {
        (east, "us-east-1", 100),
        (west, "us-west-2", 100),
    }
    failover.submit_multi_region_access_point_routes(
        AccountId=ACCOUNT, Mrap=arn, RouteUpdates=[{"Bucket": west, "TrafficDialPercentage": 0}]
    )
    assert routes_of(failover, arn) == {east: 100, west: 0}
    # By region, by bucket and region together; regions left out keep their dial.
    failover.submit_multi_region_access_point_routes(
        AccountId=ACCOUNT,
        Mrap=arn,
        RouteUpdates=[{"Region": "us-west-2", "TrafficDialPercentage": 100}],
    )
    failover.submit_multi_region_access_point_routes(
        AccountId=ACCOUNT,
        Mrap=arn,
        RouteUpdates=[{"Bucket": east, "Region": "us-east-1", "TrafficDialPercentage": 0}],
    )
    assert routes_of(failover, arn) == {east: 0, west: 100}


def test_public_access_block_as_given_and_one_region(ctl: BaseClient, s3: BaseClient) -> None:
    bucket = make_bucket(s3, "eu-west-1")
    off = {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    name, _ = create(ctl, [bucket], PublicAccessBlock=off)
    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert point["PublicAccessBlock"] == off
    assert [(r["Bucket"], r["Region"]) for r in point["Regions"]] == [(bucket, "eu-west-1")]


def test_delete_removes_the_access_point_and_aliases_are_never_reused(
    ctl: BaseClient, s3: BaseClient, west_and_east: list[str]
) -> None:
    name, _ = create(ctl, west_and_east)
    first = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    token = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
        "RequestTokenARN"
    ]
    assert "/delete/" in token
    op = wait(ctl, token)
    assert op["RequestStatus"] == "SUCCEEDED"
    assert op["RequestParameters"] == {"DeleteMultiRegionAccessPointRequest": {"Name": name}}
    with pytest.raises(ClientError) as caught:
        ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)
    assert error(caught) == ("NoSuchMultiRegionAccessPoint", 404)
    assert name not in names(ctl)
    # Buckets and their data are untouched; the same name gets a fresh alias.
    assert s3.head_bucket(Bucket=west_and_east[0])["ResponseMetadata"]["HTTPStatusCode"] == 200
    create(ctl, west_and_east, name=name)
    second = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert second["Alias"] != first["Alias"]


def test_bucket_in_an_access_point_cannot_be_deleted(ctl: BaseClient, s3: BaseClient) -> None:
    bucket = make_bucket(s3, "us-east-1")
    name, _ = create(ctl, [bucket])
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket=bucket)
    assert error(caught) == ("BucketHasAccessPointsAttached", 400)
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    token = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
        "RequestTokenARN"
    ]
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    s3.delete_bucket(Bucket=bucket)


def test_client_token_makes_retries_idempotent(ctl: BaseClient, west_and_east: list[str]) -> None:
    name = unique_name()
    details = {"Name": name, "Regions": [{"Bucket": b} for b in west_and_east]}
    client_token = secrets.token_hex(8)
    first = ctl.create_multi_region_access_point(
        AccountId=ACCOUNT, ClientToken=client_token, Details=details
    )["RequestTokenARN"]
    wait(ctl, first)
    again = ctl.create_multi_region_access_point(
        AccountId=ACCOUNT, ClientToken=client_token, Details=details
    )["RequestTokenARN"]
    assert again == first
    assert names(ctl).count(name) == 1
    with pytest.raises(ClientError) as caught:
        ctl.create_multi_region_access_point(
            AccountId=ACCOUNT,
            ClientToken=client_token,
            Details={**details, "Name": unique_name()},
        )
    assert error(caught) == ("ClientTokenConflict", 409)
    # Without a retry token the same name is taken.
    with pytest.raises(ClientError) as caught:
        ctl.create_multi_region_access_point(AccountId=ACCOUNT, Details=details)
    assert error(caught) == ("InvalidRequest", 400)


def test_list_is_paginated(gateway: Gateway) -> None:
    keys = new_account(gateway)
    ctl = control(gateway, keys=keys)
    bucket = make_bucket(s3_client(gateway, keys), "us-east-1")
    made = sorted(create(ctl, [bucket], account=keys.account)[0] for _ in range(3))
    assert names(ctl, keys.account) == made
    page = ctl.list_multi_region_access_points(AccountId=keys.account, MaxResults=2)
    assert [p["Name"] for p in page["AccessPoints"]] == made[:2]
    rest = ctl.list_multi_region_access_points(
        AccountId=keys.account, MaxResults=2, NextToken=page["NextToken"]
    )
    assert [p["Name"] for p in rest["AccessPoints"]] == made[2:]
    assert "NextToken" not in rest


def test_at_most_one_hundred_per_account(gateway: Gateway) -> None:
    keys = new_account(gateway)
    ctl = control(gateway, keys=keys)
    bucket = make_bucket(s3_client(gateway, keys), "us-west-2")
    tokens = [
        ctl.create_multi_region_access_point(
            AccountId=keys.account,
            Details={"Name": f"point-{n:03d}", "Regions": [{"Bucket": bucket}]},
        )["RequestTokenARN"]
        for n in range(100)
    ]
    with pytest.raises(ClientError) as caught:
        ctl.create_multi_region_access_point(
            AccountId=keys.account, Details={"Name": "point-100", "Regions": [{"Bucket": bucket}]}
        )
    assert error(caught) == ("InvalidRequest", 400)
    assert wait(ctl, tokens[-1], keys.account)["RequestStatus"] == "SUCCEEDED"
    assert len(names(ctl, keys.account)) == 100


# policies


def mrap_policy(alias: str, principal: str = f"arn:aws:iam::{ACCOUNT}:root") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": ["s3:ListBucket", "s3:GetObject"],
                "Resource": [
                    f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}",
                    f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}/object/*",
                ],
            },
        }
    )


def test_policy_is_proposed_then_established(ctl: BaseClient, west_and_east: list[str]) -> None:
    name, _ = create(ctl, west_and_east)
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    assert ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"] == {}
    status = ctl.get_multi_region_access_point_policy_status(AccountId=ACCOUNT, Name=name)
    assert status["Established"] == {"IsPublic": False}
    text = mrap_policy(alias)
    token = ctl.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": name, "Policy": text}
    )["RequestTokenARN"]
    assert "/put-policy/" in token
    op = wait(ctl, token)
    assert op["RequestStatus"] == "SUCCEEDED"
    assert op["RequestParameters"]["PutMultiRegionAccessPointPolicyRequest"] == {
        "Name": name,
        "Policy": text,
    }
    policy = ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"]
    assert policy == {"Established": {"Policy": text}, "Proposed": {"Policy": text}}
    status = ctl.get_multi_region_access_point_policy_status(AccountId=ACCOUNT, Name=name)
    assert status["Established"] == {"IsPublic": False}


def test_public_policy(ctl: BaseClient, s3: BaseClient) -> None:
    bucket = make_bucket(s3, "us-east-1")
    blocked, _ = create(ctl, [bucket])
    open_flags = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
        False,
    )
    unblocked, _ = create(ctl, [bucket], PublicAccessBlock=open_flags)
    public = mrap_policy("x.mrap", principal="*")
    with pytest.raises(ClientError) as caught:
        ctl.put_multi_region_access_point_policy(
            AccountId=ACCOUNT, Details={"Name": blocked, "Policy": public}
        )
    assert error(caught) == ("AccessDenied", 403)
    assert ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=blocked)["Policy"] == {}
    token = ctl.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": unblocked, "Policy": public}
    )["RequestTokenARN"]
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    status = ctl.get_multi_region_access_point_policy_status(AccountId=ACCOUNT, Name=unblocked)
    assert status["Established"] == {"IsPublic": True}


def test_malformed_policy_is_refused(ctl: BaseClient, west_and_east: list[str]) -> None:
    name, _ = create(ctl, west_and_east)
    for bad in ("not json", '{"Version": "2012-10-17"}'):
        with pytest.raises(ClientError) as caught:
            ctl.put_multi_region_access_point_policy(
                AccountId=ACCOUNT, Details={"Name": name, "Policy": bad}
            )
        assert error(caught) == ("MalformedPolicy", 400)
    assert ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"] == {}


def test_unknown_names_and_tokens(ctl: BaseClient) -> None:
    calls: list[Callable[[], object]] = [
        lambda: ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name="no-such-point"),
        lambda: ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name="no-such-point"),
        lambda: ctl.get_multi_region_access_point_policy_status(
            AccountId=ACCOUNT, Name="no-such-point"
        ),
        lambda: ctl.delete_multi_region_access_point(
            AccountId=ACCOUNT, Details={"Name": "no-such-point"}
        ),
        lambda: ctl.put_multi_region_access_point_policy(
            AccountId=ACCOUNT, Details={"Name": "no-such-point", "Policy": mrap_policy("a.mrap")}
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        assert error(caught) == ("NoSuchMultiRegionAccessPoint", 404)
    missing = f"arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/create/{'0' * 32}"
    with pytest.raises(ClientError) as caught:
        describe(ctl, missing)
    assert error(caught) == ("NoSuchAsyncRequest", 404)


# routes


def test_route_updates_are_checked(
    gateway: Gateway, ctl: BaseClient, west_and_east: list[str]
) -> None:
    east, west = west_and_east
    name, _ = create(ctl, west_and_east)
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    failover = control(gateway, "us-east-1")
    bad_updates = [
        [{"Bucket": east, "TrafficDialPercentage": 50}],
        [{"Bucket": east, "TrafficDialPercentage": 101}],
        [
            {"Bucket": east, "TrafficDialPercentage": 0},
            {"Bucket": west, "TrafficDialPercentage": 0},
        ],
        [{"Bucket": east, "Region": "us-west-2", "TrafficDialPercentage": 0}],
        [{"Bucket": "not-in-this-mrap", "TrafficDialPercentage": 0}],
        [{"Region": "eu-west-1", "TrafficDialPercentage": 0}],
        [{"TrafficDialPercentage": 0}],
    ]
    for updates in bad_updates:
        with pytest.raises(ClientError) as caught:
            failover.submit_multi_region_access_point_routes(
                AccountId=ACCOUNT, Mrap=arn, RouteUpdates=updates
            )
        assert error(caught) == ("InvalidRequest", 400), updates
    path = f"/v20180820/mrap/instances/{arn.replace(':', '%3A')}/routes"
    body = (
        '<SubmitMultiRegionAccessPointRoutesRequest xmlns="http://awss3control.amazonaws.com/'
        f'doc/2018-08-20/"><RouteUpdates><Route><Bucket>{east}</Bucket>'
        "<TrafficDialPercentage>-1</TrafficDialPercentage></Route></RouteUpdates>"
        "</SubmitMultiRegionAccessPointRoutesRequest>"
    ).encode()
    reply = raw(gateway, "PATCH", path, body, region="us-east-1")
    assert (reply.status, reply.code) == (400, "InvalidRequest")
    assert routes_of(failover, arn) == {east: 100, west: 100}
    with pytest.raises(ClientError) as caught:
        failover.get_multi_region_access_point_routes(
            AccountId=ACCOUNT, Mrap=f"arn:aws:s3::{ACCOUNT}:accesspoint/zzzzzzzzzzzzz.mrap"
        )
    assert error(caught) == ("NoSuchMultiRegionAccessPoint", 404)
    with pytest.raises(ClientError) as caught:
        failover.get_multi_region_access_point_routes(AccountId=ACCOUNT, Mrap=name)
    assert error(caught) == ("InvalidRequest", 400)


# region rules


def test_management_operations_only_in_us_west_2(
    gateway: Gateway, west_and_east: list[str]
) -> None:
    east_client = control(gateway, "us-east-1")
    name = unique_name()
    with pytest.raises(ClientError) as caught:
        east_client.create_multi_region_access_point(
            AccountId=ACCOUNT, Details={"Name": name, "Regions": [{"Bucket": west_and_east[0]}]}
        )
    assert error(caught) == ("PermanentRedirect", 301)
    assert "us-west-2" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        east_client.list_multi_region_access_points(AccountId=ACCOUNT)
    assert error(caught) == ("PermanentRedirect", 301)
    assert name not in names(control(gateway))


def test_route_operations_only_in_the_five_failover_regions(
    gateway: Gateway, ctl: BaseClient, west_and_east: list[str]
) -> None:
    name, _ = create(ctl, west_and_east)
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    for region in ("us-east-1", "us-west-2", "ap-southeast-2", "ap-northeast-1", "eu-west-1"):
        assert len(routes_of(control(gateway, region), arn)) == 2
    with pytest.raises(ClientError) as caught:
        control(gateway, "eu-central-1").submit_multi_region_access_point_routes(
            AccountId=ACCOUNT,
            Mrap=arn,
            RouteUpdates=[{"Bucket": west_and_east[0], "TrafficDialPercentage": 0}],
        )
    assert error(caught) == ("PermanentRedirect", 301)
    assert set(routes_of(ctl, arn).values()) == {100}


def test_a_setting_relaxes_the_region_rules(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, MRAP_CONTROL_REGION_RULES="0", MRAP_PROPAGATION_DELAY="0")
    gw.start()
    try:
        bucket = make_bucket(gw.client(), "us-east-1")
        east_client = control(gw, "us-east-1")
        name, _ = create(east_client, [bucket])
        assert names(east_client) == [name]
    finally:
        gw.stop()


# who may call


def test_account_header_must_be_the_callers(
    gateway: Gateway, ctl: BaseClient, west_and_east: list[str]
) -> None:
    other = new_account(gateway)
    other_ctl = control(gateway, keys=other)
    with pytest.raises(ClientError) as caught:
        other_ctl.list_multi_region_access_points(AccountId=ACCOUNT)
    assert error(caught) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as caught:
        other_ctl.create_multi_region_access_point(
            AccountId=ACCOUNT,
            Details={"Name": unique_name(), "Regions": [{"Bucket": west_and_east[0]}]},
        )
    assert error(caught) == ("AccessDenied", 403)
    # Another account's request token and access point ARN, named with the caller's account.
    name, token = create(ctl, west_and_east)
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    with pytest.raises(ClientError) as caught:
        describe(other_ctl, token, other.account)
    assert error(caught) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as caught:
        other_ctl.submit_multi_region_access_point_routes(
            AccountId=other.account,
            Mrap=f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}",
            RouteUpdates=[{"Bucket": west_and_east[0], "TrafficDialPercentage": 0}],
        )
    assert error(caught) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as caught:
        other_ctl.get_multi_region_access_point(AccountId=other.account, Name=name)
    assert error(caught) == ("NoSuchMultiRegionAccessPoint", 404)
    assert set(routes_of(ctl, f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}").values()) == {100}


def _user(gateway: Gateway, actions: list[str]) -> Keys:
    iam = gateway.client("iam")
    user = "mrap-" + secrets.token_hex(4)
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Keys(ACCOUNT, key["AccessKeyId"], key["SecretAccessKey"])


def test_iam_users_need_the_action_and_list_all_my_buckets(gateway: Gateway) -> None:
    without_list = control(gateway, keys=_user(gateway, ["s3:ListMultiRegionAccessPoints"]))
    with pytest.raises(ClientError) as caught:
        without_list.list_multi_region_access_points(AccountId=ACCOUNT)
    assert error(caught) == ("AccessDenied", 403)
    other_action = control(gateway, keys=_user(gateway, ["s3:ListAllMyBuckets"]))
    with pytest.raises(ClientError) as caught:
        other_action.list_multi_region_access_points(AccountId=ACCOUNT)
    assert error(caught) == ("AccessDenied", 403)
    allowed = control(
        gateway, keys=_user(gateway, ["s3:ListMultiRegionAccessPoints", "s3:ListAllMyBuckets"])
    )
    assert allowed.list_multi_region_access_points(AccountId=ACCOUNT)["AccessPoints"] is not None


# cross-account buckets


def test_buckets_of_another_account_need_its_permission(
    gateway: Gateway, ctl: BaseClient, s3: BaseClient
) -> None:
    owner = new_account(gateway)
    owner_s3 = s3_client(gateway, owner)
    foreign = make_bucket(owner_s3, "eu-west-1")
    mine = make_bucket(s3, "us-east-1")
    regions = [{"Bucket": mine}, {"Bucket": foreign, "BucketAccountId": owner.account}]
    for attempt in (regions, [{"Bucket": mine}, {"Bucket": foreign}]):
        with pytest.raises(ClientError) as caught:
            ctl.create_multi_region_access_point(
                AccountId=ACCOUNT, Details={"Name": unique_name(), "Regions": attempt}
            )
        assert error(caught) == ("AccessDenied", 403)
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{foreign}",
            }
        ],
    }
    owner_s3.put_bucket_policy(Bucket=foreign, Policy=json.dumps(grant))
    token = ctl.create_multi_region_access_point(
        AccountId=ACCOUNT, Details={"Name": unique_name(), "Regions": regions}
    )["RequestTokenARN"]
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    point_name = describe(ctl, token)["RequestParameters"]["CreateMultiRegionAccessPointRequest"][
        "Name"
    ]
    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=point_name)["AccessPoint"]
    assert {(r["Bucket"], r["BucketAccountId"]) for r in point["Regions"]} == {
        (mine, ACCOUNT),
        (foreign, owner.account),
    }


# bad input


CREATE_PATH = "/v20180820/async-requests/mrap/create"
NS = 'xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"'


def _create_body(details: str, token: str = "tok") -> bytes:
    return (
        f"<CreateMultiRegionAccessPointRequest {NS}><ClientToken>{token}</ClientToken>"
        f"<Details>{details}</Details></CreateMultiRegionAccessPointRequest>"
    ).encode()


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ("<Name>x", "MalformedXML"),  # not well-formed (completed below)
        ("<Name>bad-fields</Name><Regions><Region><Bucket>b</Bucket></Region></Regions>"
         "<Colour>red</Colour>", "MalformedXML"),
        ("<Name>bad-fields</Name><Regions><Region><Bucket>b</Bucket><Size>1</Size></Region>"
         "</Regions>", "MalformedXML"),
        ("<Name>no-regions</Name>", "MalformedXML"),
        ("<Name>bad-flag</Name><PublicAccessBlock><BlockPublicAcls>yes</BlockPublicAcls>"
         "</PublicAccessBlock><Regions><Region><Bucket>b</Bucket></Region></Regions>",
         "MalformedXML"),
    ],
)  # fmt: skip
def test_malformed_create_bodies(
    gateway: Gateway, ctl: BaseClient, details: str, code: str
) -> None:
    before = names(ctl)
    body = _create_body(details)
    if details == "<Name>x":
        body = body.replace(b"<Details><Name>x</Details>", b"<Details><Name>x</Detail>")
    reply = raw(gateway, "POST", CREATE_PATH, body)
    assert (reply.status, reply.code) == (400, code), reply.body
    assert names(ctl) == before


def test_create_value_rules(gateway: Gateway, ctl: BaseClient, s3: BaseClient) -> None:
    east, east2 = make_bucket(s3, "us-east-1"), make_bucket(s3, "us-east-1")
    before = names(ctl)
    cases: list[tuple[dict[str, Any], tuple[str, int]]] = [
        ({"Name": "Upper-Case", "Regions": [{"Bucket": east}]}, ("InvalidRequest", 400)),
        ({"Name": "-leading", "Regions": [{"Bucket": east}]}, ("InvalidRequest", 400)),
        ({"Name": "ab", "Regions": [{"Bucket": east}]}, ("InvalidRequest", 400)),
        ({"Name": "a" * 51, "Regions": [{"Bucket": east}]}, ("InvalidRequest", 400)),
        ({"Name": "under_score", "Regions": [{"Bucket": east}]}, ("InvalidRequest", 400)),
        (
            {"Name": unique_name(), "Regions": [{"Bucket": east}] * 21},
            ("InvalidRequest", 400),
        ),
        (
            {"Name": unique_name(), "Regions": [{"Bucket": east}, {"Bucket": east2}]},
            ("InvalidRequest", 400),
        ),
        (
            {
                "Name": unique_name(),
                "Regions": [{"Bucket": "no-such-bucket-" + secrets.token_hex(4)}],
            },
            ("NoSuchBucket", 404),
        ),
    ]
    for details, expected in cases:
        with pytest.raises(ClientError) as caught:
            ctl.create_multi_region_access_point(AccountId=ACCOUNT, Details=details)
        assert error(caught) == expected, details
    reply = raw(gateway, "POST", CREATE_PATH, _create_body("", token="two words"))
    assert reply.status == 400
    assert names(ctl) == before


def test_wrong_method_and_unknown_path(gateway: Gateway) -> None:
    reply = raw(gateway, "DELETE", "/v20180820/mrap/instances")
    assert (reply.status, reply.code) == (405, "MethodNotAllowed")
    reply = raw(gateway, "GET", "/v20180820/accesspoint")
    assert (reply.status, reply.code) == (501, "NotImplemented")


# asynchrony, restarts, concurrency


@pytest.fixture(scope="module")
def slow_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway whose changes take two seconds to propagate."""
    gw = make_gateway(tmp_path_factory.mktemp("slow"), MRAP_PROPAGATION_DELAY="2")
    gw.start()
    yield gw
    if gw.process is not None:
        gw.stop()


def test_operations_run_in_the_background_and_survive_a_restart(slow_gateway: Gateway) -> None:
    gw = slow_gateway
    ctl = control(gw)
    bucket = make_bucket(gw.client(), "us-west-2")
    name = unique_name()
    token = ctl.create_multi_region_access_point(
        AccountId=ACCOUNT, Details={"Name": name, "Regions": [{"Bucket": bucket}]}
    )["RequestTokenARN"]
    op = describe(ctl, token)
    assert op["RequestStatus"] == "INPROGRESS"
    regions = op["ResponseDetails"]["MultiRegionAccessPointDetails"]["Regions"]
    assert regions == [{"Name": "us-west-2", "RequestStatus": "INPROGRESS"}]
    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert point["Status"] == "CREATING"
    gw.stop()
    gw.start()
    ctl = control(gw)
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert point["Status"] == "READY"

    text = mrap_policy(point["Alias"])
    token = ctl.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": name, "Policy": text}
    )["RequestTokenARN"]
    policy = ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"]
    assert policy == {"Proposed": {"Policy": text}}
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    token = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
        "RequestTokenARN"
    ]
    point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
    assert point["Status"] == "DELETING"
    gw.stop()
    gw.start()
    ctl = control(gw)
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    assert name not in names(ctl)


def test_concurrent_route_submissions_one_wins(slow_gateway: Gateway) -> None:
    gw = slow_gateway
    ctl = control(gw)
    buckets = [make_bucket(gw.client(), "us-east-1"), make_bucket(gw.client(), "eu-west-1")]
    name, _ = create(ctl, buckets)
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(bucket: str) -> None:
        client = control(gw, "eu-west-1")
        start.wait()
        try:
            client.submit_multi_region_access_point_routes(
                AccountId=ACCOUNT,
                Mrap=arn,
                RouteUpdates=[{"Bucket": bucket, "TrafficDialPercentage": 0}],
            )
            outcomes.append("ok")
        except ClientError as exc:
            code, status = error_of(exc)
            outcomes.append(f"{code} {status}")

    threads = [threading.Thread(target=submit, args=(b,)) for b in buckets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["OperationAborted 409", "ok"]
    assert sorted(routes_of(ctl, arn).values()) == [0, 100]


def test_several_worker_processes_share_the_operations(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, "--workers", "2", MRAP_PROPAGATION_DELAY="0.2")
    gw.start()
    try:
        ctl = control(gw)
        bucket = make_bucket(gw.client(), "us-east-1")
        tokens = [
            ctl.create_multi_region_access_point(
                AccountId=ACCOUNT, Details={"Name": f"worker-{n}", "Regions": [{"Bucket": bucket}]}
            )["RequestTokenARN"]
            for n in range(6)
        ]
        assert [wait(ctl, t)["RequestStatus"] for t in tokens] == ["SUCCEEDED"] * 6
        points = ctl.list_multi_region_access_points(AccountId=ACCOUNT)["AccessPoints"]
        assert sorted(p["Name"] for p in points) == [f"worker-{n}" for n in range(6)]
        assert {p["Status"] for p in points} == {"READY"}
    finally:
        gw.stop()


def mark_region(gateway: Gateway, state: str, region: str) -> None:
    """`mrap region down|up REGION` beside the running gateway."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mrap",
            "region",
            state,
            region,
            "--data-dir",
            str(gateway.data_dir),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_a_region_that_is_down_fails_the_operation(slow_gateway: Gateway) -> None:
    gw = slow_gateway
    ctl = control(gw)
    buckets = [make_bucket(gw.client(), "us-east-1"), make_bucket(gw.client(), "us-west-2")]
    name = unique_name()
    details = {"Name": name, "Regions": [{"Bucket": b} for b in buckets]}
    mark_region(gw, "down", "us-west-2")
    try:
        token = ctl.create_multi_region_access_point(AccountId=ACCOUNT, Details=details)[
            "RequestTokenARN"
        ]
        op = wait(ctl, token)
        assert op["RequestStatus"] == "FAILED"
        regions = op["ResponseDetails"]["MultiRegionAccessPointDetails"]["Regions"]
        assert {r["Name"]: r["RequestStatus"] for r in regions} == {
            "us-east-1": "COMPLETED",
            "us-west-2": "FAILED",
        }
        failure = op["ResponseDetails"]["ErrorDetails"]
        assert failure["Code"] == "ServiceUnavailable" and "us-west-2" in failure["Message"]
        point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
        assert point["Status"] == "PARTIALLY_CREATED"
        mark_region(gw, "up", "us-west-2")
        # Retrying the create finishes the same access point.
        token = ctl.create_multi_region_access_point(AccountId=ACCOUNT, Details=details)[
            "RequestTokenARN"
        ]
        assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
        again = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
        assert (again["Status"], again["Alias"]) == ("READY", point["Alias"])

        mark_region(gw, "down", "us-west-2")
        text = mrap_policy(point["Alias"])
        token = ctl.put_multi_region_access_point_policy(
            AccountId=ACCOUNT, Details={"Name": name, "Policy": text}
        )["RequestTokenARN"]
        assert wait(ctl, token)["RequestStatus"] == "FAILED"
        policy = ctl.get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=name)
        assert policy["Policy"] == {"Proposed": {"Policy": text}}
        token = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
            "RequestTokenARN"
        ]
        assert wait(ctl, token)["RequestStatus"] == "FAILED"
        point = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]
        assert point["Status"] == "PARTIALLY_DELETED"
        mark_region(gw, "up", "us-west-2")
        token = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
            "RequestTokenARN"
        ]
        assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
        assert name not in names(ctl)
    finally:
        mark_region(gw, "up", "us-west-2")
