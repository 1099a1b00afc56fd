"""The web console's Replication and failover, Operations and Add statement, over HTTP: failover
with confirmation seen by the data plane, `mrap replicate` as a button, the replication chart
from `/metrics`, every operation of an access point, statements merged into the editor."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from consolehttp import ConsoleBrowser, start_console_gateway
from test_console import s3control

from mrap.console.charts import line_chart
from mrap.console.replication_history import HOUR, History, parse_metrics

ACCOUNT = "111122223333"


def _routes(gw: Gateway) -> BaseClient:
    """S3 Control signed for a failover-control region (us-east-1), as route calls must be."""
    return boto3.client(
        "s3control",
        endpoint_url=f"http://localhost:{gw.port}",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(proxies={"http": gw.endpoint}, retries={"max_attempts": 1}),
    )


class AccessPoint:
    """An access point over a us-east-1 and an eu-west-1 bucket, made with boto3."""

    def __init__(self, gw: Gateway) -> None:
        s3 = gw.client()
        suffix = secrets.token_hex(3)
        self.east, self.west = f"fo-east-{suffix}", f"fo-eu-{suffix}"
        s3.create_bucket(Bucket=self.east)
        s3.create_bucket(
            Bucket=self.west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        self.name = f"fo-{suffix}"
        control = s3control(gw)
        token = control.create_multi_region_access_point(
            AccountId=ACCOUNT,
            Details={"Name": self.name, "Regions": [{"Bucket": self.east}, {"Bucket": self.west}]},
        )["RequestTokenARN"]
        deadline = time.monotonic() + 30
        while (
            control.describe_multi_region_access_point_operation(
                AccountId=ACCOUNT, RequestTokenARN=token
            )["AsyncOperation"]["RequestStatus"]
            != "SUCCEEDED"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        report = control.get_multi_region_access_point(AccountId=ACCOUNT, Name=self.name)
        self.alias: str = report["AccessPoint"]["Alias"]
        self.arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{self.alias}"

    def dials(self, gw: Gateway) -> dict[str, int]:
        routes = _routes(gw).get_multi_region_access_point_routes(AccountId=ACCOUNT, Mrap=self.arn)
        return {r["Region"]: r["TrafficDialPercentage"] for r in routes["Routes"]}


def test_failover_asks_for_confirmation_then_routes_requests_elsewhere(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    point = AccessPoint(gw)
    tab = browser.get(f"/mraps/{point.name}?tab=replication")
    assert tab.status == 200
    assert re.search(r'id="route-us-east-1">Active<', tab.text)
    assert re.search(r'id="route-eu-west-1">Active<', tab.text)
    assert "No replication rules among these buckets" in tab.text

    confirm = browser.get(f"/mraps/{point.name}/failover?active={point.west}")
    assert confirm.status == 200
    assert re.search(r'id="after-us-east-1">Passive<', confirm.text)
    assert re.search(r'id="after-eu-west-1">Active<', confirm.text)
    assert point.dials(gw) == {"us-east-1": 100, "eu-west-1": 100}  # nothing changed yet

    no_token = browser.post(f"/mraps/{point.name}/routes", {"active": point.west})
    assert no_token.status == 403
    assert point.dials(gw) == {"us-east-1": 100, "eu-west-1": 100}

    done = browser.post(
        f"/mraps/{point.name}/routes", {"csrf": confirm.csrf(), "active": point.west}
    )
    assert done.status == 303 and "tab=replication" in done.location
    assert point.dials(gw) == {"us-east-1": 0, "eu-west-1": 100}
    routed = gw.client().list_objects_v2(Bucket=point.alias)
    assert routed["ResponseMetadata"]["HTTPHeaders"]["x-mrap-routed-region"] == "eu-west-1"
    after = browser.get(done.location)
    assert "Routing updated. Active: eu-west-1." in after.text
    assert re.search(r'id="route-us-east-1">Passive<', after.text)

    # No active region at all: the gateway's InvalidRequest, on the confirmation page.
    refused = browser.post(f"/mraps/{point.name}/routes", {"csrf": confirm.csrf()})
    assert refused.status == 400 and "InvalidRequest" in refused.text
    assert point.dials(gw) == {"us-east-1": 0, "eu-west-1": 100}


def test_replicate_button_sets_up_rules_shown_on_the_tab(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    point = AccessPoint(gw)
    tab = browser.get(f"/mraps/{point.name}?tab=replication")
    done = browser.post(f"/mraps/{point.name}/replicate", {"csrf": tab.csrf()})
    assert done.status == 303
    rules = gw.client().get_bucket_replication(Bucket=point.east)["ReplicationConfiguration"]
    assert [r["Destination"]["Bucket"] for r in rules["Rules"]] == [f"arn:aws:s3:::{point.west}"]
    page = browser.get(done.location)
    configured = re.search(r"Replication configured among ([^;]*);", unescape(page.text))
    assert configured is not None
    assert sorted(configured[1].split(", ")) == sorted([point.east, point.west])
    rows = re.findall(r'<tr class="rule">(.*?)</tr>', page.text, re.S)
    assert len(rows) == 2
    assert point.west in rows[0] and point.east in rows[1]
    assert "No replication rules" not in page.text
    assert 'role="img"' in page.text and "Replication backlog (versions)" in page.text


def _operation_rows(browser: ConsoleBrowser, name: str) -> list[str]:
    tab = browser.get(f"/mraps/{name}?tab=operations")
    assert tab.status == 200
    return re.findall(r"<tr>(.*?)</tr>", tab.text.split("<tbody>")[-1], re.S)


def test_operations_tab_lists_every_operation_of_the_access_point(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    point = AccessPoint(gw)
    # Made with boto3, not by the console: the tab lists it all the same.
    (created,) = _operation_rows(browser, point.name)
    assert "CreateMultiRegionAccessPoint" in created and "SUCCEEDED" in created
    assert "async-request/mrap/create/" in created
    saved = browser.submit(
        f"/mraps/{point.name}/policy",
        f"/mraps/{point.name}/policy",
        {"policy": '{"Version": "2012-10-17"}'},
    )
    assert saved.status == 400  # MalformedPolicy: no operation started
    assert len(_operation_rows(browser, point.name)) == 1
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject",
        "Resource": f"{point.arn}/object/*",
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    token = s3control(gw).put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": point.name, "Policy": policy}
    )["RequestTokenARN"]
    deadline = time.monotonic() + 30
    while True:
        rows = _operation_rows(browser, point.name)
        assert len(rows) == 2 and "CreateMultiRegionAccessPoint" in rows[1]
        assert "PutMultiRegionAccessPointPolicy" in rows[0] and token in unescape(rows[0])
        if "SUCCEEDED" in rows[0]:
            break
        assert "INPROGRESS" in rows[0] and time.monotonic() < deadline
        time.sleep(0.2)
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}T', rows[0])  # its creation time


def editor_text(html: str) -> str:
    """The policy editor's text in a page."""
    found = re.search(r'id="policy"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return unescape(found[1])


def test_add_statement_merges_into_the_editor_without_saving(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    point = AccessPoint(gw)
    form = browser.get(f"/mraps/{point.name}/policy")
    assert f"{point.arn}\n{point.arn}/object/*</textarea>" in form.text  # resources prefilled
    assert '<option value="s3:GetObject">' in form.text
    current = editor_text(form.text)
    fields = [
        ("csrf", form.csrf()),
        ("policy", current),
        ("effect", "Deny"),
        ("principal", "444455556666"),
        ("action", "s3:PutObject"),
        ("action", "s3:DeleteObject"),
        ("resources", f"{point.arn}/object/*"),
    ]
    merged = browser.post(f"/mraps/{point.name}/policy/statement", fields)
    assert merged.status == 200
    document = json.loads(editor_text(merged.text))
    assert document["Statement"][-1] == {
        "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["s3:PutObject", "s3:DeleteObject"],
        "Resource": f"{point.arn}/object/*",
    }
    assert len(document["Statement"]) == 2  # the starting document's statement is kept
    policy = s3control(gw).get_multi_region_access_point_policy(AccountId=ACCOUNT, Name=point.name)
    assert "Established" not in policy["Policy"] or not policy["Policy"]["Established"].get(
        "Policy"
    )  # nothing saved

    broken = browser.post(
        f"/mraps/{point.name}/policy/statement",
        [
            ("csrf", form.csrf()),
            ("policy", "{not json"),
            ("effect", "Allow"),
            ("principal", "*"),
            ("action", "s3:GetObject"),
            ("resources", point.arn),
        ],
    )
    assert broken.status == 400 and "not valid JSON" in broken.text
    assert "{not json</textarea>" in broken.text  # the text is kept for fixing
    unknown = browser.post(
        f"/mraps/{point.name}/policy/statement",
        [
            ("csrf", form.csrf()),
            ("policy", ""),
            ("effect", "Allow"),
            ("principal", "*"),
            ("action", "s3:CreateBucket"),
            ("resources", point.arn),
        ],
    )
    assert unknown.status == 400 and "Choose one or more actions" in unknown.text


def _mark_region(gw: Gateway, state: str, region: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "mrap", "region", state, region, "--data-dir", str(gw.data_dir)],
        env=gw.env,
        check=True,
        capture_output=True,
    )


def test_the_chart_shows_the_backlog_of_a_region_that_is_down(tmp_path: Path) -> None:
    gw, port = start_console_gateway(tmp_path)
    try:
        browser = ConsoleBrowser(port)
        assert browser.sign_in(ACCESS_KEY, SECRET_KEY).status == 303
        point = AccessPoint(gw)
        tab = browser.get(f"/mraps/{point.name}?tab=replication")
        assert "Replication backlog (versions) over the last hour; now 0" in tab.text
        assert browser.post(f"/mraps/{point.name}/replicate", {"csrf": tab.csrf()}).status == 303
        _mark_region(gw, "down", "eu-west-1")  # copies to it wait until it is back
        time.sleep(1.5)  # the gateway notices within its health-check interval
        for index in range(3):
            gw.client().put_object(Bucket=point.east, Key=f"k{index}", Body=b"x")
        deadline = time.monotonic() + 20
        while True:
            time.sleep(2.1)  # a page takes a fresh sample when the last is 2 s old
            page = browser.get(f"/mraps/{point.name}?tab=replication")
            if "Replication backlog (versions) over the last hour; now 3" in page.text:
                break
            assert time.monotonic() < deadline, re.findall(r'aria-label="([^"]*)"', page.text)
        assert re.search(r'<polyline class="line" points="[\d., ]+"/>', page.text)
    finally:
        gw.stop()


def test_metrics_parsing_and_the_hour_window() -> None:
    text = (
        "# HELP x\n"
        'mrap_replication_pending_operations{region="us-east-1",bucket="a",destination="b",'
        'rule="r \\"1\\""} 2\n'
        'mrap_replication_in_flight_operations{region="us-east-1",bucket="a",destination="b",'
        'rule="r"} 1\n'
        'mrap_replication_backfill_versions{region="us-east-1",bucket="a"} 4\n'
        'mrap_replication_latency_seconds{region="us-east-1",bucket="a",destination="b",'
        'rule="r",quantile="last"} 0.25\n'
        'mrap_replication_latency_seconds{region="us-east-1",bucket="a",destination="b",'
        'rule="r",quantile="0.99"} 9\n'
        'mrap_replication_pending_operations{region="eu-west-1",bucket="c",destination="a",'
        'rule="r"} 5\n'
    )
    now = 10_000.0
    history = History()
    history.add(parse_metrics(text, now - HOUR - 1))
    history.add(parse_metrics(text, now))
    points = history.points(["a"], now)
    assert [(p.backlog, p.latency) for p in points] == [(7.0, 0.25)]  # the older one left
    assert history.points(["a", "c"], now)[0].backlog == 12.0
    chart = line_chart([(now - 60, 3.0), (now, 7.0)], now, "Backlog", str)
    assert 'aria-label="Backlog over the last hour; now 7.0"' in chart
    assert ">10.0</text>" in chart  # the axis tops at a round number above the largest value
    assert "<script" not in chart
