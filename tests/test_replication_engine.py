"""Replication of writes between region stores: the real gateway, its workers, boto3.

Waiting for replication polls until a generous deadline (copies are asynchronous); what is
asserted is the outcome, never how fast it came.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_replication_config import make_role, versioned

WAIT = 60.0


def eventually(check: Callable[[], Any], what: str, wait: float = WAIT) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + wait
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def status(s3: BaseClient, bucket: str, key: str, version_id: str | None = None) -> str | None:
    """x-amz-replication-status of a version (None: no header, or no such version)."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        head = s3.head_object(Bucket=bucket, Key=key, **extra)
    except ClientError:
        return None
    replication: str | None = head.get("ReplicationStatus")
    return replication


def replicate(
    s3: BaseClient,
    gateway: Gateway,
    source: str,
    destination: str,
    markers: bool = True,
    allowed: bool = True,
    **rule: Any,
) -> None:
    """One rule replicating everything from `source` to `destination`."""
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": make_role(gateway, allowed),
            "Rules": [
                {
                    "ID": "all",
                    "Priority": 1,
                    "Filter": rule.pop("Filter", {}),
                    "Status": "Enabled",
                    "DeleteMarkerReplication": {"Status": "Enabled" if markers else "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
                    **rule,
                }
            ],
        },
    )


def versions_of(s3: BaseClient, bucket: str) -> list[tuple[str, str, bool, str]]:
    """(key, version id, is latest, kind) of every version and delete marker."""
    listed = s3.list_object_versions(Bucket=bucket)
    rows = [
        (v["Key"], v["VersionId"], v["IsLatest"], "version") for v in listed.get("Versions", [])
    ]
    rows += [
        (m["Key"], m["VersionId"], m["IsLatest"], "marker") for m in listed.get("DeleteMarkers", [])
    ]
    return sorted(rows)


@pytest.fixture
def pair(s3: BaseClient, gateway: Gateway) -> tuple[str, str]:
    """A source bucket in us-east-1 replicating everything to a bucket in us-west-2."""
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    replicate(s3, gateway, source, destination)
    return source, destination


def test_put_object_replicates_bytes_metadata_tags_checksums_and_version(
    s3: BaseClient, pair: tuple[str, str]
) -> None:
    source, destination = pair
    body = os.urandom(70_000)
    put = s3.put_object(
        Bucket=source,
        Key="dir/a.bin",
        Body=body,
        ContentType="application/x-test",
        Metadata={"colour": "blue"},
        Tagging="team=a&env=prod",
        ChecksumAlgorithm="SHA256",
        CacheControl="max-age=60",
    )
    version = put["VersionId"]
    assert status(s3, source, "dir/a.bin") in ("PENDING", "COMPLETED")
    eventually(lambda: status(s3, source, "dir/a.bin") == "COMPLETED", "COMPLETED")

    src = s3.head_object(Bucket=source, Key="dir/a.bin", ChecksumMode="ENABLED")
    got = s3.get_object(Bucket=destination, Key="dir/a.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ReplicationStatus"] == "REPLICA"
    assert got["VersionId"] == version
    assert got["LastModified"] == src["LastModified"]
    assert got["ETag"] == src["ETag"]
    assert got["ContentType"] == "application/x-test"
    assert got["CacheControl"] == "max-age=60"
    assert got["Metadata"] == {"colour": "blue"}
    assert got["ChecksumSHA256"] == src["ChecksumSHA256"]
    tags = s3.get_object_tagging(Bucket=destination, Key="dir/a.bin")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "a")]


def test_multipart_copy_and_tag_changes_replicate(s3: BaseClient, pair: tuple[str, str]) -> None:
    source, destination = pair
    upload = s3.create_multipart_upload(Bucket=source, Key="mp")["UploadId"]
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    etags = [
        s3.upload_part(Bucket=source, Key="mp", UploadId=upload, PartNumber=n, Body=data)["ETag"]
        for n, data in enumerate(parts, start=1)
    ]
    done = s3.complete_multipart_upload(
        Bucket=source,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]},
    )
    s3.copy_object(Bucket=source, Key="copy", CopySource={"Bucket": source, "Key": "mp"})
    eventually(lambda: status(s3, source, "mp") == "COMPLETED", "multipart COMPLETED")
    eventually(lambda: status(s3, source, "copy") == "COMPLETED", "copy COMPLETED")
    for key in ("mp", "copy"):
        data = s3.get_object(Bucket=destination, Key=key)["Body"].read()
        assert hashlib.sha256(data).digest() == hashlib.sha256(b"".join(parts)).digest()
    assert s3.head_object(Bucket=destination, Key="mp")["VersionId"] == done["VersionId"]

    s3.put_object_tagging(
        Bucket=source, Key="copy", Tagging={"TagSet": [{"Key": "state", "Value": "new"}]}
    )
    eventually(
        lambda: (
            s3.get_object_tagging(Bucket=destination, Key="copy")["TagSet"]
            == [{"Key": "state", "Value": "new"}]
        ),
        "tags on the replica",
    )
    eventually(lambda: status(s3, source, "copy") == "COMPLETED", "tag change COMPLETED")


def test_delete_markers_replicate_but_version_deletes_do_not(
    s3: BaseClient, pair: tuple[str, str]
) -> None:
    source, destination = pair
    first = s3.put_object(Bucket=source, Key="k", Body=b"1")["VersionId"]
    second = s3.put_object(Bucket=source, Key="k", Body=b"2")["VersionId"]
    eventually(lambda: status(s3, source, "k", second) == "COMPLETED", "second COMPLETED")
    eventually(lambda: status(s3, source, "k", first) == "COMPLETED", "first COMPLETED")
    marker = s3.delete_object(Bucket=source, Key="k")["VersionId"]
    eventually(
        lambda: ("k", marker, True, "marker") in versions_of(s3, destination), "marker replica"
    )
    # A delete by version id stays where it happened.
    s3.delete_object(Bucket=source, Key="k", VersionId=first)
    s3.put_object(Bucket=source, Key="after", Body=b"x")
    eventually(lambda: status(s3, source, "after") == "COMPLETED", "later write COMPLETED")
    assert ("k", first, False, "version") in versions_of(s3, destination)
    assert versions_of(s3, source) == [v for v in versions_of(s3, destination) if v[1] != first]


def test_delete_markers_stay_without_delete_marker_replication(
    s3: BaseClient, gateway: Gateway
) -> None:
    source, destination = versioned(s3), versioned(s3, "eu-west-1")
    replicate(s3, gateway, source, destination, markers=False)
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    eventually(lambda: status(s3, source, "k") == "COMPLETED", "COMPLETED")
    s3.delete_object(Bucket=source, Key="k")
    s3.put_object(Bucket=source, Key="later", Body=b"x")
    eventually(lambda: status(s3, source, "later") == "COMPLETED", "later COMPLETED")
    assert [v[3] for v in versions_of(s3, destination) if v[0] == "k"] == ["version"]
    assert s3.get_object(Bucket=destination, Key="k")["Body"].read() == b"1"


def test_only_objects_the_filter_selects_replicate(s3: BaseClient, gateway: Gateway) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    replicate(s3, gateway, source, destination, Filter={"Prefix": "yes/"})
    s3.put_object(Bucket=source, Key="no/k", Body=b"n")
    s3.put_object(Bucket=source, Key="yes/k", Body=b"y")
    eventually(lambda: status(s3, source, "yes/k") == "COMPLETED", "selected COMPLETED")
    assert status(s3, source, "no/k") is None
    assert [v[0] for v in versions_of(s3, destination)] == ["yes/k"]


def test_a_missing_destination_makes_the_source_failed(s3: BaseClient, gateway: Gateway) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    replicate(s3, gateway, source, destination)
    s3.delete_bucket(Bucket=destination)
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    eventually(lambda: status(s3, source, "k") == "FAILED", "FAILED")


def _cli(gateway: Gateway, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mrap", *args, "--data-dir", str(gateway.data_dir)],
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_backlog_built_while_the_destination_is_down_drains(tmp_path: Path) -> None:
    from conftest import make_gateway

    gw = make_gateway(tmp_path)
    gw.start()
    try:
        s3 = gw.client()
        source, destination = versioned(s3), versioned(s3, "eu-west-1")
        replicate(s3, gw, source, destination)
        _cli(gw, "region", "down", "eu-west-1")
        keys = [f"k{i:04d}" for i in range(1000)]
        for key in keys:
            s3.put_object(Bucket=source, Key=key, Body=key.encode())
        # While the region is down nothing reaches it, and nothing is lost.
        assert status(s3, source, keys[0]) == "PENDING"
        assert status(s3, source, keys[-1]) == "PENDING"
        _cli(gw, "region", "up", "eu-west-1")
        eventually(
            lambda: all(status(s3, source, k) == "COMPLETED" for k in (keys[0], keys[-1])),
            "first and last COMPLETED",
            wait=180,
        )
        eventually(lambda: len(versions_of(s3, destination)) == len(keys), "all replicas", wait=180)
        assert versions_of(s3, destination) == versions_of(s3, source)
        assert all(status(s3, source, k) == "COMPLETED" for k in keys)
    finally:
        if gw.process is not None:
            gw.stop()


def test_kill_9_during_replication_then_convergence(tmp_path: Path) -> None:
    from conftest import make_gateway

    gw = make_gateway(tmp_path)
    gw.start()
    try:
        s3 = gw.client()
        source, destination = versioned(s3), versioned(s3, "us-west-2")
        replicate(s3, gw, source, destination)
        # A backlog built while the destination is down, so that the kill lands while it
        # drains: some copies done, some claimed by the dying process, some not started.
        _cli(gw, "region", "down", "us-west-2")
        bodies = {f"k{i:03d}": os.urandom(256 * 1024 + i) for i in range(100)}
        for key, body in bodies.items():
            s3.put_object(Bucket=source, Key=key, Body=body)
        _cli(gw, "region", "up", "us-west-2")
        eventually(lambda: status(s3, source, "k000") == "COMPLETED", "the first copy")
        gw.stop(9)
        gw.start()
        eventually(
            lambda: len(versions_of(s3, destination)) == len(bodies), "all replicas", wait=180
        )
        assert versions_of(s3, destination) == versions_of(s3, source)
        for key, body in bodies.items():
            assert s3.get_object(Bucket=destination, Key=key)["Body"].read() == body
        eventually(
            lambda: all(status(s3, source, k) == "COMPLETED" for k in bodies), "all COMPLETED"
        )
    finally:
        if gw.process is not None:
            gw.stop()


def test_a_role_without_permission_makes_the_source_failed(
    s3: BaseClient, gateway: Gateway
) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    replicate(s3, gateway, source, destination, allowed=False)
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    eventually(lambda: status(s3, source, "k") == "FAILED", "FAILED")
    assert versions_of(s3, destination) == []


def test_delete_objects_markers_replicate_too(s3: BaseClient, pair: tuple[str, str]) -> None:
    source, destination = pair
    version = s3.put_object(Bucket=source, Key="batch", Body=b"1")["VersionId"]
    eventually(lambda: status(s3, source, "batch") == "COMPLETED", "COMPLETED")
    deleted = s3.delete_objects(Bucket=source, Delete={"Objects": [{"Key": "batch"}]})
    marker = deleted["Deleted"][0]["DeleteMarkerVersionId"]
    eventually(
        lambda: ("batch", marker, True, "marker") in versions_of(s3, destination),
        "marker replica",
    )
    assert ("batch", version, False, "version") in versions_of(s3, destination)


# ExistingObjectReplication


def test_existing_objects_replicate_when_the_rule_asks(s3: BaseClient, gateway: Gateway) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    keys = [f"old/{n:03d}" for n in range(300)]  # more than one backfill batch
    for key in keys:
        s3.put_object(Bucket=source, Key=key, Body=key.encode())
    first = s3.put_object(Bucket=source, Key="twice", Body=b"1")["VersionId"]
    s3.put_object(Bucket=source, Key="twice", Body=b"2", Tagging="t=v")
    s3.delete_object(Bucket=source, Key="gone")
    replicate(s3, gateway, source, destination, ExistingObjectReplication={"Status": "Enabled"})
    eventually(lambda: versions_of(s3, destination) == versions_of(s3, source), "same versions")
    eventually(lambda: status(s3, source, "twice", first) == "COMPLETED", "old version COMPLETED")
    assert all(status(s3, source, key) == "COMPLETED" for key in keys[::50])
    assert s3.get_object(Bucket=destination, Key="old/123")["Body"].read() == b"old/123"
    assert s3.get_object_tagging(Bucket=destination, Key="twice")["TagSet"] == [
        {"Key": "t", "Value": "v"}
    ]
    assert status(s3, destination, "twice", first) == "REPLICA"


def test_existing_objects_stay_without_existing_object_replication(
    s3: BaseClient, gateway: Gateway
) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    s3.put_object(Bucket=source, Key="before", Body=b"b")
    replicate(s3, gateway, source, destination)
    s3.put_object(Bucket=source, Key="after", Body=b"a")
    eventually(lambda: status(s3, source, "after") == "COMPLETED", "new write COMPLETED")
    assert status(s3, source, "before") is None
    assert [v[0] for v in versions_of(s3, destination)] == ["after"]


def test_figures_per_rule(s3: BaseClient, gateway: Gateway) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    rules = [
        {
            "ID": rule_id,
            "Priority": priority,
            "Filter": {"Prefix": f"{rule_id}/"},
            "Status": "Enabled",
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        }
        for priority, rule_id in enumerate(("docs", "logs"), start=1)
    ]
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={"Role": make_role(gateway, True), "Rules": rules},
    )
    s3.put_object(Bucket=source, Key="docs/a", Body=b"abc")
    s3.put_object(Bucket=source, Key="logs/1", Body=b"12345")
    s3.put_object(Bucket=source, Key="logs/2", Body=b"67")
    for key in ("docs/a", "logs/1", "logs/2"):

        def completed(k: str = key) -> bool:
            return status(s3, source, k) == "COMPLETED"

        eventually(completed, f"{key} COMPLETED")
    with urllib.request.urlopen(f"{gateway.endpoint}/metrics", timeout=10) as response:
        text = response.read().decode()
    pair = f'region="us-east-1",bucket="{source}",destination="{destination}"'
    assert f'mrap_replication_operations_total{{{pair},rule="docs"}} 1' in text
    assert f'mrap_replication_bytes_total{{{pair},rule="docs"}} 3' in text
    assert f'mrap_replication_operations_total{{{pair},rule="logs"}} 2' in text
    assert f'mrap_replication_bytes_total{{{pair},rule="logs"}} 7' in text
    assert f'mrap_replication_latency_seconds{{{pair},rule="logs",quantile="0.5"}}' in text


def test_replicas_keep_the_parts_and_their_checksums(s3: BaseClient, pair: tuple[str, str]) -> None:
    source, destination = pair
    upload = s3.create_multipart_upload(Bucket=source, Key="mp", ChecksumAlgorithm="SHA256")
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    done = [
        s3.upload_part(
            Bucket=source,
            Key="mp",
            UploadId=upload["UploadId"],
            PartNumber=n,
            Body=data,
            ChecksumAlgorithm="SHA256",
        )
        for n, data in enumerate(parts, start=1)
    ]
    s3.complete_multipart_upload(
        Bucket=source,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [
                {"ETag": d["ETag"], "PartNumber": n, "ChecksumSHA256": d["ChecksumSHA256"]}
                for n, d in enumerate(done, start=1)
            ]
        },
    )
    eventually(lambda: status(s3, source, "mp") == "COMPLETED", "multipart COMPLETED")
    attributes = ["ObjectParts", "Checksum", "ObjectSize", "ETag"]
    original = s3.get_object_attributes(Bucket=source, Key="mp", ObjectAttributes=attributes)
    replica = s3.get_object_attributes(Bucket=destination, Key="mp", ObjectAttributes=attributes)
    assert [p["ChecksumSHA256"] for p in replica["ObjectParts"]["Parts"]] == [
        d["ChecksumSHA256"] for d in done
    ]
    for field in ("ObjectParts", "Checksum", "ObjectSize", "ETag"):
        assert replica[field] == original[field]
    second = s3.get_object(Bucket=destination, Key="mp", PartNumber=2)
    assert second["Body"].read() == b"tail" and second["PartsCount"] == 2


def test_existing_object_backfill_survives_kill_9(tmp_path: Path) -> None:
    from conftest import make_gateway

    gw = make_gateway(tmp_path)
    gw.start()
    try:
        s3 = gw.client()
        source, destination = versioned(s3), versioned(s3, "us-west-2")
        keys = [f"e{i:04d}" for i in range(600)]  # several batches of the backfill
        for key in keys:
            s3.put_object(Bucket=source, Key=key, Body=key.encode())
        replicate(s3, gw, source, destination, ExistingObjectReplication={"Status": "Enabled"})
        gw.stop(9)  # the backfill was started with the configuration; its cursor is durable
        gw.start()
        eventually(
            lambda: versions_of(s3, destination) == versions_of(s3, source),
            "every existing version replicated",
            wait=180,
        )
        eventually(lambda: all(status(s3, source, k) == "COMPLETED" for k in keys), "COMPLETED")
    finally:
        if gw.process is not None:
            gw.stop()
