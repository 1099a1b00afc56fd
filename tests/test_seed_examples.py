"""The seed's data-plane examples, verbatim, on a fresh deployment with no policy at all.

The gateway is new: the bootstrap account 111122223333 has its root key and nothing else, no
bucket policy, no Multi-Region Access Point policy. As that root, after `eval "$(mrap env)"`,
the aws CLI runs the commands seed 000 prints with the ARN of an access point made a moment
before. AWS's current permissions page (newer than seed 001) is why this works: "For same
account requests, only the underlying IAM policy, which grants the appropriate access, is
required", and a root user holds every identity permission of its account.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import Gateway, make_gateway
from test_mrap_control import ACCOUNT, TOKEN_ARN, control, s3_client, unique_name, wait
from test_proxy import aws, mrap_env, use_mrap_env


@dataclass(frozen=True)
class Deployment:
    """The fresh gateway, the access point the CLI made on it, and a folder to run in."""

    gateway: Gateway
    arn: str
    buckets: tuple[str, str]  # us-east-1 (the gateway's region: requests go there), eu-west-1
    workdir: Path


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("seed-examples")
    gateway = make_gateway(root)
    gateway.start()
    try:
        workdir = root / "work"
        workdir.mkdir()
        east, west = (f"{unique_name()}-{r}" for r in ("east", "west"))
        aws(gateway, workdir, "s3api", "create-bucket", "--bucket", east)
        aws(gateway, workdir, "s3api", "create-bucket", "--bucket", west, "--region", "eu-west-1",
            "--create-bucket-configuration", "LocationConstraint=eu-west-1")  # fmt: skip
        name = unique_name()
        details = {"Name": name, "Regions": [{"Bucket": east}, {"Bucket": west}]}
        created = aws(gateway, workdir, "s3control", "create-multi-region-access-point",
                      "--region", "us-west-2", "--account-id", ACCOUNT,
                      "--details", json.dumps(details))  # fmt: skip
        token = json.loads(created)["RequestTokenARN"]
        assert TOKEN_ARN.fullmatch(token)
        assert wait(control(gateway), token)["RequestStatus"] == "SUCCEEDED"
        got = aws(gateway, workdir, "s3control", "get-multi-region-access-point",
                  "--region", "us-west-2", "--account-id", ACCOUNT, "--name", name)  # fmt: skip
        alias = json.loads(got)["AccessPoint"]["Alias"]
        yield Deployment(
            gateway, f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}", (east, west), workdir
        )
    finally:
        gateway.stop()


def test_the_deployment_has_no_policy_at_all(fresh: Deployment) -> None:
    s3 = s3_client(fresh.gateway)
    for bucket in fresh.buckets:
        with pytest.raises(ClientError) as caught:
            s3.get_bucket_policy(Bucket=bucket)
        assert caught.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    name = fresh.arn.rpartition("/")[2]
    points = control(fresh.gateway).list_multi_region_access_points(AccountId=ACCOUNT)
    (point,) = [p for p in points["AccessPoints"] if p["Alias"] == name]
    got = control(fresh.gateway).get_multi_region_access_point_policy(
        AccountId=ACCOUNT, Name=point["Name"]
    )
    assert got.get("Policy", {}) == {}  # neither Established nor Proposed


def test_put_get_and_list_as_the_seed_prints_them(fresh: Deployment) -> None:
    run, arn = fresh.workdir, fresh.arn
    (run / "example.txt").write_text("Hello S3!")
    gateway = fresh.gateway
    put = aws(gateway, run, "s3api", "put-object", "--bucket", arn, "--key", "example.txt",
              "--body", "example.txt")  # fmt: skip
    assert json.loads(put)["ETag"]
    aws(gateway, run, "s3api", "get-object", "--bucket", arn, "--key", "example.txt",
        "downloaded_example.txt")  # fmt: skip
    assert (run / "downloaded_example.txt").read_text() == "Hello S3!"
    listed = json.loads(aws(gateway, run, "s3api", "list-objects-v2", "--bucket", arn))
    assert [o["Key"] for o in listed["Contents"]] == ["example.txt"]
    # The request went to the nearest bucket, the gateway's own region's.
    east, west = fresh.buckets
    s3 = s3_client(gateway)
    assert s3.get_object(Bucket=east, Key="example.txt")["Body"].read() == b"Hello S3!"
    assert "Contents" not in s3.list_objects_v2(Bucket=west)


def test_presign_as_the_seed_prints_it(fresh: Deployment) -> None:
    east = fresh.buckets[0]
    s3_client(fresh.gateway).put_object(Bucket=east, Key="example-file.txt", Body=b"shared")
    url = aws(fresh.gateway, fresh.workdir, "s3", "presign",
              f"{fresh.arn}/example-file.txt").strip()  # fmt: skip
    assert "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256" in url
    env = mrap_env(fresh.gateway)
    opener = urllib.request.build_opener(  # anyone with the URL: no AWS library, no key
        urllib.request.ProxyHandler({"https": env["HTTPS_PROXY"]}),
        urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=env["AWS_CA_BUNDLE"])
        ),
    )
    with opener.open(url, timeout=30) as response:
        assert response.read() == b"shared"


def test_copy_from_a_policy_less_bucket_into_the_access_point(fresh: Deployment) -> None:
    gateway, run = fresh.gateway, fresh.workdir
    source = unique_name() + "-source"
    aws(gateway, run, "s3api", "create-bucket", "--bucket", source)
    s3_client(gateway).put_object(Bucket=source, Key="original.txt", Body=b"copy me")
    copied = aws(gateway, run, "s3api", "copy-object", "--bucket", fresh.arn, "--key",
                 "copy.txt", "--copy-source", f"{source}/original.txt")  # fmt: skip
    assert json.loads(copied)["CopyObjectResult"]["ETag"]
    aws(gateway, run, "s3api", "get-object", "--bucket", fresh.arn, "--key", "copy.txt",
        "copy-downloaded.txt")  # fmt: skip
    assert (run / "copy-downloaded.txt").read_bytes() == b"copy me"


def test_the_seed_python_example(
    fresh: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mrap_env(fresh.gateway, tmp_path, monkeypatch)
    client = boto3.client("s3")
    client.put_object(Bucket=fresh.arn, Key="from-python.txt", Body="Hello S3!")
    got = client.get_object(Bucket=fresh.arn, Key="from-python.txt")
    assert got["Body"].read() == b"Hello S3!"
