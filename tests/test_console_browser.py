"""The web console in a real browser: Debian's Chromium driven by Playwright, against a real
gateway. Sign in, create a Multi-Region Access Point and wait for it, edit its policy with an
invalid then a valid document; no page may request any host but the console."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from consolehttp import start_console_gateway
from playwright.sync_api import ConsoleMessage, Page, Response, expect, sync_playwright

from mrap.console.app import create_app

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium (as root)",
        allow_module_level=True,
    )

ACCOUNT = "111122223333"
TIMEOUT_MS = 30_000
BROWSER_ZONE = "Asia/Kolkata"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, int]]:
    gw, port = start_console_gateway(tmp_path_factory.mktemp("console-browser"))
    yield gw, port
    gw.stop()


def _console_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _bad_asset(response: Response, problems: list[str]) -> None:
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} {response.url}")


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A fresh Chromium profile's page, the URLs it requested and the console errors it hit."""
    profile = tmp_path / "profile"
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            viewport={"width": 1280, "height": 800},
            # Not UTC, so that a time left in UTC would show.
            timezone_id=BROWSER_ZONE,
            locale="en-US",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            requested: list[str] = []
            problems: list[str] = []
            context.on("request", lambda request: requested.append(request.url))
            # A page answered with an error status (the editor showing MalformedPolicy) is
            # logged as a failed load; a failed asset is caught as a bad response instead.
            tab.on("console", lambda msg: _console_error(msg, problems))
            tab.on("response", lambda response: _bad_asset(response, problems))
            tab.on("pageerror", lambda exc: problems.append(str(exc)))
            yield tab, requested, problems
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def test_sign_in_create_an_access_point_and_edit_its_policy(
    console: tuple[Gateway, int], page: tuple[Page, list[str], list[str]]
) -> None:
    gw, port = console
    tab, requested, problems = page
    origin = f"http://127.0.0.1:{port}"
    s3 = gw.client()
    east, eu = f"browser-east-{secrets.token_hex(3)}", f"browser-eu-{secrets.token_hex(3)}"
    s3.create_bucket(Bucket=east)
    s3.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    tab.goto(origin + "/")
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    tab.get_by_label("Access key ID").fill(ACCESS_KEY)
    tab.get_by_label("Secret access key").fill(SECRET_KEY)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Multi-Region Access Points")).to_be_visible()
    expect(tab.get_by_text(f"arn:aws:iam::{ACCOUNT}:root")).to_be_visible()

    tab.get_by_role("link", name="Create Multi-Region Access Point").click()
    name = f"browser-{secrets.token_hex(3)}"
    tab.get_by_label("Multi-Region Access Point name").fill(name)
    tab.get_by_label(east).check()
    tab.get_by_label(eu).check()
    for setting in (
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ):
        expect(tab.get_by_label(setting)).to_be_checked()
    expect(tab.get_by_text("you can't change its Block Public Access settings")).to_be_visible()
    tab.get_by_role("button", name="Create Multi-Region Access Point").click()
    expect(tab.locator("#operation-status")).to_have_text("SUCCEEDED", timeout=TIMEOUT_MS)

    tab.get_by_role("link", name=f"View {name}").click()
    expect(tab.get_by_text("READY", exact=True)).to_be_visible()
    alias = tab.locator("dd code").nth(1).inner_text()
    assert alias.endswith(".mrap")
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
    expect(tab.locator("#arn")).to_have_text(arn)

    tab.get_by_role("link", name="Permissions").click()
    expect(tab.locator("#policy-status")).to_have_text("Not public")
    tab.get_by_role("link", name="Edit").click()
    editor = tab.get_by_label("Policy")
    editor.fill('{"Version": "2012-10-17", "Statement": []}')
    tab.get_by_role("button", name="Save changes").click()
    expect(tab.get_by_role("alert")).to_contain_text("MalformedPolicy")
    expect(tab.get_by_label("Policy")).to_have_value('{"Version": "2012-10-17", "Statement": []}')
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject",
        "Resource": f"{arn}/object/*",
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    tab.get_by_label("Policy").fill(policy)
    tab.get_by_role("button", name="Save changes").click()
    expect(tab.locator("#operation-status")).to_have_text("SUCCEEDED", timeout=TIMEOUT_MS)
    tab.goto(f"{origin}/mraps/{name}?tab=permissions")
    expect(tab.locator("#policy")).to_contain_text(f"{arn}/object/*")
    screenshot(tab, "permissions")

    hosts = {urlsplit(url).netloc for url in requested if not url.startswith(("data:", "about:"))}
    assert hosts == {f"127.0.0.1:{port}"}, hosts
    assert not problems, problems  # no script error, no Content-Security-Policy violation
    assert re.search(r"/static/console\.(css|js)$", " ".join(requested))


def sign_in(tab: Page, origin: str, access_key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> None:
    """Sign in through the form."""
    tab.goto(origin + "/")
    tab.get_by_label("Access key ID").fill(access_key)
    tab.get_by_label("Secret access key").fill(secret)
    tab.get_by_role("button", name="Sign in").click()


def test_fail_over_and_the_next_request_goes_to_the_other_region(
    console: tuple[Gateway, int], page: tuple[Page, list[str], list[str]]
) -> None:
    gw, port = console
    tab, _, problems = page
    origin = f"http://127.0.0.1:{port}"
    s3 = gw.client()
    suffix = secrets.token_hex(3)
    east, eu, name = f"fo-east-{suffix}", f"fo-eu-{suffix}", f"fo-{suffix}"
    s3.create_bucket(Bucket=east)
    s3.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    sign_in(tab, origin)
    tab.get_by_role("link", name="Create Multi-Region Access Point").click()
    tab.get_by_label("Multi-Region Access Point name").fill(name)
    tab.get_by_label(east).check()
    tab.get_by_label(eu).check()
    tab.get_by_role("button", name="Create Multi-Region Access Point").click()
    expect(tab.locator("#operation-status")).to_have_text("SUCCEEDED", timeout=TIMEOUT_MS)
    tab.get_by_role("link", name=f"View {name}").click()
    alias = tab.locator("dd code").nth(1).inner_text()
    before = s3.list_objects_v2(Bucket=alias)["ResponseMetadata"]["HTTPHeaders"]
    assert before["x-mrap-routed-region"] == "us-east-1"  # the gateway's own region is closest

    tab.get_by_role("link", name="Replication and failover").click()
    expect(tab.locator("#route-us-east-1")).to_have_text("Active")
    tab.get_by_label("Active: us-east-1").uncheck()
    tab.get_by_role("button", name="Failover").click()
    expect(tab.get_by_role("heading", name="Confirm failover")).to_be_visible()
    expect(tab.locator("#after-us-east-1")).to_have_text("Passive")
    tab.get_by_role("button", name="Confirm failover").click()
    expect(tab.get_by_role("status")).to_contain_text("Active: eu-west-1")
    expect(tab.locator("#route-us-east-1")).to_have_text("Passive")
    after = s3.list_objects_v2(Bucket=alias)["ResponseMetadata"]["HTTPHeaders"]
    assert after["x-mrap-routed-region"] == "eu-west-1"

    tab.get_by_role("button", name="Replicate among all buckets").click()
    expect(tab.get_by_role("status")).to_contain_text("Replication configured among")
    expect(tab.locator("tr.rule")).to_have_count(2)
    expect(tab.get_by_role("img", name=re.compile("Replication backlog"))).to_be_visible()
    screenshot(tab, "replication-and-failover")
    tab.get_by_label("Main").get_by_role("link", name="Multi-Region Access Points").click()
    screenshot(tab, "multi-region-access-points")
    tab.get_by_role("link", name=name, exact=True).click()

    tab.get_by_role("link", name="Operations").click()
    expect(tab.get_by_text("CreateMultiRegionAccessPoint")).to_be_visible()
    assert not problems, problems


def test_upload_a_20_mib_file_with_progress_and_download_it_byte_identical(
    console: tuple[Gateway, int], page: tuple[Page, list[str], list[str]], tmp_path: Path
) -> None:
    gw, port = console
    tab, _, problems = page
    origin = f"http://127.0.0.1:{port}"
    bucket = f"browser-up-{secrets.token_hex(3)}"
    gw.client().create_bucket(Bucket=bucket)
    source = tmp_path / "twenty.bin"
    source.write_bytes(secrets.token_bytes(20 << 20))
    sign_in(tab, origin)
    tab.get_by_role("link", name="Buckets").click()
    tab.get_by_role("link", name=bucket, exact=True).click()
    expect(tab.get_by_text("No objects in this bucket")).to_be_visible()
    uploads: list[str] = []
    tab.on(
        "request",
        lambda request: (
            uploads.append(request.resource_type) if request.url.endswith("/upload") else None
        ),
    )
    tab.get_by_label("Files to upload").set_input_files(source)
    tab.get_by_role("button", name="Upload", exact=True).click()
    expect(tab.get_by_role("status")).to_contain_text("Uploaded twenty.bin", timeout=TIMEOUT_MS)
    assert uploads == ["xhr"]  # sent by the script that drives the progress bar
    expect(tab.get_by_text("20.0 MB")).to_be_visible()
    screenshot(tab, "objects")
    stored = gw.client().head_object(Bucket=bucket, Key="twenty.bin")
    assert stored["ETag"].endswith('-2"')  # over 16 MiB: streamed as a multipart upload
    with tab.expect_download() as download_info:
        tab.get_by_role("link", name="Download twenty.bin").click()
    saved = tmp_path / "downloaded.bin"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == source.read_bytes()
    assert not problems, problems


def test_a_new_iam_user_signs_in_and_sees_access_denied_also_on_a_phone(
    console: tuple[Gateway, int], page: tuple[Page, list[str], list[str]]
) -> None:
    _, port = console
    tab, _, problems = page
    origin = f"http://127.0.0.1:{port}"
    user = f"AppDataReader-{secrets.token_hex(2)}"
    sign_in(tab, origin)
    tab.get_by_role("link", name="IAM").click()
    tab.get_by_label("User name").fill(user)
    tab.get_by_role("button", name="Create user").click()
    expect(tab.get_by_role("heading", name=user)).to_be_visible()
    tab.get_by_role("button", name="Create access key").click()
    key_id = tab.locator("#new-key-id").inner_text()
    secret = tab.locator("#new-key-secret").inner_text()
    screenshot(tab, "iam-user")
    tab.get_by_role("button", name="Sign out").click()

    tab.set_viewport_size({"width": 375, "height": 740})
    sign_in(tab, origin, key_id, secret)
    expect(tab.get_by_role("heading", name="The request failed")).to_be_visible()
    expect(tab.get_by_role("alert")).to_contain_text("AccessDenied")
    expect(tab.get_by_role("alert")).to_contain_text(f"user/{user} is not authorized")
    # Readable on a phone: nothing is wider than the screen.
    assert tab.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(tab, "access-denied-phone")
    assert not problems, problems


def screenshot(tab: Page, name: str) -> None:
    """With MRAP_SCREENSHOTS=1, save the page as docs/console-NAME.png for the README."""
    if os.environ.get("MRAP_SCREENSHOTS") == "1":
        docs = Path(__file__).resolve().parent.parent / "docs"
        docs.mkdir(exist_ok=True)
        tab.screenshot(path=str(docs / f"console-{name}.png"), full_page=True)


# Roles of the controls a person operates; each needs a name a screen reader can say.
_CONTROL_ROLES = {
    "button",
    "checkbox",
    "combobox",
    "link",
    "listbox",
    "radio",
    "searchbox",
    "spinbutton",
    "textbox",
}
# GET routes that are not pages to look at: assets, a download, the sign-in form (seen signed
# out above), the home redirect.
_NOT_PAGES = {"/static", "/buckets/{bucket}/download", "/signin", "/"}


def _tab_to(tab: Page, element_id: str, presses: int = 30) -> list[str]:
    """Press Tab until the element with this id has focus; the ids (or texts) passed on the
    way. Each focused control must show a focus ring of at least 2 px."""
    passed: list[str] = []
    for _ in range(presses):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(
            """() => {
              const el = document.activeElement;
              const style = getComputedStyle(el);
              return [el.id || el.textContent.trim(), style.outlineStyle,
                      parseFloat(style.outlineWidth)];
            }"""
        )
        label, outline, width = focused
        assert outline != "none" and width >= 2, f"{label}: no visible focus ({outline} {width})"
        passed.append(label)
        if label == element_id:
            return passed
    raise AssertionError(f"Tab never reached #{element_id}: {passed}")


def _unnamed_controls(tab: Page) -> list[str]:
    """Controls of the page whose accessible name, as Chromium computes it, is empty."""
    cdp = tab.context.new_cdp_session(tab)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    controls = [
        node
        for node in nodes
        if not node.get("ignored") and node.get("role", {}).get("value") in _CONTROL_ROLES
    ]
    assert controls, "the accessibility tree has no controls"  # the navigation at least
    return [
        f"{node['role']['value']} {node.get('backendDOMNodeId')}"
        for node in controls
        if not str(node.get("name", {}).get("value", "")).strip()
    ]


def test_keyboard_labels_local_times_and_empty_states(
    tmp_path: Path, page: tuple[Page, list[str], list[str]]
) -> None:
    gateway_dir = tmp_path / "gateway"
    gateway_dir.mkdir()
    gw, port = start_console_gateway(gateway_dir)  # a new account: nothing in it yet
    try:
        _walk_as_a_person(gw, port, page)
    finally:
        gw.stop()


def _walk_as_a_person(gw: Gateway, port: int, page: tuple[Page, list[str], list[str]]) -> None:
    tab, _, problems = page
    origin = f"http://127.0.0.1:{port}"

    # Sign in with the keyboard alone: the key id field has focus, Tab goes through the form.
    tab.goto(origin + "/signin")
    expect(tab.get_by_label("Access key ID")).to_be_focused()
    tab.keyboard.type(ACCESS_KEY)
    assert _tab_to(tab, "secret_access_key") == ["secret_access_key"]
    tab.keyboard.type(SECRET_KEY)
    assert _tab_to(tab, "Sign in") == ["session_token", "Sign in"]
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", name="Multi-Region Access Points")).to_be_visible()

    # A new account: each list says what to do next.
    expect(tab.locator(".empty")).to_contain_text("No Multi-Region Access Points yet.")
    for path, advice in (
        ("/buckets", "No buckets yet. Create a bucket"),
        ("/create/mrap", "You have no buckets. Create a bucket in each Region first."),
        ("/iam/users", "No users yet. Create one below"),
        ("/iam/groups", "No groups yet."),
        ("/iam/roles", "No roles yet."),
    ):
        tab.goto(origin + path)
        expect(tab.locator(".empty")).to_contain_text(advice)

    # Create a bucket with the keyboard: every control of the form is a Tab stop, in order.
    bucket = f"keys-{secrets.token_hex(3)}"
    tab.goto(origin + "/create/bucket")
    _tab_to(tab, "name")
    tab.keyboard.type(bucket)
    assert _tab_to(tab, "Create bucket") == [
        "region",
        "ownership-BucketOwnerEnforced",  # a radio group is one stop; arrows choose within it
        "object_lock",
        "Create bucket",
    ]
    tab.keyboard.press("Shift+Tab")
    tab.keyboard.press("Space")
    tab.keyboard.press("Shift+Tab")
    tab.keyboard.press("ArrowDown")
    expect(tab.get_by_label("ACLs enabled: Bucket owner preferred")).to_be_checked()
    expect(tab.get_by_label("Enable Object Lock")).to_be_checked()
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", name=bucket)).to_be_visible()
    s3 = gw.client()
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]

    # Times are in the browser's zone; the UTC text stays as the tooltip.
    tab.goto(origin + "/buckets")
    created = s3.list_buckets()["Buckets"][0]["CreationDate"].astimezone(ZoneInfo(BROWSER_ZONE))
    shown = tab.locator("time").first
    expect(shown).to_contain_text(f"{created.hour % 12 or 12}:{created:%M:%S}")
    assert "UTC" in (shown.get_attribute("title") or "") and "UTC" not in shown.inner_text()

    # Every control of every page has an accessible name, and nothing is wider than a phone.
    s3.put_object(Bucket=bucket, Key="docs/readme.txt", Body=b"hello", Metadata={"a": "b"})
    point = f"keys-{secrets.token_hex(3)}"
    tab.goto(origin + "/create/mrap")
    tab.get_by_label("Multi-Region Access Point name").fill(point)
    tab.get_by_label(bucket).check()
    tab.get_by_role("button", name="Create Multi-Region Access Point").click()
    expect(tab.locator("#operation-status")).to_have_text("SUCCEEDED", timeout=TIMEOUT_MS)
    operation = urlsplit(tab.url)
    tab.goto(f"{origin}/iam/users")
    tab.get_by_label("User name").fill("Reader")
    tab.get_by_role("button", name="Create user").click()
    expect(tab.get_by_role("heading", name="Reader")).to_be_visible()
    pages = [
        "/mraps",
        "/create/mrap",
        f"/mraps/{point}",
        f"/mraps/{point}?tab=permissions",
        f"/mraps/{point}?tab=replication",
        f"/mraps/{point}?tab=operations",
        f"/mraps/{point}/policy",
        f"/mraps/{point}/failover",
        f"/mraps/{point}/delete",
        "/buckets",
        "/create/bucket",
        f"/buckets/{bucket}",
        f"/buckets/{bucket}?prefix=docs%2F",
        f"/buckets/{bucket}?versions=on",
        f"/buckets/{bucket}?tab=permissions",
        f"/buckets/{bucket}/policy",
        f"/buckets/{bucket}/object?key=docs%2Freadme.txt",
        f"/buckets/{bucket}/delete",
        "/account/public-access-block",
        "/iam/users",
        "/iam/users/Reader",
        "/iam/groups",
        "/iam/roles",
        f"{operation.path}?{operation.query}",
    ]
    visited = _route_patterns(pages)
    assert visited == _page_routes(), _page_routes() - visited  # a new page is walked too
    for width in (1280, 375):
        tab.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            response = tab.goto(origin + path)
            assert response is not None and response.status == 200, path
            assert _unnamed_controls(tab) == [], path
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
    assert not problems, problems


def _page_routes() -> set[str]:
    """The console's GET routes that are pages."""
    app = create_app("127.0.0.1:1", "localhost", ("us-east-1",))
    return {
        route.resource.canonical
        for route in app.router.routes()
        if route.method == "GET"
        and route.resource is not None
        and route.resource.canonical not in _NOT_PAGES
    }


def _route_patterns(paths: list[str]) -> set[str]:
    """Which route pattern each visited path matched."""
    app = create_app("127.0.0.1:1", "localhost", ("us-east-1",))
    found = set()
    for path in paths:
        bare = urlsplit(path).path
        for resource in app.router.resources():
            if resource.canonical in _NOT_PAGES:
                continue
            info = resource.get_info()
            pattern = info.get("pattern")
            if (pattern is not None and pattern.fullmatch(bare)) or info.get("path") == bare:
                found.add(resource.canonical)
                break
    return found
