"""STS: GetCallerIdentity, GetSessionToken, AssumeRole and the temporary credentials they issue.

Everything runs against the real gateway with boto3, the aws CLI or raw signed HTTP. Roles and
users are made through the IAM API; a second account through `mrap account create`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from multidict import CIMultiDict, CIMultiDictProxy
from rawhttp import signing_clock
from test_accounts import create_account

from mrap import errors
from mrap.auth import sigv4
from mrap.auth.canonical import SignedRequest
from mrap.config import BOOTSTRAP_ACCOUNT
from mrap.store.control import ControlStore
from mrap.store.control_records import AccessKey

ROOT_ARN = f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:root"
NO_VALIDATION = Config(retries={"max_attempts": 1}, parameter_validation=False)


def client(
    gateway: Gateway,
    service: str,
    key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    token: str | None = None,
    config: Config | None = None,
) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=config or Config(retries={"max_attempts": 1}),
    )


def session_client(gateway: Gateway, service: str, creds: dict[str, Any], **kw: Any) -> BaseClient:
    return client(
        gateway,
        service,
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
        **kw,
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a ClientError."""
    response: Any = exc.value.response
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def trust(*principals: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow(action: str, resource: str = "*") -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_user(iam: BaseClient, policy: str | None = None) -> tuple[str, str, str]:
    """A new IAM user with an access key (and an inline policy): (arn, key id, secret)."""
    name = unique("user")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def cli(gateway: Gateway, tmp_path: Path, key: str, secret: str, *args: str) -> str:
    """Run the aws CLI against the gateway with these credentials and nothing else."""
    config = tmp_path / "aws-config"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(config),
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "--endpoint-url", gateway.endpoint, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def session_count(gateway: Gateway) -> int:
    """How many session credentials the gateway's control store holds."""
    store = ControlStore(gateway.data_dir / "control.sqlite3")
    try:
        conn, _ = store.shared_connection()
        return int(conn.execute("SELECT count(*) FROM session_keys").fetchone()[0])
    finally:
        store.close()


def make_role(iam: BaseClient, trust_policy: str, **extra: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=unique("role"), AssumeRolePolicyDocument=trust_policy, **extra
    )["Role"]
    return role


# GetCallerIdentity


def test_root_identity_as_aws_reports_it(gateway: Gateway, aws: Any) -> None:
    found = client(gateway, "sts").get_caller_identity()
    assert (found["UserId"], found["Account"], found["Arn"]) == (
        BOOTSTRAP_ACCOUNT,
        BOOTSTRAP_ACCOUNT,
        ROOT_ARN,
    )
    printed = json.loads(aws("sts", "get-caller-identity"))
    assert printed == {"UserId": BOOTSTRAP_ACCOUNT, "Account": BOOTSTRAP_ACCOUNT, "Arn": ROOT_ARN}


def test_user_identity(gateway: Gateway) -> None:
    arn, key, secret = make_user(client(gateway, "iam"))
    found = client(gateway, "sts", key, secret).get_caller_identity()
    assert found["Arn"] == arn
    assert found["Account"] == BOOTSTRAP_ACCOUNT
    assert found["UserId"].startswith("AIDA") and len(found["UserId"]) == 21


def test_unknown_action_is_refused(gateway: Gateway) -> None:
    sts = client(gateway, "sts")
    # An STS action this gateway lacks is not implemented; a name STS lacks is invalid.
    with pytest.raises(ClientError) as exc:
        sts._make_api_call("GetFederationToken", {"Name": "bob"})
    assert error_of(exc)[:2] == ("NotImplemented", 501)
    iam = client(gateway, "iam")
    with pytest.raises(ClientError) as exc:
        iam._make_api_call("CreatePolicyVersion", {"PolicyArn": "arn:aws:iam::1:policy/p",
                                                   "PolicyDocument": "{}"})  # fmt: skip
    assert error_of(exc)[:2] == ("NotImplemented", 501)


# GetSessionToken


def test_session_token_acts_as_its_user_for_sts_and_s3(gateway: Gateway) -> None:
    arn, key, secret = make_user(client(gateway, "iam"))
    before = datetime.now(UTC)
    issued = client(gateway, "sts", key, secret).get_session_token(DurationSeconds=900)
    creds = issued["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) >= 100
    lifetime = creds["Expiration"] - before
    assert timedelta(seconds=899) <= lifetime <= timedelta(seconds=901)

    found = session_client(gateway, "sts", creds).get_caller_identity()
    assert found["Arn"] == arn
    # Authentication of S3 requests succeeds (what the user may do is its policies' business).
    s3 = session_client(gateway, "s3", creds)
    try:
        s3.list_buckets()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDenied"


def test_root_session_defaults_and_caps_at_one_hour(gateway: Gateway) -> None:
    sts = client(gateway, "sts")
    for asked in ({}, {"DurationSeconds": 129600}):
        before = datetime.now(UTC)
        creds = sts.get_session_token(**asked)["Credentials"]
        assert timedelta(seconds=3599) <= creds["Expiration"] - before <= timedelta(seconds=3601)
        found = session_client(gateway, "sts", creds).get_caller_identity()
        assert found["Arn"] == ROOT_ARN and found["UserId"] == BOOTSTRAP_ACCOUNT
        s3 = session_client(gateway, "s3", creds)
        assert "Buckets" in s3.list_buckets()


def test_user_session_default_is_twelve_hours(gateway: Gateway) -> None:
    _, key, secret = make_user(client(gateway, "iam"))
    before = datetime.now(UTC)
    creds = client(gateway, "sts", key, secret).get_session_token()["Credentials"]
    assert (
        timedelta(hours=12, seconds=-1)
        <= creds["Expiration"] - before
        <= timedelta(hours=12, seconds=1)
    )


@pytest.mark.parametrize(
    ("seconds", "constraint"),
    [
        (899, "Member must have value greater than or equal to 900"),
        (129601, "Member must have value less than or equal to 129600"),
    ],
)
def test_session_duration_out_of_range(gateway: Gateway, seconds: int, constraint: str) -> None:
    sts = client(gateway, "sts", config=NO_VALIDATION)
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(DurationSeconds=seconds)
    assert error_of(exc) == (
        "ValidationError",
        400,
        f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to "
        f"satisfy constraint: {constraint}",
    )


def test_session_credentials_cannot_get_session_tokens(gateway: Gateway) -> None:
    creds = client(gateway, "sts").get_session_token()["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(gateway, "sts", creds).get_session_token()
    assert error_of(exc) == (
        "AccessDenied",
        403,
        "Cannot call GetSessionToken with session credentials",
    )


# The session token on every request


def test_session_key_without_its_token_is_unknown(gateway: Gateway) -> None:
    creds = client(gateway, "sts").get_session_token()["Credentials"]
    key, secret = creds["AccessKeyId"], creds["SecretAccessKey"]
    with pytest.raises(ClientError) as exc:
        client(gateway, "s3", key, secret).list_buckets()
    assert error_of(exc)[:2] == ("InvalidAccessKeyId", 403)
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", key, secret).get_caller_identity()
    assert error_of(exc) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )


def test_wrong_token_is_refused(gateway: Gateway) -> None:
    creds = client(gateway, "sts").get_session_token()["Credentials"]
    other = client(gateway, "sts").get_session_token()["Credentials"]["SessionToken"]
    key, secret = creds["AccessKeyId"], creds["SecretAccessKey"]
    for token in (other, creds["SessionToken"][:-4] + "AAAA", "x"):
        with pytest.raises(ClientError) as exc:
            client(gateway, "s3", key, secret, token).list_buckets()
        assert error_of(exc) == (
            "InvalidToken",
            400,
            "The provided token is malformed or otherwise invalid.",
        )
        with pytest.raises(ClientError) as exc:
            client(gateway, "sts", key, secret, token).get_caller_identity()
        assert error_of(exc)[:2] == ("InvalidClientTokenId", 403)


def test_long_term_key_with_a_token_is_refused(gateway: Gateway) -> None:
    token = client(gateway, "sts").get_session_token()["Credentials"]["SessionToken"]
    with pytest.raises(ClientError) as exc:
        client(gateway, "s3", token=token).list_buckets()
    assert error_of(exc)[:2] == ("InvalidToken", 400)
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", token=token).get_caller_identity()
    assert error_of(exc)[:2] == ("InvalidClientTokenId", 403)


def test_presigned_url_carries_the_token(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"temporary")
    creds = client(gateway, "sts").get_session_token()["Credentials"]
    signer = session_client(gateway, "s3", creds, config=Config(signature_version="s3v4"))
    url = signer.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300
    )
    assert "X-Amz-Security-Token=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"temporary"
    # Without the token the key is unknown; with another session's token it is invalid.
    head, _, rest = url.partition("X-Amz-Security-Token=")
    stripped = head + rest.partition("&")[2]
    other = client(gateway, "sts").get_session_token()["Credentials"]["SessionToken"]
    swapped = head + "X-Amz-Security-Token=" + urllib.parse.quote(other, safe="")
    swapped += "&" + rest.partition("&")[2]
    for target, code, status in (
        (stripped, "InvalidAccessKeyId", 403),
        (swapped, "InvalidToken", 400),
    ):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(target, timeout=10)
        assert exc.value.code == status
        assert f"<Code>{code}</Code>" in exc.value.read().decode()


def test_session_credentials_sign_sigv4a(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"ecdsa")
    creds = client(gateway, "sts").get_session_token()["Credentials"]
    v4a = Config(signature_version="s3v4a", retries={"max_attempts": 1})
    session = session_client(gateway, "s3", creds, config=v4a)
    assert session.get_object(Bucket=bucket, Key="k")["Body"].read() == b"ecdsa"
    tokenless = client(gateway, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], config=v4a)
    with pytest.raises(ClientError) as exc:
        tokenless.get_object(Bucket=bucket, Key="k")
    assert error_of(exc)[:2] == ("InvalidAccessKeyId", 403)


def _expired_session(gateway: Gateway) -> tuple[str, str, str]:
    """Session credentials whose expiry has passed, stored as GetSessionToken stores them.

    Nothing in the API issues credentials that are already expired, and the test does not wait
    15 minutes: it writes the record through the control store, as `mrap account create` does
    while the gateway runs.
    """
    key, secret, token = "ASIA" + secrets.token_hex(8).upper(), "s" * 40, secrets.token_hex(40)
    store = ControlStore(gateway.data_dir / "control.sqlite3")
    try:
        expired = datetime.now(UTC) - timedelta(minutes=1)
        digest = hashlib.sha256(token.encode()).hexdigest()
        record = AccessKey(
            key, secret, BOOTSTRAP_ACCOUNT, ROOT_ARN, True, digest, expired.timestamp()
        )
        store.add_session_key(record, purge_before=0)
    finally:
        store.close()
    return key, secret, token


def test_expired_token_is_refused_with_each_apis_error(gateway: Gateway) -> None:
    key, secret, token = _expired_session(gateway)
    with pytest.raises(ClientError) as exc:
        client(gateway, "s3", key, secret, token).list_buckets()
    assert error_of(exc) == ("ExpiredToken", 400, "The provided token has expired.")
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", key, secret, token).get_caller_identity()
    assert error_of(exc) == (
        "ExpiredToken",
        403,
        "The security token included in the request is expired",
    )


def _signed_list_buckets(gateway: Gateway, creds: dict[str, Any], when: datetime) -> SignedRequest:
    host = f"127.0.0.1:{gateway.port}"
    request = AWSRequest(method="GET", url=f"http://{host}/", headers={"Host": host})
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()
    signer = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    with signing_clock(when):
        SigV4Auth(signer, "s3", "us-east-1").add_auth(request)
    headers = CIMultiDictProxy(CIMultiDict(request.headers.items()))
    return SignedRequest("GET", "/", [], headers)


def test_stored_session_expires_when_announced(gateway: Gateway) -> None:
    """The credentials GetSessionToken issued, checked by the gateway's own authentication code
    against the gateway's own control store at the announced expiry (the clock is the
    function's argument, so no waiting)."""
    arn, key, secret = make_user(client(gateway, "iam"))
    creds = client(gateway, "sts", key, secret).get_session_token(DurationSeconds=900)[
        "Credentials"
    ]
    expiry = creds["Expiration"]
    store = ControlStore(gateway.data_dir / "control.sqlite3")
    try:
        stored = store.get_access_key(creds["AccessKeyId"])
        assert stored is not None and stored.temporary and stored.principal_arn == arn
        assert stored.session_token_sha256 != creds["SessionToken"]  # only its hash is kept
        assert stored.expires == expiry.timestamp()
        just_before = expiry - timedelta(seconds=1)
        auth = sigv4.authenticate(
            _signed_list_buckets(gateway, creds, just_before), store.get_access_key, just_before
        )
        assert auth.principal.arn == arn
        with pytest.raises(errors.ExpiredToken):
            sigv4.authenticate(
                _signed_list_buckets(gateway, creds, expiry), store.get_access_key, expiry
            )
    finally:
        store.close()


# AssumeRole


def test_assume_role_same_account_trusting_the_user(gateway: Gateway, tmp_path: Path) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    role = make_role(iam, trust(user_arn))
    before = datetime.now(UTC)
    result = client(gateway, "sts", key, secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="alice@example.com"
    )
    arn = f"arn:aws:sts::{BOOTSTRAP_ACCOUNT}:assumed-role/{role['RoleName']}/alice@example.com"
    assert result["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice@example.com",
        "Arn": arn,
    }
    creds = result["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert timedelta(seconds=3599) <= creds["Expiration"] - before <= timedelta(seconds=3601)
    assert "PackedPolicySize" not in result
    found = session_client(gateway, "sts", creds).get_caller_identity()
    assert found == {
        "UserId": f"{role['RoleId']}:alice@example.com",
        "Account": BOOTSTRAP_ACCOUNT,
        "Arn": arn,
        "ResponseMetadata": found["ResponseMetadata"],
    }
    s3 = session_client(gateway, "s3", creds)
    try:
        s3.list_buckets()
    except ClientError as exc:  # authenticated; the role has no S3 permissions to speak of
        assert exc.response["Error"]["Code"] == "AccessDenied"

    # The aws CLI, with the user's keys.
    printed = json.loads(
        cli(
            gateway,
            tmp_path,
            key,
            secret,
            "sts",
            "assume-role",
            "--role-arn",
            role["Arn"],
            "--role-session-name",
            "cli",
        )
    )
    assert printed["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{role['RoleName']}/cli")
    assert printed["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_trust_naming_the_account_delegates_to_identity_policies(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    role = make_role(iam, trust(f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:root"))
    _, key, secret = make_user(iam)
    _, allowed_key, allowed_secret = make_user(iam, allow("sts:AssumeRole", role["Arn"]))
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", key, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    code, status, message = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith(
        f"is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}"
    )
    result = client(gateway, "sts", allowed_key, allowed_secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="s1"
    )
    assert result["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/s1")


def test_trust_naming_someone_else_refuses_with_aws_message(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    other_arn, _, _ = make_user(iam)
    user_arn, key, secret = make_user(iam, allow("sts:AssumeRole"))
    role = make_role(iam, trust(other_arn))
    sts = client(gateway, "sts", key, secret)
    before = session_count(gateway)
    missing = f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:role/{unique('missing')}"
    wrong_path = role["Arn"].replace(":role/", ":role/elsewhere/")
    for arn in (role["Arn"], missing, wrong_path, f"arn:aws:s3:::{unique('bucket')}"):
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=arn, RoleSessionName="s1")
        assert error_of(exc) == (
            "AccessDenied",
            403,
            f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
        )
    assert session_count(gateway) == before


def test_root_may_not_assume_roles(gateway: Gateway) -> None:
    role = make_role(client(gateway, "iam"), trust(ROOT_ARN))
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(exc) == ("AccessDenied", 403, "Roles may not be assumed by root accounts.")


def test_assume_role_across_accounts_needs_both_sides(gateway: Gateway) -> None:
    other = create_account(gateway.data_dir)
    their_iam = client(gateway, "iam", other.access_key_id, other.secret)
    role = make_role(their_iam, trust(f"arn:aws:iam::{BOOTSTRAP_ACCOUNT}:root"))
    iam = client(gateway, "iam")
    _, key, secret = make_user(iam)
    _, allowed_key, allowed_secret = make_user(iam, allow("sts:AssumeRole", role["Arn"]))
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", key, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="x1")
    assert error_of(exc)[:2] == ("AccessDenied", 403)

    creds = client(gateway, "sts", allowed_key, allowed_secret).assume_role(
        RoleArn=role["Arn"], RoleSessionName="x1"
    )["Credentials"]
    found = session_client(gateway, "sts", creds).get_caller_identity()
    assert found["Account"] == other.id
    assert found["Arn"] == f"arn:aws:sts::{other.id}:assumed-role/{role['RoleName']}/x1"
    assert found["UserId"] == f"{role['RoleId']}:x1"

    # A role trusting nobody from our account: the identity policy alone is not enough.
    closed = make_role(their_iam, trust(f"arn:aws:iam::{other.id}:root"))
    _, open_key, open_secret = make_user(iam, allow("sts:AssumeRole"))
    with pytest.raises(ClientError) as exc:
        client(gateway, "sts", open_key, open_secret).assume_role(
            RoleArn=closed["Arn"], RoleSessionName="x1"
        )
    assert error_of(exc)[:2] == ("AccessDenied", 403)


def test_external_id_is_a_trust_condition(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    role = make_role(iam, trust(user_arn, StringEquals={"sts:ExternalId": "ticket-42"}))
    sts = client(gateway, "sts", key, secret)
    for given in ({}, {"ExternalId": "ticket-41"}):
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ext", **given)
        assert error_of(exc)[:2] == ("AccessDenied", 403)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ext", ExternalId="ticket-42")


def test_source_identity_needs_set_source_identity(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    plain = make_role(iam, trust(user_arn))
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": user_arn},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    }
    setting = make_role(iam, json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    sts = client(gateway, "sts", key, secret)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=plain["Arn"], RoleSessionName="si", SourceIdentity="alice")
    assert error_of(exc) == (
        "AccessDenied",
        403,
        f"User: {user_arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{plain['Arn']}",
    )
    result = sts.assume_role(RoleArn=setting["Arn"], RoleSessionName="si", SourceIdentity="alice")
    assert result["SourceIdentity"] == "alice"


def test_durations(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    role = make_role(iam, trust(user_arn), MaxSessionDuration=7200)
    sts = client(gateway, "sts", key, secret, config=NO_VALIDATION)
    before = datetime.now(UTC)
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="dd", DurationSeconds=7200)[
        "Credentials"
    ]
    assert timedelta(seconds=7199) <= creds["Expiration"] - before <= timedelta(seconds=7201)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="dd", DurationSeconds=7201)
    assert error_of(exc) == (
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    for seconds, constraint in (
        (899, "Member must have value greater than or equal to 900"),
        (43201, "Member must have value less than or equal to 43200"),
    ):
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="dd", DurationSeconds=seconds)
        assert error_of(exc) == (
            "ValidationError",
            400,
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to "
            f"satisfy constraint: {constraint}",
        )


def test_role_chaining_is_limited_to_one_hour(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    first = make_role(iam, trust(user_arn))
    session_arn = f"arn:aws:sts::{BOOTSTRAP_ACCOUNT}:assumed-role/{first['RoleName']}/hop1"
    second = make_role(iam, trust(session_arn), MaxSessionDuration=43200)
    creds = client(gateway, "sts", key, secret).assume_role(
        RoleArn=first["Arn"], RoleSessionName="hop1"
    )["Credentials"]
    chained = session_client(gateway, "sts", creds)
    with pytest.raises(ClientError) as exc:
        chained.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3601)
    assert error_of(exc) == (
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
    )
    result = chained.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    assert result["AssumedRoleUser"]["Arn"].endswith(f"/{second['RoleName']}/hop2")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"RoleSessionName": "s1"},
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"RoleArn": "arn:aws:iam::111122223333:role/r"},
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            {"RoleArn": "nothing-valid-in-here", "RoleSessionName": "s1"},
            "nothing-valid-in-here is invalid",
        ),
        (
            {"RoleArn": "arn:a:a::aaaaaaaaaa:", "RoleSessionName": "s1"},
            "arn:a:a::aaaaaaaaaa: is invalid",
        ),
        (
            {"RoleArn": "arn:aws:iam::1:r", "RoleSessionName": "s1"},
            "1 validation error detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed to "
            "satisfy constraint: Member must have length greater than or equal to 20",
        ),
        (
            {"RoleArn": "arn:aws:iam::111122223333:role/r", "RoleSessionName": "Session1:2"},
            "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ),
        (
            {"RoleArn": "arn:aws:iam::111122223333:role/r", "RoleSessionName": "s" * 65},
            f"1 validation error detected: Value '{'s' * 65}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must have length less than or equal to 64",
        ),
        (
            {"RoleArn": "arn:aws:iam::111122223333:role/r", "RoleSessionName": "é"},
            "2 validation errors detected: Value 'é' at 'roleSessionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; "
            "Value 'é' at 'roleSessionName' failed to satisfy constraint: Member must have "
            "length greater than or equal to 2",
        ),
    ],
)
def test_bad_assume_role_input(gateway: Gateway, params: dict[str, str], message: str) -> None:
    _, key, secret = make_user(client(gateway, "iam"))
    sts = client(gateway, "sts", key, secret, config=NO_VALIDATION)
    before = session_count(gateway)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(**params)
    assert error_of(exc) == ("ValidationError", 400, message)
    assert session_count(gateway) == before


def test_session_policies_and_tags_are_refused_not_ignored(gateway: Gateway) -> None:
    iam = client(gateway, "iam")
    user_arn, key, secret = make_user(iam)
    role = make_role(iam, trust(user_arn))
    sts = client(gateway, "sts", key, secret)
    for extra in (
        {"Policy": allow("s3:GetObject")},
        {"PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]},
        {"Tags": [{"Key": "team", "Value": "red"}]},
    ):
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="pp", **extra)
        code, status, message = error_of(exc)
        assert (code, status) == ("NotImplemented", 501)
        assert next(iter(extra)) in message
