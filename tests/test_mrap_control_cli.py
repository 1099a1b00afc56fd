"""The seed documents' S3 Control examples, run with the aws CLI.

The commands run as the documents print them, after `eval "$(mrap env)"` (the gateway is the
CLI's HTTPS proxy, so AWS's own S3 Control host names reach it), with the user-input
placeholders replaced by real values: our buckets, access point name, alias and request token.
Examples that name no region run with `AWS_DEFAULT_REGION=us-west-2`, the only region that
serves MRAP management. One test also goes the `--endpoint-url` + `HTTP_PROXY` way.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from conftest import Gateway
from test_mrap_control import ACCOUNT, TOKEN_ARN, control, make_bucket, unique_name, wait
from tunnel import clean_env


def aws(gateway: Gateway, tmp_path: Path, command: str, region: str = "us-west-2") -> Any:
    """Run one `aws …` command line after `eval "$(mrap env)"`; its JSON output (or None)."""
    empty = tmp_path / "aws-empty-config"
    empty.write_text("")
    env = clean_env(AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty))
    data_dir = shlex.quote(str(gateway.data_dir))
    script = (
        f'eval "$(mrap env --data-dir {data_dir} --port {gateway.port})"'
        f" && export AWS_DEFAULT_REGION={region} && {command}"
    )
    done = subprocess.run(
        ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture
def ctl(gateway: Gateway) -> BaseClient:
    return control(gateway)


@pytest.fixture
def point(gateway: Gateway, s3: BaseClient, tmp_path: Path) -> dict[str, str]:
    """An access point over two buckets, created with the CLI (signed for us-west-2)."""
    buckets = [make_bucket(s3, "us-east-1"), make_bucket(s3, "eu-west-1")]
    name = unique_name()
    details = json.dumps({"Name": name, "Regions": [{"Bucket": b} for b in buckets]})
    out = aws(
        gateway,
        tmp_path,
        "aws s3control create-multi-region-access-point --region us-west-2 "
        f"--account-id {ACCOUNT} --details {shlex.quote(details)}",
    )
    token = out["RequestTokenARN"]
    assert TOKEN_ARN.fullmatch(token)
    assert wait(control(gateway), token)["RequestStatus"] == "SUCCEEDED"
    got = aws(
        gateway,
        tmp_path,
        f"aws s3control get-multi-region-access-point --account-id {ACCOUNT} --name {name}",
    )["AccessPoint"]
    assert got["Status"] == "READY"
    return {
        "name": name,
        "alias": got["Alias"],
        "arn": f"arn:aws:s3::{ACCOUNT}:accesspoint/{got['Alias']}",
        "bucket1": buckets[0],
        "bucket2": buckets[1],
    }


def test_get_routes_example(gateway: Gateway, tmp_path: Path, point: dict[str, str]) -> None:
    command = (
        "aws s3control get-multi-region-access-point-routes --region eu-west-1 "
        "--account-id 111122223333 --mrap arn:aws:s3::111122223333:accesspoint/abcdef0123456.mrap"
    ).replace("abcdef0123456.mrap", point["alias"])
    out = aws(gateway, tmp_path, command, region="us-east-1")
    assert out["Mrap"] == point["arn"]
    assert {(r["Bucket"], r["Region"], r["TrafficDialPercentage"]) for r in out["Routes"]} == {
        (point["bucket1"], "us-east-1", 100),
        (point["bucket2"], "eu-west-1", 100),
    }


def test_submit_routes_example(
    gateway: Gateway, tmp_path: Path, point: dict[str, str], ctl: BaseClient
) -> None:
    command = (
        "aws s3control submit-multi-region-access-point-routes --region ap-southeast-2 "
        "--account-id 111122223333 --mrap arn:aws:s3::111122223333:accesspoint/abcdef0123456.mrap "
        "--route-updates Bucket=DOC-EXAMPLE-BUCKET1,TrafficDialPercentage=100 "
        "Bucket=DOC-EXAMPLE-BUCKET2,TrafficDialPercentage=0"
    )
    command = (
        command.replace("abcdef0123456.mrap", point["alias"])
        .replace("DOC-EXAMPLE-BUCKET1", point["bucket1"])
        .replace("DOC-EXAMPLE-BUCKET2", point["bucket2"])
    )
    assert aws(gateway, tmp_path, command, region="us-east-1") is None  # no output, as documented
    routes = control(gateway, "ap-southeast-2").get_multi_region_access_point_routes(
        AccountId=ACCOUNT, Mrap=point["arn"]
    )["Routes"]
    assert {r["Bucket"]: r["TrafficDialPercentage"] for r in routes} == {
        point["bucket1"]: 100,
        point["bucket2"]: 0,
    }


def test_policy_examples(gateway: Gateway, tmp_path: Path, point: dict[str, str]) -> None:
    # The seed's policy, with its one missing backslash before a quote restored.
    policy = (
        '{ "Version": "2012-10-17", "Statement": { "Effect": "Allow", "Principal": { "AWS": '
        '"arn:aws:iam::111122223333:root" }, "Action": ["s3:ListBucket", "s3:GetObject"], '
        '"Resource": [ "arn:aws:s3::111122223333:accesspoint/MultiRegionAccessPoint_alias", '
        '"arn:aws:s3::111122223333:accesspoint/MultiRegionAccessPoint_alias/object/*" ] } }'
    ).replace("MultiRegionAccessPoint_alias", point["alias"])
    details = json.dumps({"Name": point["name"], "Policy": policy})
    put = aws(
        gateway,
        tmp_path,
        "aws s3control put-multi-region-access-point-policy --account-id 111122223333 "
        f"--details {shlex.quote(details)}",
    )
    request_arn = put["RequestTokenARN"]
    assert "/put-policy/" in request_arn
    wait(control(gateway), request_arn)
    described = aws(
        gateway,
        tmp_path,
        "aws s3control describe-multi-region-access-point-operation --account-id 111122223333 "
        "--request-token-arn requestArn".replace("requestArn", request_arn),
    )["AsyncOperation"]
    assert described["RequestStatus"] == "SUCCEEDED"
    assert described["Operation"] == "PutMultiRegionAccessPointPolicy"
    got = aws(
        gateway,
        tmp_path,
        "aws s3control get-multi-region-access-point-policy --account-id 111122223333 "
        "--name=DOC-EXAMPLE-BUCKET-MultiRegionAccessPoint".replace(
            "DOC-EXAMPLE-BUCKET-MultiRegionAccessPoint", point["name"]
        ),
    )["Policy"]
    assert got == {"Established": {"Policy": policy}, "Proposed": {"Policy": policy}}
    status = aws(
        gateway,
        tmp_path,
        "aws s3control get-multi-region-access-point-policy-status --account-id 111122223333 "
        f"--name {point['name']}",
    )
    assert status["Established"] == {"IsPublic": False}


def test_list_and_delete_with_endpoint_url(
    gateway: Gateway, tmp_path: Path, point: dict[str, str], ctl: BaseClient
) -> None:
    # The plain-HTTP way: --endpoint-url, with HTTP_PROXY (set by `mrap env`) carrying the
    # account-prefixed host `111122223333.localhost:PORT` to the gateway.
    endpoint = f"--endpoint-url http://localhost:{gateway.port}"
    listed = aws(
        gateway,
        tmp_path,
        f"aws s3control list-multi-region-access-points --account-id {ACCOUNT} {endpoint}",
    )
    assert point["name"] in [p["Name"] for p in listed["AccessPoints"]]
    token = aws(
        gateway,
        tmp_path,
        f"aws s3control delete-multi-region-access-point --account-id {ACCOUNT} {endpoint} "
        f"--details Name={point['name']} --client-token {secrets.token_hex(8)}",
    )["RequestTokenARN"]
    assert wait(ctl, token)["RequestStatus"] == "SUCCEEDED"
    log = gateway.log()
    assert (
        f"POST http://{ACCOUNT}.localhost:{gateway.port}/v20180820/async-requests/mrap/delete"
        in log
    )
    assert f"CONNECT {ACCOUNT}.s3-control.us-west-2.amazonaws.com:443 200" in log
    listed = ctl.list_multi_region_access_points(AccountId=ACCOUNT)["AccessPoints"]
    assert point["name"] not in [p["Name"] for p in listed]
