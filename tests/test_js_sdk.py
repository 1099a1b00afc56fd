"""The seed documents' JavaScript SDK v3 examples, run unmodified with `node`.

Each example in tests/js/examples is the page's code with the imports it leaves out (and, for
the data plane, the call of the function it defines); only the page's placeholders (account
id, alias, bucket) are substituted. It runs in a shell that did `eval "$(mrap env)"` and
nothing else: the packages are the ones tests/js/package-lock.json pins (`make js`), SigV4A
comes from `@aws-sdk/signature-v4-crt`, and Node reaches the gateway through the preload
`mrap env` puts in NODE_OPTIONS.
"""

from __future__ import annotations

import fcntl
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient
from conftest import Gateway, make_gateway
from test_mrap_control import ACCOUNT, control, create, make_bucket, routes_of
from tunnel import clean_env

JS = Path(__file__).resolve().parent / "js"
EXAMPLES = JS / "examples"
NODE_MODULES = JS / "node_modules"
NODE = NODE_MODULES / ".bin" / "node"
LOCK = JS / "package-lock.json"
INSTALLED = NODE_MODULES / ".package-lock.json"  # written by npm ci, newer than the lock

# The seed pages' placeholders.
DOC_ACCOUNT = "123456789012"
DOC_ALIAS = "abcdef0123456.mrap"
DOC_BUCKET = "DOC-EXAMPLE-BUCKET1"
# The submit example names these two regions; the gateway serves them.
REGIONS_TOML = 'regions = ["us-east-1", "eu-west-1", "ca-central-1"]\n'
BODY = "Hello S3!"
BODY_ETAG = '"617816f3ed83459f40a7d4acc6e1a001"'  # MD5 of BODY


def install_packages() -> None:
    """`npm ci` in tests/js when node_modules is missing or older than the lock file (as
    `make js` does), once across test workers; skip only when npm is not there at all."""
    with open(JS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if INSTALLED.exists() and INSTALLED.stat().st_mtime >= LOCK.stat().st_mtime:
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: `make js` installs it (apt-get install npm)")
        subprocess.run(
            [npm, "ci", "--prefix", str(JS), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def js_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway serving the regions the seed examples name, changes effective at once."""
    install_packages()
    tmp = tmp_path_factory.mktemp("js-gateway")
    config = tmp / "regions.toml"
    config.write_text(REGIONS_TOML)
    gw = make_gateway(tmp, MRAP_CONFIG=str(config), MRAP_PROPAGATION_DELAY="0")
    gw.start()
    yield gw
    if gw.process is not None:
        gw.stop()


def node_env() -> dict[str, str]:
    """A shell environment with nothing of the test's own AWS, proxy or Node settings."""
    return {k: v for k, v in clean_env().items() if not k.startswith("NODE_")}


def run_node(gateway: Gateway, script: Path, node: Path = NODE, *, held_open: bool = False) -> str:
    """`eval "$(mrap env)"` then `node script` in a fresh shell; its output (stdout+stderr).

    `held_open`: the script logs one response and leaves its body unread, which keeps the
    connection, and so Node, alive until the server drops the idle connection; the output is
    returned once the logged response is complete and Node is stopped.
    """
    line = f"mrap env --data-dir {shlex.quote(str(gateway.data_dir))} --port {gateway.port}"
    process = subprocess.Popen(
        ["bash", "-c", f'eval "$({line})" && exec {shlex.quote(str(node))} {script.name}'],
        env=node_env(),
        cwd=script.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        output = []
        for text in process.stdout:
            output.append(text)
            if held_open and text == "}\n":  # the end of console.log(response)
                process.kill()
        code = process.wait()
    finally:
        watchdog.cancel()
    out = "".join(output)
    assert code == 0 or (held_open and out.endswith("}\n")), out
    return out


class Seed:
    """The seed examples with their placeholders replaced, in a folder that sees the pinned
    packages, over an access point whose buckets are in eu-west-1 and ca-central-1."""

    def __init__(self, gateway: Gateway, s3: BaseClient, folder: Path) -> None:
        self.ctl = control(gateway)
        self.eu = make_bucket(s3, "eu-west-1")
        self.ca = make_bucket(s3, "ca-central-1")
        name, _ = create(self.ctl, [self.eu, self.ca])
        point = self.ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)
        self.alias: str = point["AccessPoint"]["Alias"]
        self.arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{self.alias}"
        self.folder = folder
        (folder / "node_modules").symlink_to(NODE_MODULES)

    def example(self, name: str) -> Path:
        text = (EXAMPLES / name).read_text()
        for placeholder, value in (
            (DOC_ACCOUNT, ACCOUNT),
            (DOC_ALIAS, self.alias),
            (DOC_BUCKET, self.ca),
        ):
            text = text.replace(placeholder, value)
        path = self.folder / name
        path.write_text(text)
        return path


@pytest.fixture
def seed(js_gateway: Gateway, tmp_path: Path) -> Seed:
    return Seed(js_gateway, js_gateway.client(), tmp_path)


def dial(output: str, bucket: str) -> int:
    """A bucket's TrafficDialPercentage in a logged GetMultiRegionAccessPointRoutes result."""
    found = re.search(
        rf"TrafficDialPercentage: (\d+),\s+Bucket: '{re.escape(bucket)}'", output, re.DOTALL
    )
    assert found, output
    return int(found.group(1))


def test_env_gives_node_its_region_ca_and_proxy(js_gateway: Gateway, tmp_path: Path) -> None:
    script = tmp_path / "show.mjs"
    script.write_text(
        "for (const name of ['AWS_REGION', 'NODE_EXTRA_CA_CERTS', 'NODE_USE_ENV_PROXY'])"
        " console.log(`${name}=${process.env[name]}`);\n"
    )
    out = run_node(js_gateway, script)
    ca = js_gateway.data_dir.resolve() / "ca" / "ca.pem"
    assert f"AWS_REGION=us-east-1\nNODE_EXTRA_CA_CERTS={ca}\nNODE_USE_ENV_PROXY=1\n" in out


def test_routes_examples_get_and_submit(seed: Seed, js_gateway: Gateway) -> None:
    before = run_node(js_gateway, seed.example("get-routes.mjs"))
    assert before.startswith("Success {") and f"Mrap: '{seed.arn}'" in before
    assert (dial(before, seed.eu), dial(before, seed.ca)) == (100, 100)
    submitted = run_node(js_gateway, seed.example("submit-routes.mjs"))
    assert submitted.startswith("Success {") and "httpStatusCode: 200" in submitted
    after = run_node(js_gateway, seed.example("get-routes.mjs"))
    assert (dial(after, seed.eu), dial(after, seed.ca)) == (100, 0)
    assert routes_of(seed.ctl, seed.arn) == {seed.eu: 100, seed.ca: 0}


def test_put_get_list_examples_through_the_arn(seed: Seed, js_gateway: Gateway) -> None:
    run_node(js_gateway, seed.example("submit-routes.mjs"))  # eu-west-1 serves, as the docs say
    put = run_node(js_gateway, seed.example("put-object.mjs"))
    assert f"ETag: '{BODY_ETAG}'" in put and "httpStatusCode: 200" in put
    s3 = js_gateway.client()
    stored = s3.get_object(Bucket=seed.eu, Key="example.txt")["Body"].read()
    assert stored == BODY.encode()
    assert s3.list_objects_v2(Bucket=seed.ca).get("KeyCount") == 0  # passive: not written
    got = run_node(js_gateway, seed.example("get-object.mjs"), held_open=True)
    assert f"ETag: '{BODY_ETAG}'" in got and "ContentLength: 9" in got
    assert "statusCode: 200" in got
    listed = run_node(js_gateway, seed.example("list-objects.mjs"))
    assert "Key: 'example.txt'" in listed and "Size: 9" in listed
    assert f"Name: '{seed.eu}'" in listed and "KeyCount: 1" in listed


def test_preload_tunnels_on_a_node_without_proxy_support(
    seed: Seed, js_gateway: Gateway, tmp_path: Path
) -> None:
    """Node < 24.5 has no proxy support at all; the preload alone carries the SDK."""
    system_node = shutil.which("node", path=node_env()["PATH"])
    if system_node is None or Path(system_node).resolve() == NODE.resolve():
        pytest.skip("no other node on the PATH than the pinned one")
    run_node(js_gateway, seed.example("put-object.mjs"))
    listed = run_node(js_gateway, seed.example("list-objects.mjs"), node=Path(system_node))
    assert "Key: 'example.txt'" in listed and "KeyCount: 1" in listed


def test_preload_never_dials_past_the_gateway(js_gateway: Gateway, tmp_path: Path) -> None:
    """A name the gateway does not serve gets its CONNECT refusal, not a direct connection."""
    script = tmp_path / "elsewhere.mjs"
    script.write_text(
        "import https from 'node:https';\n"
        "https.get('https://example.com/', (res) => console.log('answered', res.statusCode))\n"
        "  .on('error', (err) => console.log('failed:', err.message));\n"
    )
    out = run_node(js_gateway, script)
    assert "failed: proxy 127.0.0.1" in out and "refused CONNECT example.com:443" in out
    assert "403" in out
    assert "CONNECT example.com:443 403" in js_gateway.log()
