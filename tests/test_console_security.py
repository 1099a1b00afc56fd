"""The web console's defences over HTTP: every state-changing route of the application refuses
a form without its CSRF token and a request from another origin; an expired session is refused;
text users control (metadata, policy statements, ARNs with an IAM path, query parameters and
names echoed in AWS's errors) is escaped, never markup."""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from aiohttp import web
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway, free_port
from consolehttp import ConsoleBrowser, wait_for_port
from test_console import bucket_exists, iam

from mrap.console.app import create_app
from mrap.console.sessions import SessionStore
from mrap.console.web import STATE

ACCOUNT = "111122223333"
PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def state_changing_routes() -> list[tuple[str, str]]:
    """(method, path pattern) of every route of the console that is not a safe method, read
    from the application's own router, so that a new form cannot be left out."""
    app = create_app("127.0.0.1:1", "localhost", ("us-east-1",))
    found = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method not in _SAFE_METHODS and route.resource is not None
    }
    return sorted(found)


def fill(pattern: str, values: dict[str, str]) -> str:
    """A concrete path for a route pattern such as `/iam/{kinds}/{name}/keys`."""
    return _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), pattern)


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body of plain fields, and its content type."""
    boundary = "----mrap" + secrets.token_hex(8)
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_every_state_changing_route_refuses_missing_tokens_and_other_origins(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    routes = state_changing_routes()
    assert len(routes) >= 20 and all(method == "POST" for method, _ in routes), routes
    target = f"walk-{secrets.token_hex(3)}"
    fresh = f"walk-new-{secrets.token_hex(3)}"
    s3 = gw.client()
    s3.create_bucket(Bucket=target)
    s3.put_object(Bucket=target, Key="keep.txt", Body=b"kept")
    iam(gw).create_user(UserName=target)
    values = {"bucket": target, "name": target, "kinds": "users"}
    allow = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    # What each form would need to act on the bucket and user above, had the guard let it in.
    fields = {
        "name": fresh,
        "region": "us-east-1",
        "confirm": target,
        "key": "keep.txt",
        "policy": allow,
        "policy_name": "everything",
        "document": allow,
        "payer": "Requester",
        "BlockPublicAcls": "on",
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "next": "/",
    }
    token = browser.get("/buckets").csrf()
    for method, pattern in routes:
        path = fill(pattern, values)
        public = pattern == "/signin"  # no session yet, so no token: the Origin check guards it
        if not public:
            bare = browser.post(path, fields)
            assert bare.status == 403 and "security token" in bare.text, (path, bare.status)
            body, content_type = multipart(fields)
            streamed = browser.request(
                method, path, body, {"Content-Type": content_type, "Origin": browser.origin}
            )
            assert streamed.status == 403 and "security token" in streamed.text, path
        with_token = {**fields, "csrf": token}
        foreign = browser.post(path, with_token, origin="http://evil.example")
        assert foreign.status == 403 and "another site" in foreign.text, (path, foreign.status)
        null = browser.post(path, with_token, origin="null")  # a sandboxed frame's origin
        assert null.status == 403, path
        referred = browser.request(
            method,
            path,
            b"csrf=" + token.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": "http://evil.example/form",
            },
        )
        assert referred.status == 403 and "another site" in referred.text, path

    assert browser.get("/buckets").status == 200  # Sign out was refused too
    assert s3.get_object(Bucket=target, Key="keep.txt")["Body"].read() == b"kept"
    assert not bucket_exists(gw, fresh)
    assert s3.get_bucket_request_payment(Bucket=target)["Payer"] == "BucketOwner"
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=target)
    user = iam(gw)
    assert user.list_user_policies(UserName=target)["PolicyNames"] == []
    assert user.list_access_keys(UserName=target)["AccessKeyMetadata"] == []
    assert not [u for u in user.list_users()["Users"] if u["UserName"] == fresh]


@contextmanager
def console_with_idle(gw: Gateway, idle: float) -> Iterator[int]:
    """The console application served in this process for `gw`, with sessions that end after
    `idle` seconds without a request (12 h in `mrap serve`); yields its port."""
    app = create_app(f"127.0.0.1:{gw.port}", "localhost", ("us-east-1", "eu-west-1"))
    app[STATE].sessions = SessionStore(idle=idle)
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=20)
        loop.close()


def test_an_expired_session_is_refused(gw: Gateway) -> None:
    with console_with_idle(gw, idle=1.0) as port:
        browser = ConsoleBrowser(port)
        assert browser.sign_in(ACCESS_KEY, SECRET_KEY).status == 303
        token = browser.get("/create/bucket").csrf()
        assert browser.get("/buckets").status == 200  # each request restarts the idle clock
        time.sleep(1.5)
        page = browser.get("/buckets")
        assert page.status == 303 and page.location.startswith("/signin")
        bucket = f"expired-{secrets.token_hex(3)}"
        post = browser.post(
            "/create/bucket", {"csrf": token, "name": bucket, "region": "us-east-1"}
        )
        assert post.status == 303 and post.location.startswith("/signin")
        assert not bucket_exists(gw, bucket)


def assert_escaped(text: str) -> None:
    """The payload shows as text, and nowhere as an element."""
    assert ESCAPED in text
    assert "<img" not in text


def test_metadata_and_policy_text_are_escaped(browser: ConsoleBrowser, gw: Gateway) -> None:
    bucket = f"escape-{secrets.token_hex(3)}"
    s3 = gw.client()
    s3.create_bucket(Bucket=bucket)
    # S3's tag alphabet has no `<`, `>` or quotes; user metadata and policies can hold them.
    s3.put_object(
        Bucket=bucket, Key="note.txt", Body=b"x", Metadata={"note": PAYLOAD}, Tagging="a=b+c"
    )
    details = browser.get(f"/buckets/{bucket}/object?key=note.txt")
    assert details.status == 200
    assert_escaped(details.text)
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Sid":"' + PAYLOAD + '",'
        '"Effect":"Deny","Principal":"*","Action":"s3:GetObject",'
        f'"Resource":"arn:aws:s3:::{bucket}/*",'
        '"Condition":{"StringEquals":{"aws:UserAgent":"' + PAYLOAD + '"}}}]}'
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    permissions = browser.get(f"/buckets/{bucket}?tab=permissions")
    assert permissions.status == 200
    assert permissions.text.count(ESCAPED) >= 2  # the Sid and the condition value
    assert "<img" not in permissions.text
    editor = browser.get(f"/buckets/{bucket}/policy")
    assert editor.status == 200
    assert_escaped(editor.text)
    # A policy the gateway refuses is shown back in the editor, still as text.
    refused = browser.submit(
        f"/buckets/{bucket}/policy", f"/buckets/{bucket}/policy", {"policy": PAYLOAD}
    )
    assert refused.status == 400 and "MalformedPolicy" in refused.text
    assert_escaped(refused.text)
    point = browser.submit(
        "/mraps", f"/mraps/{quote(PAYLOAD, safe='')}/policy", {"policy": PAYLOAD}
    )
    assert point.status == 404 and "NoSuchMultiRegionAccessPoint" in point.text
    assert "<img" not in point.text


def test_query_parameters_and_names_in_errors_are_escaped(
    browser: ConsoleBrowser, gw: Gateway
) -> None:
    bucket = f"escape-q-{secrets.token_hex(3)}"
    gw.client().create_bucket(Bucket=bucket)
    folder = browser.get(f"/buckets/{bucket}?prefix=" + quote(PAYLOAD + "/", safe=""))
    assert folder.status == 200
    assert_escaped(folder.text)
    message = browser.get(f"/buckets/{bucket}?message=" + quote(PAYLOAD, safe=""))
    assert_escaped(message.text)
    for path in (
        "/buckets/" + quote(PAYLOAD, safe=""),
        "/mraps/" + quote(PAYLOAD, safe=""),
        "/iam/users/" + quote(PAYLOAD, safe=""),
        f"/buckets/{bucket}/object?key=" + quote(PAYLOAD, safe=""),
    ):
        page = browser.get(path)
        assert page.status in (400, 404), (path, page.status)
        assert "<img" not in page.text, path
    # A name the gateway refuses comes back in its error text, escaped.
    created = browser.submit("/create/bucket", "/create/bucket", {"name": PAYLOAD})
    assert created.status == 400 and "InvalidBucketName" in created.text
    assert_escaped(created.text)
    user = browser.submit("/iam/users", "/iam/users", {"name": PAYLOAD})
    assert user.status == 400 and "ValidationError" in user.text
    assert_escaped(user.text)


def test_an_iam_path_in_an_arn_is_escaped(browser: ConsoleBrowser, gw: Gateway) -> None:
    name = f"escape-path-{secrets.token_hex(3)}"
    path = "/<svg/onload=alert(1)>/"
    iam(gw).create_user(UserName=name, Path=path)
    arn = f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
    for page in (browser.get("/iam/users"), browser.get(f"/iam/users/{name}")):
        assert page.status == 200
        assert arn.replace("<", "&lt;").replace(">", "&gt;") in page.text
        assert "<svg" not in page.text
