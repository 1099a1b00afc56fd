"""The AWS endpoint proxy with real clients: `eval "$(mrap env)"` and no endpoint option.

The clients send CONNECT for AWS host names to the gateway (HTTPS_PROXY), trust its CA
(AWS_CA_BUNDLE) and never resolve or dial anything else. Over HTTPS botocore uploads with
aws-chunked bodies and checksum trailers; those tests wait for aws-chunked decoding.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import ssl
import stat
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway, make_gateway
from cryptography import x509
from tunnel import VENV_BIN, ca_path, clean_env, open_tunnel, tunnel_request

ACCOUNT = "111122223333"


def mrap_env(gateway: Gateway) -> dict[str, str]:
    """The variables `mrap env` exports for the gateway, parsed from its shell lines."""
    out = subprocess.run(
        [
            str(VENV_BIN / "mrap"),
            "env",
            "--data-dir",
            str(gateway.data_dir),
            "--port",
            str(gateway.port),
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    values = {}
    for line in out.splitlines():
        word, assignment = shlex.split(line)
        assert word == "export"
        name, _, value = assignment.partition("=")
        values[name] = value
    return values


def aws(gateway: Gateway, tmp_path: Path, *args: str, check: bool = True) -> str:
    """Run the aws CLI after `eval "$(mrap env …)"` in a shell with nothing else set up."""
    empty = tmp_path / "aws-empty-config"
    empty.write_text("")
    env = clean_env(AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty))
    data_dir, port = shlex.quote(str(gateway.data_dir)), gateway.port
    script = (
        f'eval "$(mrap env --data-dir {data_dir} --port {port})" && exec aws {shlex.join(args)}'
    )
    done = subprocess.run(
        ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    if check:
        assert done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
        return done.stdout
    return done.stdout + done.stderr


def use_mrap_env(gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave only the `mrap env` variables in the environment, as `eval "$(mrap env)"` does
    in a shell with nothing else set up."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    empty = tmp_path / "boto-empty-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    for name, value in mrap_env(gateway).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def proxied_s3(gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BaseClient:
    """`boto3.Session().client('s3')` with only the `mrap env` variables set."""
    use_mrap_env(gateway, tmp_path, monkeypatch)
    return boto3.Session().client("s3")


# mrap env, mrap ca-path, the CA


def test_env_prints_the_whole_client_setup(gateway: Gateway) -> None:
    values = mrap_env(gateway)
    proxy = f"http://127.0.0.1:{gateway.port}"
    assert values["HTTPS_PROXY"] == values["HTTP_PROXY"] == proxy
    assert values["NO_PROXY"] == ""  # anything listed there would bypass the gateway
    assert values["AWS_CA_BUNDLE"] == str(ca_path(gateway))
    assert (values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]) == (
        ACCESS_KEY,
        SECRET_KEY,
    )
    assert values["AWS_DEFAULT_REGION"] == "us-east-1"
    script = (
        f'eval "$(mrap env --data-dir {shlex.quote(str(gateway.data_dir))} --port {gateway.port})"'
        ' && echo "$HTTPS_PROXY|$AWS_CA_BUNDLE|$AWS_ACCESS_KEY_ID"'
    )
    out = subprocess.run(
        ["bash", "-c", script], env=clean_env(), capture_output=True, text=True, timeout=30
    )
    assert out.stdout.strip() == f"{proxy}|{ca_path(gateway)}|{ACCESS_KEY}"


def test_env_needs_a_data_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "mrap"), "env", "--data-dir", str(tmp_path / "none")],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "mrap serve" in done.stderr


def test_ca_is_created_once_private_and_reused(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path)
    gw.start()
    try:
        cert_path = ca_path(gw)
        key_path = cert_path.with_name("ca-key.pem")
        first = (cert_path.read_bytes(), key_path.read_bytes())
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        cert = x509.load_pem_x509_certificate(first[0])
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    finally:
        gw.stop()
    gw.start()
    try:
        assert (cert_path.read_bytes(), key_path.read_bytes()) == first
        assert ca_path(gw) == cert_path
    finally:
        gw.stop()


# the aws CLI


def test_aws_cli_lists_and_downloads(
    gateway: Gateway, s3: BaseClient, bucket: str, tmp_path: Path
) -> None:
    s3.put_object(Bucket=bucket, Key="docs/hello.txt", Body=b"hello through the proxy")
    assert bucket in aws(gateway, tmp_path, "s3", "ls")
    assert "hello.txt" in aws(gateway, tmp_path, "s3", "ls", f"s3://{bucket}/docs/")
    aws(gateway, tmp_path, "s3", "cp", f"s3://{bucket}/docs/hello.txt", "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == b"hello through the proxy"
    log = gateway.log()
    assert f"CONNECT {bucket}.s3.amazonaws.com:443 200" in log
    assert "CONNECT s3.amazonaws.com:443 200" in log  # ListBuckets on the service host


def test_aws_cli_s3_cp_upload(
    gateway: Gateway, s3: BaseClient, bucket: str, tmp_path: Path
) -> None:
    for name, size in (("up.bin", 100_000), ("multipart.bin", 9 * 1024 * 1024)):
        source = tmp_path / name
        source.write_bytes(os.urandom(size))
        aws(gateway, tmp_path, "s3", "cp", str(source), f"s3://{bucket}/{name}")
        assert s3.get_object(Bucket=bucket, Key=name)["Body"].read() == source.read_bytes()


def test_aws_cli_s3api_put_object(
    gateway: Gateway, s3: BaseClient, bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"put-object body")
    aws(gateway, tmp_path, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", "f")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"put-object body"


def test_aws_cli_s3control_reaches_the_gateway_through_the_http_proxy(
    gateway: Gateway, tmp_path: Path
) -> None:
    # The account id lands in the host (`111122223333.localhost:port`), which no resolver
    # needs to know: the client sends the absolute-form target to the proxy.
    out = aws(
        gateway,
        tmp_path,
        "s3control",
        "list-multi-region-access-points",
        "--account-id",
        ACCOUNT,
        "--endpoint-url",
        f"http://localhost:{gateway.port}",
        "--region",
        "us-west-2",
    )
    assert isinstance(json.loads(out)["AccessPoints"], list), out
    path = f"http://{ACCOUNT}.localhost:{gateway.port}/v20180820/mrap/instances"
    assert f"GET {path} 200" in gateway.log()


# boto3


def test_boto3_session_client_reads_and_lists(
    proxied_s3: BaseClient, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"via boto3")
    assert bucket in [b["Name"] for b in proxied_s3.list_buckets()["Buckets"]]
    assert proxied_s3.head_bucket(Bucket=bucket)["BucketRegion"] == "us-east-1"
    assert proxied_s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"via boto3"
    listed = proxied_s3.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in listed["Contents"]] == ["a/b.txt"]
    proxied_s3.delete_object(Bucket=bucket, Key="a/b.txt")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_boto3_regional_endpoint(gateway: Gateway, proxied_s3: BaseClient, s3: BaseClient) -> None:
    name = "proxy-west-" + secrets.token_hex(4)
    west = boto3.Session(region_name="us-west-2").client("s3")
    west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "us-west-2"
    west.delete_bucket(Bucket=name)
    assert f"CONNECT {name}.s3.us-west-2.amazonaws.com:443 200" in gateway.log()


def test_boto3_large_and_ranged_downloads_through_the_tunnel(
    proxied_s3: BaseClient, s3: BaseClient, bucket: str
) -> None:
    # Beyond the small-body path: TLS has no sendfile, the gateway streams the file.
    data = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="large.bin", Body=data)
    assert proxied_s3.get_object(Bucket=bucket, Key="large.bin")["Body"].read() == data
    part = proxied_s3.get_object(Bucket=bucket, Key="large.bin", Range="bytes=100000-2999999")
    assert part["Body"].read() == data[100000:3000000]


def test_boto3_session_client_uploads(proxied_s3: BaseClient, s3: BaseClient, bucket: str) -> None:
    proxied_s3.put_object(Bucket=bucket, Key="up", Body=b"uploaded through the tunnel")
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"uploaded through the tunnel"


def test_boto3_mrap_arn_reaches_the_gateway(gateway: Gateway, proxied_s3: BaseClient) -> None:
    # For an MRAP ARN botocore signs with SigV4A and goes to the global endpoint, where an
    # alias that names no access point is answered as S3 answers an unknown bucket.
    arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/mfzwi23gnjvgw.mrap"
    with pytest.raises(ClientError) as caught:
        proxied_s3.get_object(Bucket=arn, Key="k")
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
    assert "CONNECT mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com:443 200" in gateway.log()


# the tunnel itself


def test_tunnel_keeps_the_connection_alive(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = f"{bucket}.s3.amazonaws.com"
    with open_tunnel(gateway, host) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.selected_alpn_protocol() in (None, "http/1.1")
        for n in range(3):
            reply = tunnel_request(tls, "PUT", host, f"/keep/{n}", body=b"x" * n)
            assert reply.status == 200, reply.body
        reply = tunnel_request(tls, "GET", host, "/?list-type=2&prefix=keep%2F")
        assert reply.status == 200 and reply.body.count(b"<Key>") == 3
        cert = tls.getpeercert()
        assert cert is not None and ("DNS", host) in cert["subjectAltName"]
    assert gateway.log().count(f"CONNECT {host}:443 200") == 1


def test_tunnel_requests_must_name_the_tunnel_host(gateway: Gateway, bucket: str) -> None:
    host = f"{bucket}.s3.amazonaws.com"
    with open_tunnel(gateway, host) as tls:
        reply = tunnel_request(tls, "GET", f"other-{bucket}.s3.amazonaws.com", "/")
        assert (reply.status, reply.code) == (400, "InvalidRequest")


def test_path_style_through_the_tunnel(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = "s3.eu-west-1.amazonaws.com"
    with open_tunnel(gateway, host) as tls:
        reply = tunnel_request(tls, "PUT", host, f"/{bucket}/path/style", body=b"path")
        assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="path/style")["Body"].read() == b"path"


def test_own_domain_names_through_the_tunnel(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = f"{bucket}.localhost"
    with open_tunnel(gateway, host) as tls:
        reply = tunnel_request(tls, "PUT", host, "/own", body=b"own domain")
        assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="own")["Body"].read() == b"own domain"


@pytest.mark.parametrize(
    ("host", "method", "target", "api"),
    [
        (
            f"{ACCOUNT}.s3-control.us-west-2.amazonaws.com",
            "GET",
            "/v20180820/accesspoint",  # ListAccessPoints: S3 Control, but not MRAPs
            "S3 Control",
        ),
        (f"{ACCOUNT}.s3-control.localhost", "GET", "/v20180820/accesspoint", "S3 Control"),
    ],
)
def test_other_apis_answer_not_implemented_until_they_land(
    gateway: Gateway, host: str, method: str, target: str, api: str
) -> None:
    with open_tunnel(gateway, host) as tls:
        reply = tunnel_request(tls, method, host, target, body=b"Action=GetCallerIdentity")
        assert (reply.status, reply.code) == (501, "NotImplemented"), reply.body
        assert api in reply.error["Message"]


@pytest.mark.parametrize(
    ("host", "namespace"),
    [
        ("iam.amazonaws.com", "https://iam.amazonaws.com/doc/2010-05-08/"),
        ("iam.localhost", "https://iam.amazonaws.com/doc/2010-05-08/"),
        ("sts.us-east-1.amazonaws.com", "https://sts.amazonaws.com/doc/2011-06-15/"),
        ("sts.amazonaws.com", "https://sts.amazonaws.com/doc/2011-06-15/"),
    ],
)
def test_query_apis_answer_in_their_own_error_shape(
    gateway: Gateway, host: str, namespace: str
) -> None:
    # IAM and STS answer in the Query protocol's ErrorResponse document and namespace.
    with open_tunnel(gateway, host) as tls:
        service = host.partition(".")[0]  # IAM and STS refuse a signature scoped to s3
        reply = tunnel_request(tls, "POST", host, "/", body=b"Action=Frobnicate", service=service)
    assert (reply.status, reply.code) == (400, "InvalidAction"), reply.body
    assert reply.error["Type"] == "Sender"
    assert f'xmlns="{namespace}"'.encode() in reply.body


def test_client_refuses_a_certificate_from_another_ca(gateway: Gateway) -> None:
    # Without the gateway's CA a client must not trust the tunnel: the leaf is not AWS's.
    with pytest.raises(ssl.SSLCertVerificationError):
        from rawhttp import connect
        from tunnel import send_connect

        sock = connect(gateway)
        try:
            assert send_connect(sock, "s3.amazonaws.com:443")[0] == 200
            ssl.create_default_context().wrap_socket(sock, server_hostname="s3.amazonaws.com")
        finally:
            sock.close()
