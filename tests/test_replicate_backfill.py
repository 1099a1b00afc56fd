"""`mrap replicate` on buckets that already hold objects: they are replicated too (the
existing-object backfill), the command shows the backlog until it drains, `mrap replication
status` counts it, and after a failover every object is read back through the access point.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from conftest import Gateway, make_gateway
from test_mrap_dataplane import Point, allow_account, delegate, routed
from test_replication_access_point import ACTIONS, mrap
from test_replication_engine import eventually

BACKLOG = re.compile(r"backlog (\d+) \(pending (\d+), in flight (\d+), backfill (\d+)\)")


def backlog(text: str) -> tuple[int, int, int, int]:
    """(total, pending, in flight, backfill) of the last backlog line in `text`."""
    found = BACKLOG.findall(text)
    assert found, text
    total, pending, in_flight, backfill = (int(x) for x in found[-1])
    return total, pending, in_flight, backfill


def status_backlog(gateway: Gateway, point: Point) -> tuple[int, int, int, int]:
    return backlog(mrap(gateway, "replication", "status", point.name))


def open_point(gateway: Gateway, s3: BaseClient) -> Point:
    """An access point over us-east-1 and eu-west-1 the account may read and write through."""
    point = Point(gateway, s3)
    point.put_policy(allow_account(point.alias, ACTIONS))
    delegate(s3, point.east, point.arn)
    delegate(s3, point.west, point.arn)
    return point


@pytest.fixture
def own_gateway(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway of the test's own, whose regions it may take down and whose process it may
    kill."""
    gw = make_gateway(tmp_path)
    gw.start()
    try:
        yield gw
    finally:
        if gw.process is not None:
            gw.stop()


def test_objects_written_before_replicate_are_read_after_a_failover(
    gateway: Gateway, s3: BaseClient
) -> None:
    point = open_point(gateway, s3)
    # Written before versioning (version null), one overwritten, one multipart, and some in
    # the other region too: both directions are backfilled.
    bodies = {f"east/{i:03d}": os.urandom(1000 + 97 * i) for i in range(40)}
    for key, body in bodies.items():
        s3.put_object(Bucket=point.east, Key=key, Body=body)
    bodies["east/000"] = b"second write"
    s3.put_object(Bucket=point.east, Key="east/000", Body=bodies["east/000"])
    upload = s3.create_multipart_upload(Bucket=point.east, Key="east/multipart")["UploadId"]
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    etags = [
        s3.upload_part(
            Bucket=point.east, Key="east/multipart", UploadId=upload, PartNumber=n, Body=part
        )["ETag"]
        for n, part in enumerate(parts, start=1)
    ]
    s3.complete_multipart_upload(
        Bucket=point.east,
        Key="east/multipart",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    bodies["east/multipart"] = b"".join(parts)
    west = {f"west/{i:03d}": os.urandom(500 + i) for i in range(10)}
    for key, body in west.items():
        s3.put_object(Bucket=point.west, Key=key, Body=body)

    out = mrap(gateway, "replicate", point.name)
    lines = out.splitlines()
    assert set(lines[:2]) == {f"{point.east} -> {point.west}", f"{point.west} -> {point.east}"}
    # Progress lines (not on a terminal: the first, then every few seconds), the last at 0.
    assert all(BACKLOG.search(line) for line in lines[2:])
    assert backlog(lines[-1]) == (0, 0, 0, 0)
    assert status_backlog(gateway, point) == (0, 0, 0, 0)

    point.dials(**{point.east: 0, point.west: 100})
    for key, body in bodies.items():
        got = s3.get_object(Bucket=point.alias, Key=key)
        assert routed(got) == "eu-west-1"
        assert got["Body"].read() == body, key
        assert got["ReplicationStatus"] == "REPLICA"
    point.dials(**{point.east: 100, point.west: 0})
    for key, body in west.items():
        got = s3.get_object(Bucket=point.alias, Key=key)
        assert routed(got) == "us-east-1"
        assert got["Body"].read() == body, key
    assert s3.head_object(Bucket=point.east, Key="west/000")["ReplicationStatus"] == "REPLICA"
    assert s3.head_object(Bucket=point.west, Key="east/000")["ReplicationStatus"] == "REPLICA"


def test_the_control_extension_starts_the_backfill_too(gateway: Gateway, s3: BaseClient) -> None:
    from test_mrap_control import raw
    from test_replication_access_point import replicate_path

    point = open_point(gateway, s3)
    s3.put_object(Bucket=point.east, Key="before", Body=b"before the extension call")
    assert raw(gateway, "POST", replicate_path(point.name)).status == 200
    eventually(lambda: status_backlog(gateway, point)[0] == 0, "backlog 0")
    got = s3.get_object(Bucket=point.west, Key="before")
    assert got["Body"].read() == b"before the extension call"
    assert got["ReplicationStatus"] == "REPLICA"


def read_until(fd: int, pattern: str, wait: float = 60.0) -> str:
    """What the process on the other side of a pty writes, up to `pattern` (or its end)."""
    text = ""
    deadline = time.monotonic() + wait
    while pattern not in text and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        text += chunk.decode()
    return text


def test_backlog_held_by_a_down_region_shows_and_drains_with_progress(
    own_gateway: Gateway,
) -> None:
    gw = own_gateway
    s3 = gw.client()
    point = open_point(gw, s3)
    keys = [f"k{i:03d}" for i in range(120)]
    for key in keys:
        s3.put_object(Bucket=point.east, Key=key, Body=key.encode())
    mrap(gw, "region", "down", "eu-west-1")

    out = mrap(gw, "replicate", point.name, "--no-wait")
    assert "backlog" not in out  # returned at once
    # The backfill queues every existing version; nothing can reach the down region.
    eventually(
        lambda: status_backlog(gw, point) == (len(keys), len(keys), 0, 0),
        f"a backlog of {len(keys)} pending tasks",
    )

    # On a terminal the progress line is rewritten in place while the backlog drains.
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "mrap", "replicate", point.name]
    process = subprocess.Popen(
        [*command, "--data-dir", str(gw.data_dir)], env=gw.env, stdout=follower
    )
    os.close(follower)
    try:
        shown = read_until(leader, "copied")
        assert backlog(shown)[0] == len(keys)
        time.sleep(1.5)  # a few polls while nothing drains
        mrap(gw, "region", "up", "eu-west-1")
        shown += read_until(leader, "\n", wait=120)
        assert process.wait(timeout=60) == 0
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    # Line 3 (after the two bucket lines) is rewritten in place ("\r", then erased to its
    # end); the terminal turns each "\n" into "\r\n".
    progress = shown.replace("\r\n", "\n").split("\n")[2]
    updates = progress.split("\r")
    assert len(updates) > 2 and all(u.endswith("\x1b[K") for u in updates[1:])
    assert backlog(updates[-1]) == (0, 0, 0, 0)
    assert updates[-1].endswith(f"{len(keys)} copied\x1b[K")
    assert status_backlog(gw, point) == (0, 0, 0, 0)
    assert all(
        s3.get_object(Bucket=point.west, Key=key)["Body"].read() == key.encode() for key in keys
    )


def claims_outstanding(gateway: Gateway, region: str) -> int:
    """Replication tasks whose claim has not expired, as the region's database holds them."""
    db = gateway.data_dir / "regions" / region / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM replication_queue WHERE claimed_until > ?", (time.time(),)
        ).fetchone()
    return int(row[0])


def test_tasks_of_a_killed_gateway_count_as_pending(own_gateway: Gateway) -> None:
    gw = own_gateway
    s3 = gw.client()
    point = open_point(gw, s3)
    bodies: dict[str, bytes] = {}
    per_round = 400
    # A backlog built while the destination is down, then the gateway killed the moment it
    # holds claims (read from the region's database, which is quicker than the copies). The
    # first round's objects exist before `mrap replicate` (backfilled); later rounds' are
    # queued as they are written.
    for attempt in range(5):
        mrap(gw, "region", "down", "eu-west-1")
        batch = {f"big{attempt}-{i:03d}": os.urandom(64 * 1024 + i) for i in range(per_round)}
        for key, body in batch.items():
            s3.put_object(Bucket=point.east, Key=key, Body=body)
        bodies.update(batch)
        if attempt == 0:
            mrap(gw, "replicate", point.name, "--no-wait")
        eventually(lambda: status_backlog(gw, point)[1] == per_round, "every task pending")
        mrap(gw, "region", "up", "eu-west-1")
        eventually(lambda: claims_outstanding(gw, "us-east-1"), "tasks claimed")
        gw.stop(9)
        if claims_outstanding(gw, "us-east-1"):
            break
        gw.start()
    else:
        pytest.fail("no kill landed while tasks were claimed")
    # Their claims have not expired (a lease is 15 s), but the process holding them is gone.
    total, pending, in_flight, backfill = status_backlog(gw, point)
    assert claims_outstanding(gw, "us-east-1")
    assert total > 0 and (pending, in_flight, backfill) == (total, 0, 0)

    gw.start()
    eventually(lambda: status_backlog(gw, point) == (0, 0, 0, 0), "the backlog drained")
    for key, body in bodies.items():
        assert s3.get_object(Bucket=point.west, Key=key)["Body"].read() == body


def test_without_a_running_gateway_replicate_says_so_and_the_backlog_waits(
    own_gateway: Gateway,
) -> None:
    gw = own_gateway
    s3 = gw.client()
    point = open_point(gw, s3)
    s3.put_object(Bucket=point.east, Key="waiting", Body=b"copied once a gateway runs")
    gw.stop()
    out = mrap(gw, "replicate", point.name)
    assert backlog(out.splitlines()[2]) == (1, 0, 0, 1)
    assert out.splitlines()[-1].endswith(
        "no gateway is running; the backlog drains once `mrap serve` runs"
    )
    assert status_backlog(gw, point) == (1, 0, 0, 1)  # the backfill has yet to queue it
    gw.start()
    eventually(lambda: status_backlog(gw, point) == (0, 0, 0, 0), "the backlog drained")
    assert s3.get_object(Bucket=point.west, Key="waiting")["Body"].read() == (
        b"copied once a gateway runs"
    )
