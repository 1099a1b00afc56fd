"""`mrap account create` and `mrap account list`, run as real processes beside a real gateway."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, Gateway, make_gateway

from mrap.config import BOOTSTRAP_ACCOUNT
from mrap.store.control import ControlStore
from mrap.store.control_records import AccountExists


@dataclass(frozen=True)
class NewAccount:
    """What `mrap account create` printed."""

    id: str
    access_key_id: str
    secret: str
    output: str


def mrap(*args: str, data_dir: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m mrap ARGS` with nothing from the caller's MRAP_/AWS_ environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MRAP_", "AWS_"))}
    environ.update(env)
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return subprocess.run(
        [sys.executable, "-m", "mrap", *args, *extra],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_account(data_dir: Path, *args: str) -> NewAccount:
    """`mrap account create` in `data_dir`; the printed id and root keys."""
    done = mrap("account", "create", *args, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return parse(done.stdout)


def parse(output: str) -> NewAccount:
    found = re.search(
        r"account:\s+(\d+)\n.*?access key:\s+(\S+)\nsecret key:\s+(\S+)\n", output, re.DOTALL
    )
    assert found, output
    return NewAccount(found.group(1), found.group(2), found.group(3), output)


def client(gateway: Gateway, account: NewAccount) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret,
        config=Config(retries={"max_attempts": 1}),
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def bucket_names(s3: BaseClient) -> list[str]:
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


def account_list(data_dir: Path) -> str:
    done = mrap("account", "list", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return done.stdout


def random_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


def test_create_prints_root_keys_that_work_at_once(gateway: Gateway) -> None:
    account = create_account(gateway.data_dir)
    assert re.fullmatch(r"[0-9]{12}", account.id)
    assert account.id != BOOTSTRAP_ACCOUNT
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", account.access_key_id)
    assert len(account.secret) == 40
    assert f"arn:aws:iam::{account.id}:root" in account.output
    # The export lines paste into a shell as they are.
    exports = "".join(line + "\n" for line in account.output.splitlines() if "export " in line)
    shell = subprocess.run(
        ["sh", "-c", exports + 'printf "%s %s" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shell.stdout == f"{account.access_key_id} {account.secret}"

    # The running gateway knows the account at once, without a restart.
    s3 = client(gateway, account)
    listed = s3.list_buckets()
    assert listed["Buckets"] == []
    assert listed["Owner"]["DisplayName"] == account.id
    name = "acct-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"mine")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"mine"
    assert bucket_names(s3) == [name]


def test_accounts_have_their_own_buckets(gateway: Gateway, s3: BaseClient) -> None:
    first = create_account(gateway.data_dir, "--id", random_id())
    # MRAP_DATA_DIR is honoured as `mrap serve` honours it.
    done = mrap("account", "create", MRAP_DATA_DIR=str(gateway.data_dir))
    assert done.returncode == 0, done.stderr
    second = parse(done.stdout)
    assert first.id != second.id
    ours, theirs = client(gateway, first), client(gateway, second)
    mine, other = "acct-" + secrets.token_hex(6), "acct-" + secrets.token_hex(6)
    ours.create_bucket(Bucket=mine)
    ours.put_object(Bucket=mine, Key="secret.txt", Body=b"first's")
    theirs.create_bucket(Bucket=other)

    assert bucket_names(ours) == [mine]
    assert bucket_names(theirs) == [other]
    assert not {mine, other} & set(bucket_names(s3)), "the bootstrap account sees neither"

    calls: tuple[Callable[[], object], ...] = (
        lambda: theirs.list_objects_v2(Bucket=mine),
        lambda: theirs.get_object(Bucket=mine, Key="secret.txt"),
        lambda: theirs.put_object(Bucket=mine, Key="intruder", Body=b"x"),
        lambda: ours.list_objects_v2(Bucket=other),
        lambda: s3.get_object(Bucket=mine, Key="secret.txt"),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        theirs.head_bucket(Bucket=mine)
    assert error_of(exc)[1] == 403

    for creator, name in ((theirs, mine), (ours, other), (s3, mine)):
        with pytest.raises(ClientError) as exc:
            creator.create_bucket(Bucket=name)
        assert error_of(exc) == ("BucketAlreadyExists", 409)
    # Re-creating one's own us-east-1 bucket is 200 on AWS (legacy us-east-1 behaviour).
    assert ours.create_bucket(Bucket=mine)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as exc:
        ours.create_bucket(
            Bucket=mine, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    assert error_of(exc) == ("BucketAlreadyOwnedByYou", 409)
    assert bucket_names(ours) == [mine]
    assert ours.get_object(Bucket=mine, Key="secret.txt")["Body"].read() == b"first's"


def test_list_shows_each_account_and_its_root_key(gateway: Gateway) -> None:
    created = create_account(gateway.data_dir)
    rows = dict(line.split() for line in account_list(gateway.data_dir).splitlines())
    assert rows[BOOTSTRAP_ACCOUNT] == ACCESS_KEY
    assert rows[created.id] == created.access_key_id
    assert list(rows) == sorted(rows)


@pytest.mark.parametrize(
    "bad",
    [
        "12345",
        "1234567890123",
        "abcdefghijkl",
        "12345678901a",
        " 12345678901",
        "123456789012\n",
        "-12345678901",
        "١٢٣٤٥٦٧٨٩٠١٢",  # digits, but not ASCII ones
        "",
    ],
)
def test_malformed_id_is_refused_and_changes_nothing(gateway: Gateway, bad: str) -> None:
    before = account_list(gateway.data_dir)
    done = mrap("account", "create", "--id", bad, data_dir=gateway.data_dir)
    assert done.returncode == 2
    assert "12 digits" in done.stderr
    assert done.stdout == ""
    assert account_list(gateway.data_dir) == before


def test_existing_id_is_refused_and_changes_nothing(gateway: Gateway, s3: BaseClient) -> None:
    existing = create_account(gateway.data_dir, "--id", random_id())
    before = account_list(gateway.data_dir)
    for taken in (existing.id, BOOTSTRAP_ACCOUNT):
        done = mrap("account", "create", "--id", taken, data_dir=gateway.data_dir)
        assert done.returncode == 2
        assert f"account {taken} already exists" in done.stderr
        assert done.stdout == ""
    assert account_list(gateway.data_dir) == before
    # The accounts that were there keep working with their keys.
    assert bucket_names(client(gateway, existing)) == []
    s3.list_buckets()


def test_concurrent_creates_of_one_id_make_one_account(gateway: Gateway) -> None:
    wanted = random_id()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MRAP_", "AWS_"))}
    command = [sys.executable, "-m", "mrap", "account", "create", "--id", wanted]
    runs = [
        subprocess.Popen(
            [*command, "--data-dir", str(gateway.data_dir)],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(run.wait(timeout=60), *run.communicate()) for run in runs]
    assert sorted(code for code, _, _ in results) == [0, 2, 2, 2]
    winner = parse(next(out for code, out, _ in results if code == 0))
    rows = [line.split() for line in account_list(gateway.data_dir).splitlines()]
    assert [row for row in rows if row[0] == wanted] == [[wanted, winner.access_key_id]]
    assert bucket_names(client(gateway, winner)) == []


def test_account_and_key_are_created_together(tmp_path: Path) -> None:
    control = ControlStore(tmp_path / "control.sqlite3")
    try:
        control.create_account("444455556666", "arn:aws:iam::444455556666:root", "AKIAX1", "s")
        with pytest.raises(AccountExists):
            control.create_account("444455556666", "arn:aws:iam::444455556666:root", "AKX2", "s")
        # A clash on the access key leaves no account behind.
        with pytest.raises(ValueError, match="AKIAX1"):
            control.create_account("777788889999", "arn:aws:iam::777788889999:root", "AKIAX1", "s")
        assert control.get_account("777788889999") is None
        assert [a.id for a in control.list_accounts()] == ["444455556666"]
        assert control.get_access_key("AKX2") is None
    finally:
        control.close()


def test_accounts_survive_a_restart_and_the_bootstrap_account_stays(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path)
    # Made before the first start: `mrap serve` still bootstraps its own account beside it.
    early = create_account(gw.data_dir, "--id", "444455556666")
    gw.start()
    try:
        late = create_account(gw.data_dir)
        buckets = {}
        for account in (early, late):
            name = "acct-" + secrets.token_hex(6)
            client(gw, account).create_bucket(Bucket=name)
            buckets[account.id] = name
        gw.client().list_buckets()
        gw.stop()
        gw.start()
        for account in (early, late):
            assert bucket_names(client(gw, account)) == [buckets[account.id]]
        assert bucket_names(gw.client()) == []
        rows = dict(line.split() for line in account_list(gw.data_dir).splitlines())
        assert rows == {
            BOOTSTRAP_ACCOUNT: ACCESS_KEY,
            early.id: early.access_key_id,
            late.id: late.access_key_id,
        }
    finally:
        if gw.process is not None:
            gw.stop()


def test_list_without_a_data_directory(tmp_path: Path) -> None:
    done = mrap("account", "list", data_dir=tmp_path / "nothing-here")
    assert done.returncode == 1
    assert "no control store" in done.stderr
    assert not (tmp_path / "nothing-here").exists()
