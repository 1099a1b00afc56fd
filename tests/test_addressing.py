"""Host recognition: every host shape the gateway accepts, and the ones it rejects.

Table-driven over `mrap.edge.addressing`; the gateway's domain is `localhost` throughout.
"""

from __future__ import annotations

import pytest

from mrap import errors
from mrap.edge.addressing import Api, connect_allowed, for_request, resolve

DOMAIN = "localhost"
S3, CONTROL, MRAP, IAM, STS = Api.S3, Api.S3_CONTROL, Api.MRAP, Api.IAM, Api.STS
CONTROL_PATH = "/v20180820/mrap/instances"

# (host, path, api, bucket, key, account id, alias, region)
ACCEPTED = [
    # AWS S3: global, regional, legacy dash form, dual-stack, FIPS, external-1, accelerate
    ("s3.amazonaws.com", "/b/k", S3, "b", "k", "", "", "us-east-1"),
    ("s3.amazonaws.com", "/", S3, "", "", "", "", "us-east-1"),
    ("bkt.s3.amazonaws.com", "/k/x", S3, "bkt", "k/x", "", "", "us-east-1"),
    ("my.dotted.bkt.s3.amazonaws.com", "/k", S3, "my.dotted.bkt", "k", "", "", "us-east-1"),
    ("s3.us-west-2.amazonaws.com", "/b/k", S3, "b", "k", "", "", "us-west-2"),
    ("bkt.s3.us-west-2.amazonaws.com", "/k", S3, "bkt", "k", "", "", "us-west-2"),
    ("s3-us-west-2.amazonaws.com", "/b/k", S3, "b", "k", "", "", "us-west-2"),
    ("bkt.s3-us-west-2.amazonaws.com", "/k", S3, "bkt", "k", "", "", "us-west-2"),
    ("s3-external-1.amazonaws.com", "/b", S3, "b", "", "", "", "us-east-1"),
    ("bkt.s3-external-1.amazonaws.com", "/", S3, "bkt", "", "", "", "us-east-1"),
    ("s3.dualstack.eu-west-1.amazonaws.com", "/b/k", S3, "b", "k", "", "", "eu-west-1"),
    ("bkt.s3.dualstack.eu-west-1.amazonaws.com", "/k", S3, "bkt", "k", "", "", "eu-west-1"),
    ("bkt.s3-fips.us-gov-west-1.amazonaws.com", "/k", S3, "bkt", "k", "", "", "us-gov-west-1"),
    ("s3-fips.dualstack.us-east-1.amazonaws.com", "/b", S3, "b", "", "", "", "us-east-1"),
    ("bkt.s3-accelerate.amazonaws.com", "/k", S3, "bkt", "k", "", "", ""),
    ("bkt.s3-accelerate.dualstack.amazonaws.com", "/k", S3, "bkt", "k", "", "", ""),
    ("111122223333.s3.amazonaws.com", "/k", S3, "111122223333", "k", "", "", "us-east-1"),
    # AWS S3 Control
    (
        "111122223333.s3-control.us-west-2.amazonaws.com",
        CONTROL_PATH,
        CONTROL,
        "",
        "",
        "111122223333",
        "",
        "us-west-2",
    ),
    (
        "111122223333.s3-control.amazonaws.com",
        CONTROL_PATH,
        CONTROL,
        "",
        "",
        "111122223333",
        "",
        "",
    ),
    (
        "111122223333.s3-control-fips.dualstack.us-east-1.amazonaws.com",
        CONTROL_PATH,
        CONTROL,
        "",
        "",
        "111122223333",
        "",
        "us-east-1",
    ),
    ("s3-control.us-west-2.amazonaws.com", CONTROL_PATH, CONTROL, "", "", "", "", "us-west-2"),
    # AWS MRAP global endpoint: the alias is two labels
    (
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
        "/a/b%20c",
        MRAP,
        "",
        "a/b c",
        "",
        "mfzwi23gnjvgw.mrap",
        "",
    ),
    # AWS IAM, STS
    ("iam.amazonaws.com", "/", IAM, "", "", "", "", ""),
    ("iam-fips.amazonaws.com", "/", IAM, "", "", "", "", ""),
    ("sts.amazonaws.com", "/", STS, "", "", "", "", ""),
    ("sts.us-east-1.amazonaws.com", "/", STS, "", "", "", "", "us-east-1"),
    ("sts-fips.us-west-2.amazonaws.com", "/", STS, "", "", "", "", "us-west-2"),
    # the gateway's own domain
    ("localhost", "/b/k", S3, "b", "k", "", "", ""),
    ("localhost:9000", "/", S3, "", "", "", "", ""),
    ("bkt.localhost:9000", "/k%2Fx", S3, "bkt", "k/x", "", "", ""),
    ("a.b.localhost", "/k", S3, "a.b", "k", "", "", ""),
    (
        "111122223333.s3-control.localhost:9000",
        CONTROL_PATH,
        CONTROL,
        "",
        "",
        "111122223333",
        "",
        "",
    ),
    (
        "111122223333.s3-control.us-west-2.localhost",
        CONTROL_PATH,
        CONTROL,
        "",
        "",
        "111122223333",
        "",
        "us-west-2",
    ),
    # botocore prepends the account to a custom S3 Control endpoint
    ("111122223333.localhost:9000", CONTROL_PATH, CONTROL, "", "", "111122223333", "", ""),
    ("111122223333.localhost:9000", "/v20180820", CONTROL, "", "", "111122223333", "", ""),
    ("111122223333.localhost:9000", "/k", S3, "111122223333", "k", "", "", ""),
    ("111122223333.127.0.0.1:9000", CONTROL_PATH, CONTROL, "", "", "111122223333", "", ""),
    ("abc.mrap.accesspoint.s3-global.localhost", "/k", MRAP, "", "k", "", "abc.mrap", ""),
    ("iam.localhost:9000", "/", IAM, "", "", "", "", ""),
    ("sts.localhost:9000", "/", STS, "", "", "", "", ""),
    ("sts.eu-west-1.localhost", "/", STS, "", "", "", "", "eu-west-1"),
    # The console has its own port: on the S3 port `console` is a bucket like any other.
    ("console.localhost:9000", "/buckets", S3, "console", "buckets", "", "", ""),
    # IP addresses: path style
    ("127.0.0.1", "/b/k", S3, "b", "k", "", "", ""),
    ("127.0.0.1:9000", "/", S3, "", "", "", "", ""),
    ("[::1]:9000", "/b/k", S3, "b", "k", "", "", ""),
    ("[::1]", "/b", S3, "b", "", "", "", ""),
    # upper case, trailing dots, ports
    ("BKT.S3.US-WEST-2.AMAZONAWS.COM", "/k", S3, "bkt", "k", "", "", "us-west-2"),
    ("bkt.s3.amazonaws.com.", "/k", S3, "bkt", "k", "", "", "us-east-1"),
    ("bkt.s3.amazonaws.com.:443", "/k", S3, "bkt", "k", "", "", "us-east-1"),
    ("Bkt.LocalHost.:9000", "/k", S3, "bkt", "k", "", "", ""),
    ("IAM.AMAZONAWS.COM:443", "/", IAM, "", "", "", "", ""),
    ("ABC.MRAP.ACCESSPOINT.S3-GLOBAL.AMAZONAWS.COM.", "/k", MRAP, "", "k", "", "abc.mrap", ""),
    ("localhost:", "/b", S3, "b", "", "", "", ""),
]


@pytest.mark.parametrize(
    ("host", "path", "api", "bucket", "key", "account", "alias", "region"), ACCEPTED
)
@pytest.mark.parametrize("proxied", [False, True])
def test_accepted_host_shapes(
    host: str,
    path: str,
    api: Api,
    bucket: str,
    key: str,
    account: str,
    alias: str,
    region: str,
    proxied: bool,
) -> None:
    target = resolve(host, path, DOMAIN, proxied=proxied)
    got = (target.api, target.bucket, target.key, target.account_id, target.alias, target.region)
    assert got == (api, bucket, key, account, alias, region)
    assert target.raw_path == path


# Hosts under another domain: path style when sent directly, refused when proxied.
FOREIGN = [
    "example.com",
    "bkt.other.test:9000",
    "s3.amazonaws.com.evil.test",
    "bkt.s3.us-west-2.amazonaws.com.evil",
    "amazonaws.co",
    "localhost.example.com",
]


@pytest.mark.parametrize("host", FOREIGN)
def test_other_domains_are_path_style_directly_and_refused_when_proxied(host: str) -> None:
    target = resolve(host, "/b/k", DOMAIN)
    assert (target.api, target.bucket, target.key) == (S3, "b", "k")
    with pytest.raises(errors.AccessDenied):
        resolve(host, "/b/k", DOMAIN, proxied=True)


# (host, error): AWS services not served, malformed shapes under served domains, bad syntax.
REJECTED = [
    ("dynamodb.us-east-1.amazonaws.com", errors.AccessDenied),
    ("ec2.amazonaws.com", errors.AccessDenied),
    ("amazonaws.com", errors.AccessDenied),
    ("bkt.s3-website-us-east-1.amazonaws.com", errors.AccessDenied),
    ("bkt.s3-website.us-east-1.amazonaws.com", errors.AccessDenied),
    ("ap-111122223333.s3-accesspoint.us-east-1.amazonaws.com", errors.AccessDenied),
    ("s3-accelerate.amazonaws.com", errors.AccessDenied),  # accelerate needs a bucket host
    ("bkt.s3.dualstack.amazonaws.com", errors.AccessDenied),  # dual-stack needs a region
    ("s3.dualstack.amazonaws.com", errors.AccessDenied),
    ("sts.nowhere.amazonaws.com", errors.AccessDenied),
    ("iam.us-east-1.amazonaws.com", errors.AccessDenied),
    ("mfzwi23gnjvgw.accesspoint.s3-global.amazonaws.com", errors.InvalidRequest),  # one label
    ("a.b.mrap.accesspoint.s3-global.amazonaws.com", errors.InvalidRequest),
    ("abc.notmrap.accesspoint.s3-global.amazonaws.com", errors.InvalidRequest),
    ("9abc.mrap.accesspoint.s3-global.localhost", errors.InvalidRequest),
    ("12345.s3-control.us-west-2.amazonaws.com", errors.InvalidRequest),  # not 12 digits
    ("a.111122223333.s3-control.us-west-2.amazonaws.com", errors.InvalidRequest),
    ("111122223333.s3-control.nowhere.amazonaws.com", errors.InvalidRequest),
    ("111122223333.s3-control.dualstack.amazonaws.com", errors.InvalidRequest),
    ("111122223333.s3-control.localhost.extra.localhost", errors.InvalidRequest),
    ("", errors.InvalidRequest),
    (":9000", errors.InvalidRequest),
    ("bkt..localhost", errors.InvalidRequest),
    ("bkt.localhost..", errors.InvalidRequest),
    ("-bkt.localhost", errors.InvalidRequest),
    ("bkt .localhost", errors.InvalidRequest),
    ("bkt/x.localhost", errors.InvalidRequest),
    ("localhost:port", errors.InvalidRequest),
    ("localhost:99999", errors.InvalidRequest),
    ("localhost:0", errors.InvalidRequest),
    ("[::1", errors.InvalidRequest),
    ("[not-an-ip]:9000", errors.InvalidRequest),
    ("[::1]x", errors.InvalidRequest),
    ("a" * 64 + ".localhost", errors.InvalidRequest),
    ("é.localhost", errors.InvalidRequest),
]


@pytest.mark.parametrize(("host", "error"), REJECTED)
@pytest.mark.parametrize("proxied", [False, True])
def test_rejected_hosts(host: str, error: type[errors.S3Error], proxied: bool) -> None:
    with pytest.raises(error):
        resolve(host, "/b/k", DOMAIN, proxied=proxied)


def test_another_gateway_domain() -> None:
    target = resolve("bkt.example.test:9000", "/k", "example.test")
    assert (target.api, target.bucket, target.key) == (S3, "bkt", "k")
    target = resolve("111122223333.s3-control.example.test", CONTROL_PATH, "example.test")
    assert (target.api, target.account_id) == (CONTROL, "111122223333")
    # `localhost` is just another domain now: path style directly, refused through the proxy.
    assert resolve("bkt.localhost", "/k", "example.test").bucket == "k"
    with pytest.raises(errors.AccessDenied):
        resolve("bkt.localhost", "/k", "example.test", proxied=True)


# (CONNECT authority, terminated host name or None when refused)
CONNECT = [
    ("bkt.s3.amazonaws.com:443", "bkt.s3.amazonaws.com"),
    ("s3.us-west-2.amazonaws.com:443", "s3.us-west-2.amazonaws.com"),
    ("BKT.S3.AMAZONAWS.COM.:443", "bkt.s3.amazonaws.com"),
    (
        "111122223333.s3-control.us-west-2.amazonaws.com:443",
        "111122223333.s3-control.us-west-2.amazonaws.com",
    ),
    (
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com:443",
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
    ),
    ("iam.amazonaws.com:443", "iam.amazonaws.com"),
    ("sts.us-east-1.amazonaws.com:443", "sts.us-east-1.amazonaws.com"),
    ("bkt.localhost:443", "bkt.localhost"),
    ("localhost:443", "localhost"),
    ("abc.mrap.accesspoint.s3-global.localhost:443", "abc.mrap.accesspoint.s3-global.localhost"),
    ("example.com:443", None),
    ("dynamodb.us-east-1.amazonaws.com:443", None),
    ("bkt.s3.amazonaws.com:22", None),
    ("bkt.s3.amazonaws.com:80", None),
    ("bkt.s3.amazonaws.com", None),  # no port
    ("127.0.0.1:443", None),  # never an address
    ("[::1]:443", None),
    ("111122223333.127.0.0.1:443", None),
    (":443", None),
    ("", None),
    ("mfzwi23gnjvgw.accesspoint.s3-global.amazonaws.com:443", None),
    ("bkt.s3.amazonaws.com:443:443", None),
]


@pytest.mark.parametrize(("authority", "name"), CONNECT)
def test_connect_targets(authority: str, name: str | None) -> None:
    assert connect_allowed(authority, DOMAIN) == name


def test_absolute_form_authority_wins_and_is_strict() -> None:
    target = for_request("http://bkt.localhost:9000/k?x=1", "other:9000", "/k", DOMAIN, None)
    assert (target.bucket, target.key) == ("bkt", "k")
    with pytest.raises(errors.AccessDenied):
        for_request("http://example.com/b/k", "localhost:9000", "/b/k", DOMAIN, None)
    with pytest.raises(errors.AccessDenied):
        for_request("http://user@example.com/b/k", "localhost", "/b/k", DOMAIN, None)


def test_tunnel_requests_must_name_the_tunnel_host() -> None:
    tunnel = "bkt.s3.amazonaws.com"
    target = for_request("/k", "BKT.s3.amazonaws.com", "/k", DOMAIN, tunnel)
    assert (target.bucket, target.key) == ("bkt", "k")
    target = for_request("/k", "bkt.s3.amazonaws.com:443", "/k", DOMAIN, tunnel)
    assert target.bucket == "bkt"
    with pytest.raises(errors.InvalidRequest):
        for_request("/k", "other.s3.amazonaws.com", "/k", DOMAIN, tunnel)
    with pytest.raises(errors.InvalidRequest):
        for_request("http://other.s3.amazonaws.com/k", tunnel, "/k", DOMAIN, tunnel)


def test_keys_are_decoded_once_and_never_normalized() -> None:
    target = resolve("bkt.s3.amazonaws.com", "/a/../b%2520c", DOMAIN)
    assert target.key == "a/../b%20c"
    with pytest.raises(errors.InvalidURI):
        resolve("bkt.s3.amazonaws.com", "/%ff", DOMAIN)
