"""Two-way replication among an access point's buckets: `mrap replicate`, failover reads,
convergence of concurrent writes, replica modification sync, and the figures."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import urllib.request
from xml.etree import ElementTree

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_iam_api import iam_client
from test_mrap_control import ACCOUNT, Keys, raw
from test_mrap_dataplane import Point, allow_account, delegate, routed
from test_replication_engine import eventually, status, versions_of

ACTIONS = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"]


def mrap(gateway: Gateway, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mrap", *args, "--data-dir", str(gateway.data_dir)],
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def synced(gateway: Gateway, s3: BaseClient) -> Point:
    """An access point over us-east-1 and eu-west-1 whose buckets replicate to each other."""
    point = Point(gateway, s3)
    point.put_policy(allow_account(point.alias, ACTIONS))
    delegate(s3, point.east, point.arn)
    delegate(s3, point.west, point.arn)
    out = mrap(gateway, "replicate", point.name)
    assert f"{point.east} -> {point.west}" in out and f"{point.west} -> {point.east}" in out
    return point


def test_replicate_enables_versioning_and_two_way_rules(s3: BaseClient, synced: Point) -> None:
    for bucket, other in ((synced.east, synced.west), (synced.west, synced.east)):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        assert config["Role"].endswith(":role/service-role/mrap-replication")
        (rule,) = config["Rules"]
        assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{other}"
        assert rule["Status"] == "Enabled" and rule["Filter"] == {}
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"] == {"ReplicaModifications": {"Status": "Enabled"}}
        assert rule["ExistingObjectReplication"] == {"Status": "Enabled"}


def test_write_in_one_region_read_in_the_other_after_failover(
    s3: BaseClient, synced: Point
) -> None:
    put = s3.put_object(Bucket=synced.alias, Key="doc.txt", Body=b"written in us-east-1")
    assert routed(put) == "us-east-1"
    eventually(lambda: status(s3, synced.east, "doc.txt") == "COMPLETED", "COMPLETED")
    synced.dials(**{synced.east: 0, synced.west: 100})
    got = s3.get_object(Bucket=synced.alias, Key="doc.txt")
    assert routed(got) == "eu-west-1"
    assert got["Body"].read() == b"written in us-east-1"
    assert got["VersionId"] == put["VersionId"]
    assert got["ReplicationStatus"] == "REPLICA"


def test_concurrent_writes_of_one_key_converge_everywhere(s3: BaseClient, synced: Point) -> None:
    east = s3.put_object(Bucket=synced.east, Key="k", Body=b"east")["VersionId"]
    west = s3.put_object(Bucket=synced.west, Key="k", Body=b"west")["VersionId"]
    eventually(lambda: status(s3, synced.east, "k", east) == "COMPLETED", "east COMPLETED")
    eventually(lambda: status(s3, synced.west, "k", west) == "COMPLETED", "west COMPLETED")
    # Every version kept, the same one latest in both regions, and no copy went round again.
    listed = versions_of(s3, synced.east)
    assert listed == versions_of(s3, synced.west)
    assert sorted(v[1] for v in listed) == sorted([east, west])
    latest = [v[1] for v in listed if v[2]]
    assert latest == [west]  # written last
    assert s3.get_object(Bucket=synced.east, Key="k")["Body"].read() == b"west"
    assert s3.get_object(Bucket=synced.west, Key="k")["Body"].read() == b"west"


def test_replica_modifications_flow_back(s3: BaseClient, synced: Point) -> None:
    version = s3.put_object(Bucket=synced.east, Key="t", Body=b"x")["VersionId"]
    eventually(lambda: status(s3, synced.east, "t") == "COMPLETED", "COMPLETED")
    s3.put_object_tagging(
        Bucket=synced.west, Key="t", Tagging={"TagSet": [{"Key": "seen", "Value": "west"}]}
    )
    eventually(
        lambda: (
            s3.get_object_tagging(Bucket=synced.east, Key="t", VersionId=version)["TagSet"]
            == [{"Key": "seen", "Value": "west"}]
        ),
        "tags back on the source",
    )
    assert status(s3, synced.west, "t") == "REPLICA"
    assert len(versions_of(s3, synced.east)) == 1


def test_figures_at_metrics_and_in_the_status_command(
    gateway: Gateway, s3: BaseClient, synced: Point
) -> None:
    s3.put_object(Bucket=synced.east, Key="m", Body=b"12345")
    eventually(lambda: status(s3, synced.east, "m") == "COMPLETED", "COMPLETED")
    with urllib.request.urlopen(f"{gateway.endpoint}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    labels = (
        f'region="us-east-1",bucket="{synced.east}",destination="{synced.west}"'
        f',rule="mrap-to-{synced.west}"'
    )
    assert f"mrap_replication_operations_total{{{labels}}} 1" in text
    assert f"mrap_replication_bytes_total{{{labels}}} 5" in text
    assert f"mrap_replication_pending_operations{{{labels}}} 0" in text
    assert f"mrap_replication_in_flight_operations{{{labels}}} 0" in text
    assert "# TYPE mrap_replication_backfill_versions gauge" in text
    assert f'mrap_replication_latency_seconds{{{labels},quantile="0.99"}}' in text
    out = mrap(gateway, "replication", "status", synced.name)
    (row,) = [line.split("\t") for line in out.splitlines() if line.startswith(synced.east)]
    assert row[1:3] == [synced.west, f"mrap-to-{synced.west}"]
    assert row[3:10] == ["0", "0", "0", "0", "1", "5", "0"]
    assert out.splitlines()[-1] == "backlog 0 (pending 0, in flight 0, backfill 0)"


# The S3 Control extension: POST /v20180820/mrap/instances/{name}/replicate


def replicate_path(name: str) -> str:
    return f"/v20180820/mrap/instances/{name}/replicate"


def user_keys(gateway: Gateway, actions: list[str]) -> Keys:
    """A new user of the account allowed exactly `actions` on every S3 resource."""
    iam = iam_client(gateway)
    user = f"replicator-{secrets.token_hex(4)}"
    iam.create_user(UserName=user)
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Keys(ACCOUNT, key["AccessKeyId"], key["SecretAccessKey"])


def unconfigured(s3: BaseClient, bucket: str) -> bool:
    """Neither versioning nor replication was ever set on the bucket."""
    if "Status" in s3.get_bucket_versioning(Bucket=bucket):
        return False
    try:
        s3.get_bucket_replication(Bucket=bucket)
    except ClientError as exc:
        code: str = exc.response["Error"]["Code"]
        return code == "ReplicationConfigurationNotFoundError"
    return False


def test_control_extension_does_what_the_command_does(gateway: Gateway, s3: BaseClient) -> None:
    point = Point(gateway, s3)
    reply = raw(gateway, "POST", replicate_path(point.name))
    assert reply.status == 200, reply.body
    root = ElementTree.fromstring(reply.body)
    assert root.tag == "{http://awss3control.amazonaws.com/doc/2018-08-20/}" + (
        "ReplicateMultiRegionAccessPointResult"
    )
    texts = [e.text or "" for e in root.iter() if e.tag.endswith("}Bucket")]
    assert sorted(texts) == sorted([point.east, point.west])
    for bucket, other in ((point.east, point.west), (point.west, point.east)):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        (rule,) = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]
        assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{other}"
    version = s3.put_object(Bucket=point.east, Key="via-control", Body=b"x")["VersionId"]
    eventually(lambda: status(s3, point.east, "via-control") == "COMPLETED", "COMPLETED")
    got = s3.get_object(Bucket=point.west, Key="via-control")
    assert got["VersionId"] == version and got["ReplicationStatus"] == "REPLICA"


def test_control_extension_needs_both_actions_on_every_bucket(
    gateway: Gateway, s3: BaseClient
) -> None:
    point = Point(gateway, s3)
    keys = user_keys(gateway, ["s3:PutBucketVersioning"])
    reply = raw(gateway, "POST", replicate_path(point.name), keys=keys)
    assert (reply.status, reply.error["Code"]) == (403, "AccessDenied")
    assert unconfigured(s3, point.east) and unconfigured(s3, point.west)
    keys = user_keys(gateway, ["s3:PutBucketVersioning", "s3:PutReplicationConfiguration"])
    reply = raw(gateway, "POST", replicate_path(point.name), keys=keys)
    assert reply.status == 200, reply.body
    assert s3.get_bucket_versioning(Bucket=point.west)["Status"] == "Enabled"


def test_control_extension_bad_requests_change_nothing(gateway: Gateway, s3: BaseClient) -> None:
    point = Point(gateway, s3)
    reply = raw(gateway, "POST", replicate_path("no-such-point"))
    assert (reply.status, reply.error["Code"]) == (404, "NoSuchMultiRegionAccessPoint")
    # Signed by this account's root but naming another account.
    reply = raw(gateway, "POST", replicate_path(point.name), account="444455556666")
    assert (reply.status, reply.error["Code"]) == (403, "AccessDenied")
    assert unconfigured(s3, point.east) and unconfigured(s3, point.west)
