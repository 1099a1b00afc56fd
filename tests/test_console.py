"""The web console over HTTP: sign-in, sessions, CSRF and Origin checks, rate limit, escaping,
and Multi-Region Access Points and objects managed through it, checked with boto3."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from consolehttp import ConsoleBrowser, start_console_gateway

from mrap.console.client import Credentials
from mrap.console.sessions import SessionStore

ACCOUNT = "111122223333"


@pytest.fixture
def anonymous(console_gateway: tuple[Gateway, int]) -> ConsoleBrowser:
    return ConsoleBrowser(console_gateway[1])


def s3control(gw: Gateway) -> BaseClient:
    return boto3.client(
        "s3control",
        endpoint_url=f"http://localhost:{gw.port}",
        region_name="us-west-2",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(proxies={"http": gw.endpoint}, retries={"max_attempts": 1}),
    )


def iam(gw: Gateway) -> BaseClient:
    return boto3.client(
        "iam",
        endpoint_url=f"http://iam.localhost:{gw.port}",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(proxies={"http": gw.endpoint}, retries={"max_attempts": 1}),
    )


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def bucket_exists(gw: Gateway, bucket: str) -> bool:
    try:
        gw.client().head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True


def test_sign_in_sets_a_strict_http_only_session_cookie(anonymous: ConsoleBrowser) -> None:
    page = anonymous.sign_in(ACCESS_KEY, SECRET_KEY)
    assert page.status == 303 and page.location == "/mraps"
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("mrap_console=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    listing = anonymous.get("/mraps")
    assert listing.status == 200
    assert f"arn:aws:iam::{ACCOUNT}:root" in listing.text
    assert "Content-Security-Policy" in listing.headers


def test_bad_keys_show_the_gateways_error_and_start_no_session(
    anonymous: ConsoleBrowser,
) -> None:
    page = anonymous.sign_in(ACCESS_KEY, "not-the-secret-0000000000000000000000000")
    assert page.status == 401
    assert "SignatureDoesNotMatch" in page.text
    assert "mrap_console" not in anonymous.cookies
    unknown = anonymous.sign_in("AKIANOSUCHKEY0000000", SECRET_KEY)
    assert unknown.status == 401 and "InvalidClientTokenId" in unknown.text
    assert anonymous.get("/mraps").status == 303


def test_requests_without_a_session_go_to_sign_in(anonymous: ConsoleBrowser, gw: Gateway) -> None:
    page = anonymous.get("/buckets?x=1")
    assert page.status == 303
    assert page.location == "/signin?next=" + quote("/buckets?x=1", safe="")
    bucket = name("nosession")
    post = anonymous.post("/create/bucket", {"name": bucket, "region": "us-east-1"})
    assert post.status == 303 and post.location.startswith("/signin")
    assert not bucket_exists(gw, bucket)


def test_a_forged_session_is_refused(anonymous: ConsoleBrowser) -> None:
    anonymous.cookies["mrap_console"] = secrets.token_urlsafe(32)
    assert anonymous.get("/mraps").status == 303


def test_sign_out_ends_the_session(browser: ConsoleBrowser) -> None:
    stolen = dict(browser.cookies)
    page = browser.submit("/mraps", "/signout", {})
    assert page.status == 303 and page.location == "/signin"
    assert "mrap_console" not in browser.cookies
    browser.cookies.update(stolen)  # the old cookie no longer opens a session
    assert browser.get("/mraps").status == 303


def test_a_form_without_its_csrf_token_changes_nothing(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    bucket = name("nocsrf")
    page = browser.post("/create/bucket", {"name": bucket, "region": "us-east-1"})
    assert page.status == 403 and "security token" in page.text
    wrong = browser.post(
        "/create/bucket", {"csrf": "x" * 43, "name": bucket, "region": "us-east-1"}
    )
    assert wrong.status == 403
    assert not bucket_exists(gw, bucket)


def test_another_origin_is_refused_even_with_the_token(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    bucket = name("origin")
    token = browser.get("/create/bucket").csrf()
    fields = {"csrf": token, "name": bucket, "region": "us-east-1"}
    page = browser.post("/create/bucket", fields, origin="http://evil.example")
    assert page.status == 403 and "another site" in page.text
    assert not bucket_exists(gw, bucket)
    done = browser.post("/create/bucket", fields)
    assert done.status == 303
    assert bucket_exists(gw, bucket)


def test_session_expires_after_idle_time() -> None:
    store = SessionStore(idle=0.2)
    session_id, _ = store.create(Credentials("AKIA", "secret"), ACCOUNT, "arn")
    assert store.get(session_id) is not None
    time.sleep(0.3)
    assert store.get(session_id) is None


def test_failed_sign_ins_are_rate_limited(tmp_path: Path) -> None:
    gw, port = start_console_gateway(tmp_path)
    try:
        browser = ConsoleBrowser(port)
        for _ in range(5):
            assert (
                browser.sign_in(ACCESS_KEY, "wrong-secret-00000000000000000000000000").status == 401
            )
        blocked = browser.sign_in(ACCESS_KEY, SECRET_KEY)  # even the right keys, for now
        assert blocked.status == 429
        assert "Too many failed sign-in attempts" in blocked.text
        assert "mrap_console" not in browser.cookies
    finally:
        gw.stop()


def test_create_a_multi_region_access_point_and_wait_for_it(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    s3 = gw.client()
    east, west = name("cons-east"), name("cons-eu")
    s3.create_bucket(Bucket=east)
    s3.create_bucket(Bucket=west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    form = browser.get("/create/mrap")
    assert form.status == 200
    assert east in form.text and "eu-west-1" in form.text
    # Block Public Access is all on by default, with the warning that it cannot change later.
    assert (
        form.text.count('type="checkbox" id="Block')
        + form.text.count('type="checkbox" id="Ignore')
        + form.text.count('type="checkbox" id="Restrict')
        == 4
    )
    assert len(re.findall(r'id="(?:Block|Ignore|Restrict)\w+" name="\w+" checked', form.text)) == 4
    assert "can't change its Block Public Access settings" in form.text
    point = name("console")
    fields = [
        ("csrf", form.csrf()),
        ("name", point),
        ("bucket", east),
        ("bucket", west),
        *[
            (s, "on")
            for s in (
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            )
        ],
    ]
    created = browser.post("/create/mrap", fields)
    assert created.status == 303 and created.location.startswith("/operation?arn=")
    token = parse_qs(urlsplit(created.location).query)["arn"][0]
    assert token.startswith(f"arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/create/")
    deadline = time.monotonic() + 30
    while True:
        page = browser.get(created.location)
        assert page.status == 200
        status = re.search(r'id="operation-status"[^>]*>(\w+)<', page.text)
        assert status is not None
        if status.group(1) == "SUCCEEDED":
            assert 'http-equiv="refresh"' not in page.text
            break
        assert 'http-equiv="refresh"' in page.text  # it keeps waiting
        assert time.monotonic() < deadline
        time.sleep(0.2)
    report = s3control(gw).get_multi_region_access_point(AccountId=ACCOUNT, Name=point)
    assert report["AccessPoint"]["Status"] == "READY"
    alias = report["AccessPoint"]["Alias"]
    listing = browser.get("/mraps")
    assert point in listing.text and f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}" in listing.text
    assert "READY" in listing.text
    details = browser.get(f"/mraps/{point}")
    assert f"{alias}.accesspoint.s3-global.amazonaws.com" in details.text
    assert east in details.text and "eu-west-1" in details.text

    # Permissions: an invalid policy shows the gateway's MalformedPolicy text inline.
    bad = browser.submit(
        f"/mraps/{point}/policy", f"/mraps/{point}/policy", {"policy": '{"Version": "2012-10-17"}'}
    )
    assert bad.status == 400
    assert "MalformedPolicy" in bad.text
    assert "&#34;Version&#34;: &#34;2012-10-17&#34;" in bad.text  # the text is kept, escaped
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
        f'"arn:aws:iam::{ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"{arn}/object/*"}}]}}'
    )
    good = browser.submit(f"/mraps/{point}/policy", f"/mraps/{point}/policy", {"policy": policy})
    assert good.status == 303 and "put-policy" in good.location
    deadline = time.monotonic() + 30
    while "SUCCEEDED" not in browser.get(good.location).text:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    permissions = browser.get(f"/mraps/{point}?tab=permissions")
    assert '"s3:GetObject"' in permissions.text.replace("&#34;", '"')
    assert "Not public" in permissions.text

    # Delete asks for the name first.
    refused = browser.submit(f"/mraps/{point}/delete", f"/mraps/{point}/delete", {"confirm": "no"})
    assert refused.status == 400
    deleted = browser.submit(f"/mraps/{point}/delete", f"/mraps/{point}/delete", {"confirm": point})
    assert (
        deleted.status == 303 and "/delete/" in parse_qs(urlsplit(deleted.location).query)["arn"][0]
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            s3control(gw).get_multi_region_access_point(AccountId=ACCOUNT, Name=point)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "NoSuchMultiRegionAccessPoint"
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_user_without_permissions_sees_access_denied(
    console_gateway: tuple[Gateway, int], gw: Gateway
) -> None:
    client = iam(gw)
    user = name("console-user")
    client.create_user(UserName=user)
    key = client.create_access_key(UserName=user)["AccessKey"]
    browser = ConsoleBrowser(console_gateway[1])
    assert browser.sign_in(key["AccessKeyId"], key["SecretAccessKey"]).status == 303
    page = browser.get("/mraps")
    assert page.status == 403
    assert "AccessDenied" in page.text and "Traceback" not in page.text
    assert f"arn:aws:iam::{ACCOUNT}:user/{user}" in page.text
    buckets = browser.get("/buckets")
    assert buckets.status == 403 and "AccessDenied" in buckets.text
    bucket = name("denied")
    made = browser.submit(
        "/create/bucket", "/create/bucket", {"name": bucket, "region": "us-east-1"}
    )
    assert made.status == 403 and "AccessDenied" in made.text
    assert not bucket_exists(gw, bucket)


def test_html_in_an_object_key_is_escaped(browser: ConsoleBrowser, gw: Gateway) -> None:
    bucket = name("escape")
    s3 = gw.client()
    s3.create_bucket(Bucket=bucket)
    key = "<img src=x onerror=alert(1)>"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    page = browser.get(f"/buckets/{bucket}")
    assert page.status == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<img" not in page.text


def test_upload_browse_download_and_delete_objects(browser: ConsoleBrowser, gw: Gateway) -> None:
    bucket = name("objects")
    created = browser.submit(
        "/create/bucket", "/create/bucket", {"name": bucket, "region": "us-west-2"}
    )
    assert created.status == 303
    assert gw.client().get_bucket_location(Bucket=bucket)["LocationConstraint"] == "us-west-2"
    listing = browser.get("/buckets")
    assert bucket in listing.text and "us-west-2" in listing.text
    empty = browser.get(f"/buckets/{bucket}")
    assert "No objects in this bucket" in empty.text
    data = secrets.token_bytes(3 << 20)
    uploaded = browser.upload(f"/buckets/{bucket}/upload", empty.csrf(), "dir/", "a b+c.bin", data)
    assert uploaded.status == 303
    stored = gw.client().get_object(Bucket=bucket, Key="dir/a b+c.bin")["Body"].read()
    assert stored == data
    top = browser.get(f"/buckets/{bucket}")
    assert "dir/" in top.text
    inside = browser.get(f"/buckets/{bucket}?prefix=dir%2F")
    assert "a b+c.bin" in inside.text and "3.0 MB" in inside.text
    download = browser.get(f"/buckets/{bucket}/download?key=" + quote("dir/a b+c.bin", safe=""))
    assert download.status == 200 and download.body == data
    assert download.headers["Content-Disposition"].startswith("attachment;")
    no_token = browser.upload(f"/buckets/{bucket}/upload", "", "", "evil.txt", b"x")
    assert no_token.status == 403
    assert "Contents" not in gw.client().list_objects_v2(Bucket=bucket, Prefix="evil")
    deleted = browser.submit(
        f"/buckets/{bucket}?prefix=dir%2F",
        f"/buckets/{bucket}/objects/delete",
        {"key": "dir/a b+c.bin"},
    )
    assert deleted.status == 303
    assert gw.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    gone = browser.submit(
        f"/buckets/{bucket}/delete", f"/buckets/{bucket}/delete", {"confirm": bucket}
    )
    assert gone.status == 303
    assert not bucket_exists(gw, bucket)


def test_sts_session_credentials_sign_in_and_act_as_their_user(
    console_gateway: tuple[Gateway, int], gw: Gateway
) -> None:
    client = iam(gw)
    user = name("console-sts")
    client.create_user(UserName=user)
    allow = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )
    client.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=allow)
    key = client.create_access_key(UserName=user)["AccessKey"]
    sts = boto3.client(
        "sts",
        endpoint_url=gw.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    browser = ConsoleBrowser(console_gateway[1])
    without_token = browser.sign_in(creds["AccessKeyId"], creds["SecretAccessKey"])
    assert without_token.status == 401
    signed_in = browser.sign_in(
        creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    assert signed_in.status == 303
    page = browser.get("/buckets")
    assert page.status == 200 and f"arn:aws:iam::{ACCOUNT}:user/{user}" in page.text


def test_create_a_bucket_with_object_lock_and_object_ownership(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    form = browser.get("/create/bucket")
    assert (
        'id="ownership-BucketOwnerEnforced" name="ownership" value="BucketOwnerEnforced" checked'
        in (form.text)
    )
    assert 'id="object_lock" name="object_lock"' in form.text and "Enable Object Lock" in form.text
    locked = name("locked")
    created = browser.submit(
        "/create/bucket",
        "/create/bucket",
        {"name": locked, "region": "eu-west-1", "object_lock": "on", "ownership": "ObjectWriter"},
    )
    assert created.status == 303 and created.location == f"/buckets/{locked}"
    s3 = gw.client()
    assert s3.get_bucket_location(Bucket=locked)["LocationConstraint"] == "eu-west-1"
    lock = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    rules = s3.get_bucket_ownership_controls(Bucket=locked)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]

    plain = name("plain")
    assert (
        browser.submit("/create/bucket", "/create/bucket", {"name": plain, "region": "us-east-1"})
    ).status == 303
    with pytest.raises(ClientError) as missing:
        s3.get_object_lock_configuration(Bucket=plain)
    assert missing.value.response["Error"]["Code"] == "ObjectLockConfigurationNotFoundError"
    rules = s3.get_bucket_ownership_controls(Bucket=plain)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    # A value the gateway refuses comes back with its text, the choices kept, nothing created.
    bad = name("badowner")
    refused = browser.submit(
        "/create/bucket",
        "/create/bucket",
        {"name": bad, "region": "us-east-1", "object_lock": "on", "ownership": "Nobody"},
    )
    assert refused.status == 400
    assert "InvalidArgument" in refused.text and "x-amz-object-ownership" in refused.text
    assert 'id="object_lock" name="object_lock" aria-describedby' in refused.text
    assert re.search(r'id="object_lock"[^>]*checked', refused.text)
    assert not bucket_exists(gw, bad)
