"""`aws iam` commands as the AWS documentation writes them, through the gateway's endpoint proxy.

After `eval "$(mrap env)"` the CLI goes to https://iam.amazonaws.com through the gateway
(CONNECT, TLS with the gateway's CA), with no --endpoint-url.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Gateway
from tunnel import clean_env

ACCOUNT = "111122223333"
S3_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
        ],
    }
)


class Cli:
    """Runs `aws` in a clean shell set up by `mrap env`, optionally as another key."""

    def __init__(self, gateway: Gateway, tmp_path: Path) -> None:
        self.gateway = gateway
        self.tmp_path = tmp_path
        empty = tmp_path / "aws-empty-config"
        empty.write_text("")
        self.env = clean_env(AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty))

    def run(
        self, *args: str, key: tuple[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        data_dir = shlex.quote(str(self.gateway.data_dir))
        setup = f'eval "$(mrap env --data-dir {data_dir} --port {self.gateway.port})"'
        if key is not None:
            secret = shlex.quote(key[1])
            setup += f" && export AWS_ACCESS_KEY_ID={key[0]} AWS_SECRET_ACCESS_KEY={secret}"
        script = f"{setup} && exec aws {shlex.join(args)}"
        return subprocess.run(
            ["bash", "-c", script],
            env=self.env,
            cwd=self.tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str, key: tuple[str, str] | None = None) -> Any:
        """The parsed JSON output of a command that must succeed (None when it prints nothing)."""
        done = self.run(*args, "--output", "json", key=key)
        assert done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def fails(self, *args: str, key: tuple[str, str] | None = None) -> str:
        """The error line of a command that must fail."""
        done = self.run(*args, key=key)
        assert done.returncode != 0, f"aws {' '.join(args)} succeeded: {done.stdout}"
        return done.stderr.strip()


@pytest.fixture
def cli(gateway: Gateway, tmp_path: Path) -> Cli:
    return Cli(gateway, tmp_path)


def test_users_keys_and_inline_policies(cli: Cli, tmp_path: Path) -> None:
    user = f"cli-{secrets.token_hex(4)}"
    made = cli.ok("iam", "create-user", "--user-name", user, "--path", "/cli/")["User"]
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli/{user}"
    assert cli.ok("iam", "get-user", "--user-name", user)["User"]["UserId"] == made["UserId"]
    listed = cli.ok("iam", "list-users", "--path-prefix", "/cli/")["Users"]
    assert user in [u["UserName"] for u in listed]

    policy_file = tmp_path / "policy.json"
    policy_file.write_text(S3_READ)
    cli.ok(
        "iam",
        "put-user-policy",
        "--user-name",
        user,
        "--policy-name",
        "read",
        "--policy-document",
        f"file://{policy_file}",
    )
    got = cli.ok("iam", "get-user-policy", "--user-name", user, "--policy-name", "read")
    assert got["PolicyDocument"] == json.loads(S3_READ)
    assert cli.ok("iam", "list-user-policies", "--user-name", user)["PolicyNames"] == ["read"]

    key = cli.ok("iam", "create-access-key", "--user-name", user)["AccessKey"]
    keys = cli.ok("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
    # The new user's key authenticates (what it may do is up to its policies).
    active = cli.run("s3api", "list-buckets", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert "InvalidAccessKeyId" not in active.stderr
    cli.ok(
        "iam",
        "update-access-key",
        "--user-name",
        user,
        "--access-key-id",
        key["AccessKeyId"],
        "--status",
        "Inactive",
    )
    refused = cli.fails("s3api", "list-buckets", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert "InvalidAccessKeyId" in refused

    assert "DeleteConflict" in cli.fails("iam", "delete-user", "--user-name", user)
    cli.ok("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    cli.ok("iam", "delete-user-policy", "--user-name", user, "--policy-name", "read")
    cli.ok("iam", "delete-user", "--user-name", user)
    missing = cli.fails("iam", "get-user", "--user-name", user)
    assert (
        "(NoSuchEntity) when calling the GetUser operation: "
        f"The user with name {user} cannot be found." in missing
    )


def test_managed_policies_groups_and_roles(cli: Cli, tmp_path: Path) -> None:
    tag = secrets.token_hex(4)
    user, group, role, policy_name = f"u-{tag}", f"g-{tag}", f"r-{tag}", f"p-{tag}"
    cli.ok("iam", "create-user", "--user-name", user)
    policy = cli.ok(
        "iam", "create-policy", "--policy-name", policy_name, "--policy-document", S3_READ
    )["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}"
    assert cli.ok("iam", "get-policy", "--policy-arn", arn)["Policy"]["DefaultVersionId"] == "v1"
    version = cli.ok("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == json.loads(S3_READ)
    cli.ok("iam", "attach-user-policy", "--user-name", user, "--policy-arn", arn)
    attached = cli.ok("iam", "list-attached-user-policies", "--user-name", user)["AttachedPolicies"]
    assert attached == [{"PolicyName": policy_name, "PolicyArn": arn}]
    assert "DeleteConflict" in cli.fails("iam", "delete-policy", "--policy-arn", arn)
    cli.ok("iam", "detach-user-policy", "--user-name", user, "--policy-arn", arn)

    cli.ok("iam", "create-group", "--group-name", group)
    cli.ok("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    cli.ok(
        "iam",
        "put-group-policy",
        "--group-name",
        group,
        "--policy-name",
        "gp",
        "--policy-document",
        S3_READ,
    )
    cli.ok(
        "iam",
        "attach-group-policy",
        "--group-name",
        group,
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    members = cli.ok("iam", "get-group", "--group-name", group)["Users"]
    assert [m["UserName"] for m in members] == [user]

    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{user}"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
    )
    made = cli.ok(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        f"file://{trust}",
    )["Role"]
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{role}"
    cli.ok(
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        "rp",
        "--policy-document",
        S3_READ,
    )
    cli.ok("iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn)
    details = cli.ok("iam", "get-account-authorization-details", "--filter", "Role", "Group")
    assert role in [r["RoleName"] for r in details["RoleDetailList"]]
    assert group in [g["GroupName"] for g in details["GroupDetailList"]]
    assert details["UserDetailList"] == []

    bad = cli.fails(
        "iam", "create-role", "--role-name", f"x-{tag}", "--assume-role-policy-document", "{}"
    )
    assert "MalformedPolicyDocument" in bad
    dup = cli.fails("iam", "create-group", "--group-name", group)
    assert (
        "(EntityAlreadyExists) when calling the CreateGroup operation: "
        f"Group with name {group} already exists." in dup
    )

    # Undo everything, in the order IAM demands.
    assert "DeleteConflict" in cli.fails("iam", "delete-role", "--role-name", role)
    cli.ok("iam", "delete-role-policy", "--role-name", role, "--policy-name", "rp")
    cli.ok("iam", "detach-role-policy", "--role-name", role, "--policy-arn", arn)
    cli.ok("iam", "delete-role", "--role-name", role)
    cli.ok("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    cli.ok("iam", "delete-group-policy", "--group-name", group, "--policy-name", "gp")
    cli.ok(
        "iam",
        "detach-group-policy",
        "--group-name",
        group,
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    cli.ok("iam", "delete-group", "--group-name", group)
    cli.ok("iam", "delete-policy", "--policy-arn", arn)
    cli.ok("iam", "delete-user", "--user-name", user)


def test_user_without_permissions_is_denied(cli: Cli) -> None:
    user = f"weak-{secrets.token_hex(4)}"
    cli.ok("iam", "create-user", "--user-name", user)
    key = cli.ok("iam", "create-access-key", "--user-name", user)["AccessKey"]
    denied = cli.fails("iam", "list-users", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert (
        "(AccessDenied) when calling the ListUsers operation: "
        f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{ACCOUNT}:user/"
    ) in denied
