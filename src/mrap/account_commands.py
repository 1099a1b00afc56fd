"""The `mrap account` and `mrap usage` commands: accounts and their root keys, Requester Pays
charges. They work on the control store directly, while a gateway runs or not."""

from __future__ import annotations

import re
import secrets
import shlex
import sys
from collections.abc import Sequence

from mrap.config import Settings
from mrap.store.control import ControlStore
from mrap.store.control_records import (
    AccessKey,
    AccountExists,
    new_access_key_id,
    new_secret_access_key,
)
from mrap.store.usage import Usage, UsageStore


def root_arn(account_id: str) -> str:
    """ARN of an account's root user."""
    return f"arn:aws:iam::{account_id}:root"


ACCOUNT_ID = re.compile(r"[0-9]{12}")
USAGE_ERROR = 2  # as argparse exits on a bad command line


def new_account_id() -> str:
    """Twelve random digits."""
    return f"{secrets.randbelow(10**12):012d}"


def account_block(settings: Settings, key: AccessKey) -> str:
    """What `mrap account create` prints: the account, its root keys, lines to paste."""
    return f"""account:        {key.account_id}
root user:      {key.principal_arn}
access key:     {key.access_key_id}
secret key:     {key.secret}
data directory: {settings.data_dir.resolve()}

export AWS_ACCESS_KEY_ID={shlex.quote(key.access_key_id)}
export AWS_SECRET_ACCESS_KEY={shlex.quote(key.secret)}
"""


def account_create(settings: Settings, wanted: str | None) -> int:
    """`mrap account create [--id N]`: a new account and its root keys; the exit status."""
    if wanted is not None and not ACCOUNT_ID.fullmatch(wanted):
        print(f"mrap: account id must be 12 digits (0-9), not {wanted!r}", file=sys.stderr)
        return USAGE_ERROR
    control = ControlStore(settings.control_db)
    try:
        # A random id that happens to be taken is simply drawn again.
        for _ in range(100):
            account_id = wanted or new_account_id()
            try:
                key = control.create_account(
                    account_id,
                    root_arn(account_id),
                    new_access_key_id(),
                    new_secret_access_key(),
                )
                break
            except AccountExists:
                if wanted is not None:
                    print(f"mrap: account {wanted} already exists", file=sys.stderr)
                    return USAGE_ERROR
        else:
            print("mrap: no free account id found", file=sys.stderr)
            return 1
    finally:
        control.close()
    sys.stdout.write(account_block(settings, key))
    return 0


def account_list(settings: Settings) -> int:
    """`mrap account list`: each account's id and root access key id; the exit status."""
    if not settings.control_db.exists():
        print(f"mrap: no control store in {settings.data_dir.resolve()}", file=sys.stderr)
        return 1
    control = ControlStore(settings.control_db)
    try:
        lines = []
        for account in control.list_accounts():
            keys = control.keys_of(root_arn(account.id))
            lines.append(f"{account.id}  {keys[0].access_key_id if keys else '-'}\n")
    finally:
        control.close()
    sys.stdout.write("".join(lines))
    return 0


def usage_table(rows: Sequence[Usage]) -> str:
    """What `mrap usage` prints: one line per requester account and bucket."""
    lines = [("ACCOUNT", "BUCKET", "REQUESTS", "BYTES_IN", "BYTES_OUT")]
    lines += [
        (u.account_id, u.bucket, str(u.requests), str(u.bytes_in), str(u.bytes_out)) for u in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def usage(settings: Settings, wanted: str | None) -> int:
    """`mrap usage [--account N]`: what each requester was charged; the exit status."""
    if wanted is not None and not ACCOUNT_ID.fullmatch(wanted):
        print(f"mrap: account id must be 12 digits (0-9), not {wanted!r}", file=sys.stderr)
        return USAGE_ERROR
    if not settings.control_db.exists():
        print(f"mrap: no control store in {settings.data_dir.resolve()}", file=sys.stderr)
        return 1
    control = ControlStore(settings.control_db)
    try:
        rows = UsageStore(*control.shared_connection()).totals(wanted)
    finally:
        control.close()
    sys.stdout.write(usage_table(rows))
    return 0
