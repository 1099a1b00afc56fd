"""The `mrap` command."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from mrap.account_commands import (
    USAGE_ERROR,
    account_create,
    account_list,
    root_arn,
    usage,
)
from mrap.clients import NODE_PROXY_PRELOAD
from mrap.config import BOOTSTRAP_ACCOUNT, Settings, load_settings
from mrap.edge import server, tls
from mrap.replication import commands as replication_commands
from mrap.storage.local.store import LocalRegionStore
from mrap.store.control import ControlStore
from mrap.store.control_records import (
    AccessKey,
    new_access_key_id,
    new_secret_access_key,
)
from mrap.store.regions import RegionMarks


def bootstrap(settings: Settings) -> AccessKey:
    """Prepare the data directory: bootstrap account, its root key, swept region stores."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    control = ControlStore(settings.control_db)
    try:
        control.ensure_account(BOOTSTRAP_ACCOUNT)
        arn = root_arn(BOOTSTRAP_ACCOUNT)
        wanted = settings.root_access_key_id
        existing = {k.access_key_id: k for k in control.keys_of(arn)}
        if wanted and wanted in existing:
            key = existing[wanted]
        elif wanted:
            secret = settings.root_secret_access_key or new_secret_access_key()
            key = control.add_access_key(BOOTSTRAP_ACCOUNT, arn, wanted, secret)
        elif existing:
            key = next(iter(existing.values()))
        else:
            key = control.add_access_key(
                BOOTSTRAP_ACCOUNT, arn, new_access_key_id(), new_secret_access_key()
            )
    finally:
        control.close()
    for region in settings.regions:
        store = LocalRegionStore(region, settings.region_dir(region))
        try:
            store.sweep()
        finally:
            store.close()
    tls.ensure_ca(settings.data_dir)
    return key


def root_key(settings: Settings) -> AccessKey | None:
    """The bootstrap account's root key in the data directory, without changing anything."""
    if not settings.control_db.exists():
        return None
    control = ControlStore(settings.control_db)
    try:
        keys = {k.access_key_id: k for k in control.keys_of(root_arn(BOOTSTRAP_ACCOUNT))}
    finally:
        control.close()
    wanted = settings.root_access_key_id
    if wanted:
        return keys.get(wanted)
    return next(iter(keys.values()), None)


def client_address(settings: Settings) -> str:
    """`host:port` clients use to reach the gateway (a wildcard bind means this machine)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    return f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"


def env_lines(settings: Settings, key: AccessKey, ca_path: Path) -> str:
    """Shell lines that point AWS clients at the gateway as their HTTP(S) proxy."""
    proxy = f"http://{client_address(settings)}"
    values = [
        ("HTTPS_PROXY", proxy),
        ("HTTP_PROXY", proxy),
        # Empty: a host listed here (`.amazonaws.com`, `localhost`) would bypass the gateway.
        ("NO_PROXY", ""),
        # Lower-case spellings win over upper-case ones in Python clients and curl.
        ("https_proxy", proxy),
        ("http_proxy", proxy),
        ("no_proxy", ""),
        ("AWS_CA_BUNDLE", str(ca_path.resolve())),
        ("AWS_ACCESS_KEY_ID", key.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", key.secret),
        ("AWS_DEFAULT_REGION", settings.regions[0]),
        # The JavaScript SDK v3 reads AWS_REGION, and Node neither AWS_CA_BUNDLE nor, for the
        # SDK's own https.Agent, HTTPS_PROXY: the preload tunnels every https.Agent through it.
        ("AWS_REGION", settings.regions[0]),
        ("NODE_EXTRA_CA_CERTS", str(ca_path.resolve())),
        ("NODE_USE_ENV_PROXY", "1"),  # fetch and the global agents of Node >= 24.5 / 22.21
        ("NODE_OPTIONS", f"--require {node_option_quote(str(NODE_PROXY_PRELOAD))}"),
    ]
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values)


def node_option_quote(value: str) -> str:
    """`value` as one word of NODE_OPTIONS, which splits on spaces outside double quotes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _path_hint() -> str:
    """How to put `mrap` and the venv's `aws` on the PATH, when they are not on it yet."""
    bin_dir = Path(sys.prefix) / "bin"
    if sys.prefix == sys.base_prefix or str(bin_dir) in os.environ.get("PATH", "").split(":"):
        return ""
    return f"  commands:       . {bin_dir / 'activate'}   (puts mrap and aws on the PATH)\n"


def _console_line(settings: Settings) -> str:
    """The banner's line for the web console, when it is on."""
    if not settings.console_port:
        return ""
    url = f"http://{settings.host}:{settings.console_port}"
    return f"  web console:    {url}  (sign in with the keys below)\n"


def banner(settings: Settings, key: AccessKey) -> str:
    """What `mrap serve` prints at start: endpoint, credentials, examples."""
    endpoint = f"http://{settings.host}:{settings.port}"
    env_args = shlex.join(
        ["--data-dir", str(settings.data_dir.resolve()), "--port", str(settings.port)]
        + (["--host", settings.host] if settings.host != "127.0.0.1" else [])
    )
    return f"""mrap gateway listening on {endpoint}
{_console_line(settings)}{_path_hint()}  data directory: {settings.data_dir.resolve()}
  regions:        {", ".join(settings.regions)}
  account:        {key.account_id} (root)
  access key:     {key.access_key_id}
  secret key:     {key.secret}

AWS endpoint proxy (no --endpoint-url needed; AWS hostnames reach this gateway):
  eval "$(mrap env {env_args})"
  aws s3 ls

aws CLI:
  export AWS_ACCESS_KEY_ID={key.access_key_id}
  export AWS_SECRET_ACCESS_KEY={key.secret}
  export AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url {endpoint} s3 mb s3://my-bucket
  aws --endpoint-url {endpoint} s3 cp README.md s3://my-bucket/
  aws --endpoint-url {endpoint} s3 ls s3://my-bucket

boto3:
  import boto3
  s3 = boto3.client("s3", endpoint_url="{endpoint}", region_name="us-east-1",
                    aws_access_key_id="{key.access_key_id}",
                    aws_secret_access_key="{key.secret}")
  s3.create_bucket(Bucket="my-bucket")
  print(s3.list_buckets()["Buckets"])
"""


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings(
        {
            "host": args.host,
            "port": args.port,
            "console_port": args.console_port,
            "data_dir": args.data_dir,
            "domain": args.domain,
            "workers": args.workers,
            "quiet": args.quiet or None,
        }
    )
    key = bootstrap(settings)
    sock = server.bind(settings)
    console_sock = server.bind_console(settings)
    print(banner(settings, key), flush=True)
    server.run(settings, sock, console_sock)
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        {
            "data_dir": args.data_dir,
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
        }
    )


def _ca_path(args: argparse.Namespace) -> int:
    print(tls.ensure_ca(_settings(args).data_dir).resolve())
    return 0


def _env(args: argparse.Namespace) -> int:
    settings = _settings(args)
    key = root_key(settings)
    if key is None:
        print(
            f"mrap: no root key in {settings.data_dir.resolve()}; start `mrap serve` first",
            file=sys.stderr,
        )
        return 1
    sys.stdout.write(env_lines(settings, key, tls.ensure_ca(settings.data_dir)))
    return 0


def _account_create(args: argparse.Namespace) -> int:
    return account_create(_settings(args), args.id)


def _account_list(args: argparse.Namespace) -> int:
    return account_list(_settings(args))


def _usage(args: argparse.Namespace) -> int:
    return usage(_settings(args), args.account)


def _region(args: argparse.Namespace) -> int:
    settings = _settings(args)
    state: str = args.state
    if state != "list" and args.name not in settings.regions:
        known = ", ".join(settings.regions)
        print(f"mrap: {args.name!r} is not one of the regions ({known})", file=sys.stderr)
        return USAGE_ERROR
    control = ControlStore(settings.control_db)
    try:
        marks = RegionMarks(*control.shared_connection())
        if state == "list":
            down = marks.marked_down()
            for name in settings.regions:
                print(f"{name}  {'down' if name in down else 'up'}")
        else:
            marks.mark(args.name, down=state == "down")
    finally:
        control.close()
    return 0


def _replicate(args: argparse.Namespace) -> int:
    return replication_commands.replicate_command(
        _settings(args), args.account, args.name, wait=not args.no_wait
    )


def _replication_status(args: argparse.Namespace) -> int:
    return replication_commands.status_command(_settings(args), args.account, args.name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mrap` command."""
    parser = argparse.ArgumentParser(prog="mrap", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", help="address to bind (MRAP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (MRAP_PORT, default 9000)")
    serve.add_argument(
        "--console-port",
        type=int,
        help="web console port on the same host (MRAP_CONSOLE_PORT, default 9001; 0: off)",
    )
    serve.add_argument("--data-dir", type=Path, help="data directory (MRAP_DATA_DIR, ./data)")
    serve.add_argument("--domain", help="domain for virtual-hosted buckets (MRAP_DOMAIN)")
    serve.add_argument("--workers", type=int, help="worker processes (MRAP_WORKERS, default 1)")
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.set_defaults(func=_serve)
    data_help = "data directory (MRAP_DATA_DIR, ./data)"
    ca_path = commands.add_parser("ca-path", help="print the path of the gateway's CA file")
    ca_path.add_argument("--data-dir", type=Path, help=data_help)
    ca_path.set_defaults(func=_ca_path)
    env = commands.add_parser("env", help='print shell lines for clients: eval "$(mrap env)"')
    env.add_argument("--data-dir", type=Path, help=data_help)
    env.add_argument("--host", help="gateway address clients use (MRAP_HOST, 127.0.0.1)")
    env.add_argument("--port", type=int, help="gateway port (MRAP_PORT, default 9000)")
    env.set_defaults(func=_env)
    account = commands.add_parser("account", help="create and list accounts")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    create = account_commands.add_parser(
        "create", help="create an account with a root user and print its root keys"
    )
    create.add_argument("--id", help="the 12-digit account id (default: random)")
    create.add_argument("--data-dir", type=Path, help=data_help)
    create.set_defaults(func=_account_create)
    listing = account_commands.add_parser(
        "list", help="print each account's id and root access key id"
    )
    listing.add_argument("--data-dir", type=Path, help=data_help)
    listing.set_defaults(func=_account_list)
    usage = commands.add_parser(
        "usage", help="print the requests and bytes charged to requesters (Requester Pays)"
    )
    usage.add_argument("--account", help="only this 12-digit account")
    usage.add_argument("--data-dir", type=Path, help=data_help)
    usage.set_defaults(func=_usage)
    region = commands.add_parser(
        "region", help="mark a region down (access points route around it) or up, or list them"
    )
    region.add_argument("state", choices=("down", "up", "list"))
    region.add_argument("name", nargs="?", default="", help="the region (not for list)")
    region.add_argument("--data-dir", type=Path, help=data_help)
    region.set_defaults(func=_region)
    replicate = commands.add_parser(
        "replicate",
        help="enable versioning and two-way replication among an access point's buckets",
    )
    replicate.add_argument("name", help="the Multi-Region Access Point's name")
    replicate.add_argument("--account", default=BOOTSTRAP_ACCOUNT, help="its 12-digit account")
    replicate.add_argument("--data-dir", type=Path, help=data_help)
    replicate.add_argument(
        "--no-wait",
        action="store_true",
        help="return once configured instead of showing the backlog until it drains",
    )
    replicate.set_defaults(func=_replicate)
    replication = commands.add_parser("replication", help="replication figures")
    replication_subcommands = replication.add_subparsers(dest="replication_command", required=True)
    status = replication_subcommands.add_parser(
        "status", help="pending work, copies, failures and latency of an access point's buckets"
    )
    status.add_argument("name", help="the Multi-Region Access Point's name")
    status.add_argument("--account", default=BOOTSTRAP_ACCOUNT, help="its 12-digit account")
    status.add_argument("--data-dir", type=Path, help=data_help)
    status.set_defaults(func=_replication_status)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
