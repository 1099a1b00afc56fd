"""Addressing: which API, account, bucket, alias and key a request names.

Every host shape the gateway accepts is recognized here, for AWS's own names (reached through
the endpoint proxy or a DNS override) and for the gateway's domain:

| shape | target |
|---|---|
| `s3.…`, `s3[-fips][.dualstack].{region}.…`, `s3-{region}.…`, `s3-external-1.…` | S3 root |
| `{bucket}.` + any of those, `{bucket}.s3-accelerate[.dualstack].…` | S3 bucket |
| `{acct}.s3-control[-fips][[.dualstack].{region}].…` | S3 Control (account id optional) |
| `{alias}.mrap.accesspoint.s3-global.…` | Multi-Region Access Point |
| `iam[-fips].amazonaws.com`, `iam.{domain}` | IAM |
| `sts[-fips][.{region}].amazonaws.com`, `sts[.{region}].{domain}` | STS |
| `{domain}`, an IP address | S3 service root (path style) |
| `{bucket}.{domain}` | S3 bucket |
| `{acct}.{domain}` with a `/v20180820/` path, `{acct}.{IPv4}` | S3 Control (custom endpoint) |

The last row exists because botocore prepends the account id to a custom S3 Control endpoint
(`111122223333.localhost:9000`), which is otherwise a valid bucket host.

Other AWS names, and malformed shapes under a served domain, are rejected. A host under some
other domain is rejected when the request came through the proxy (absolute-form target or a
CONNECT tunnel); sent directly it is the gateway's name behind some DNS or reverse proxy, and
the request is path style. Keys come from the raw path, percent-decoded once and never
normalized: `../` is part of a key, not a path step.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from mrap import errors
from mrap.operation import Level

AWS_SUFFIX = "amazonaws.com"
CONTROL_PATH = "/v20180820"  # every S3 Control operation's path starts with it

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_ALIAS_HEAD = re.compile(r"[a-z][a-z0-9]*")
_PORT = re.compile(r"\d{0,5}")


class Api(enum.Enum):
    """The API a host serves."""

    S3 = "S3"
    S3_CONTROL = "S3 Control"
    MRAP = "Multi-Region Access Points"
    IAM = "IAM"
    STS = "STS"


class BadHost(ValueError):
    """A host that is malformed, or a name under a served domain with no served shape."""


class NotServed(BadHost):
    """An AWS name of a service the gateway does not serve (`dynamodb.….amazonaws.com`)."""


@dataclass(frozen=True)
class HostTarget:
    """What a host name addresses, before the path is looked at."""

    api: Api
    bucket: str = ""  # virtual-hosted S3 bucket
    account_id: str = ""  # S3 Control account label
    alias: str = ""  # MRAP alias, `xxxx.mrap`
    region: str = ""  # region named by the host, if any


@dataclass(frozen=True)
class Target:
    """What a request addresses: the API, then the bucket (or alias) and key."""

    bucket: str
    key: str
    raw_path: str  # the origin-form path as sent, for signature checks
    api: Api = Api.S3
    account_id: str = ""
    alias: str = ""
    region: str = ""

    @property
    def level(self) -> Level:
        """`service`, `bucket` or `object`."""
        if not self.bucket:
            return "service"
        return "object" if self.key else "bucket"

    @property
    def resource(self) -> str:
        """`/bucket/key` whatever the addressing style, as S3 names it in error documents."""
        if self.api is not Api.S3:
            return unquote(self.raw_path)
        if not self.bucket:
            return "/"
        return f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"


def split_target(raw_target: str) -> tuple[str, str]:
    """(path, query) of a request target, origin-form or absolute-form."""
    if raw_target.startswith(("http://", "https://")):
        rest = raw_target.split("://", 1)[1]
        slash = rest.find("/")
        question = rest.find("?")
        if slash < 0 or (0 <= question < slash):
            raw_target = "/" + rest[question:] if question >= 0 else "/"
        else:
            raw_target = rest[slash:]
    path, _, query = raw_target.partition("?")
    return path or "/", query


def target_authority(raw_target: str) -> str | None:
    """The authority of an absolute-form target (`http://host:port/…`), else None."""
    if not raw_target.startswith(("http://", "https://")):
        return None
    rest = raw_target.split("://", 1)[1]
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    return rest[:end].rpartition("@")[2]  # userinfo is never a host


def parse_authority(authority: str) -> tuple[str, int | None]:
    """(normalized host name, port) of `host[:port]`; raises BadHost when malformed.

    Names are lower-cased and lose one trailing dot; IPv6 literals keep their brackets.
    """
    authority = authority.strip().lower()
    port_text: str | None = None
    if authority.startswith("["):
        literal, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise BadHost(authority)
        try:
            name = f"[{ipaddress.IPv6Address(literal).compressed}]"
        except ValueError:
            raise BadHost(authority) from None
        port_text = rest[1:] if rest else None
    else:
        name, colon, port_text_ = authority.partition(":")
        port_text = port_text_ if colon else None
        name = name[:-1] if name.endswith(".") else name
        if not name or len(name) > 253 or not all(map(_LABEL.fullmatch, name.split("."))):
            raise BadHost(authority)
    if port_text is None or port_text == "":
        return name, None
    if not _PORT.fullmatch(port_text) or not 0 < int(port_text) < 65536:
        raise BadHost(authority)
    return name, int(port_text)


def normalize_host(host: str) -> str:
    """Lower-case host name without port and trailing dot (raises BadHost when malformed)."""
    return parse_authority(host)[0]


def is_ip(name: str) -> bool:
    """Whether a normalized host is an IP address literal."""
    if name.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def _alias(labels: list[str]) -> str | None:
    """`xxxx.mrap` from `[xxxx, mrap, accesspoint, s3-global]`."""
    if len(labels) != 4 or labels[1:] != ["mrap", "accesspoint", "s3-global"]:
        return None
    alias = f"{labels[0]}.mrap"
    return alias if _ALIAS_HEAD.fullmatch(labels[0]) and len(alias) <= 63 else None


def _control(labels: list[str]) -> HostTarget | None:
    """`[acct.]s3-control[-fips][[.dualstack].region]`, or None if not S3 Control."""
    names = ("s3-control", "s3-control-fips")
    at = next((i for i, label in enumerate(labels) if label in names), None)
    if at is None:
        return None
    before, after = labels[:at], labels[at + 1 :]
    if len(before) > 1 or (before and not _ACCOUNT.fullmatch(before[0])):
        raise BadHost(".".join(labels))
    if after and after[0] == "dualstack":
        after = after[1:] or ["-"]  # dual-stack names always carry a region
    if len(after) > 1 or (after and not _REGION.fullmatch(after[0])):
        raise BadHost(".".join(labels))
    return HostTarget(Api.S3_CONTROL, account_id="".join(before), region="".join(after))


def _s3_endpoint(labels: list[str]) -> tuple[int, str, bool] | None:
    """(labels in the endpoint part, region, bucket required) of an AWS S3 name."""
    last = labels[-1]
    if last in ("s3", "s3-external-1"):
        return 1, "us-east-1", False
    if last.startswith("s3-") and _REGION.fullmatch(last[3:]):
        return 1, last[3:], False  # legacy dash form, `s3-us-west-2`
    if last == "s3-accelerate":
        return 1, "", True  # accelerate is virtual-hosted only
    if len(labels) < 2:
        return None
    if labels[-2:] == ["s3-accelerate", "dualstack"]:
        return 2, "", True
    if not _REGION.fullmatch(last):
        return None
    if len(labels) >= 3 and labels[-2] == "dualstack" and labels[-3] in ("s3", "s3-fips"):
        return 3, last, False
    if labels[-2] in ("s3", "s3-fips"):
        return 2, last, False
    return None


def _aws(labels: list[str]) -> HostTarget | None:
    """An `*.amazonaws.com` name (labels before the suffix); None for services not served."""
    alias = _alias(labels)
    if alias:
        return HostTarget(Api.MRAP, alias=alias)
    if labels[-2:] == ["accesspoint", "s3-global"]:
        raise BadHost(".".join(labels))  # the MRAP shape, with a malformed alias
    control = _control(labels)
    if control:
        return control
    if labels in (["iam"], ["iam-fips"]):
        return HostTarget(Api.IAM)
    if labels == ["sts"]:
        return HostTarget(Api.STS)
    if len(labels) == 2 and labels[0] in ("sts", "sts-fips") and _REGION.fullmatch(labels[1]):
        return HostTarget(Api.STS, region=labels[1])
    endpoint = _s3_endpoint(labels)
    if endpoint is None:
        return None
    size, region, needs_bucket = endpoint
    bucket = ".".join(labels[:-size])
    if needs_bucket and not bucket:
        return None
    return HostTarget(Api.S3, bucket=bucket, region=region)


def _own(labels: list[str]) -> HostTarget:
    """A name under the gateway's domain (labels before the domain)."""
    alias = _alias(labels)
    if alias:
        return HostTarget(Api.MRAP, alias=alias)
    if labels[-2:] == ["accesspoint", "s3-global"]:
        raise BadHost(".".join(labels))
    control = _control(labels)
    if control:
        return control
    if labels == ["iam"]:
        return HostTarget(Api.IAM)
    if labels == ["sts"] or (
        len(labels) == 2 and labels[0] == "sts" and _REGION.fullmatch(labels[1])
    ):
        return HostTarget(Api.STS, region="".join(labels[1:]))
    return HostTarget(Api.S3, bucket=".".join(labels))


def recognize(name: str, domain: str) -> HostTarget | None:
    """What a normalized host name addresses; None for a name under another domain.

    Raises NotServed for AWS names the gateway does not serve, BadHost for malformed shapes
    under the domains it serves.
    """
    if is_ip(name):
        return HostTarget(Api.S3)
    domain = domain.strip().lower().rstrip(".")
    if name == domain:
        return HostTarget(Api.S3)
    if name.endswith("." + domain):
        return _own(name[: -len(domain) - 1].split("."))
    if name == AWS_SUFFIX or name.endswith("." + AWS_SUFFIX):
        served = _aws(name[: -len(AWS_SUFFIX) - 1].split("."))
        if served is None:
            raise NotServed(name)
        return served
    head, _, rest = name.partition(".")
    if _ACCOUNT.fullmatch(head) and is_ip(rest):
        return HostTarget(Api.S3_CONTROL, account_id=head)  # account-prefixed IP endpoint
    return None


def connect_allowed(authority: str, domain: str) -> str | None:
    """The normalized host name of a CONNECT target the gateway terminates, else None.

    Only port 443 of a served name; never an IP address, never a name of another domain.
    """
    try:
        name, port = parse_authority(authority)
        served = recognize(name, domain)
    except BadHost:
        return None
    if port != 443 or served is None or is_ip(name) or is_ip(name.partition(".")[2]):
        return None  # addresses have no certificate name (and `{acct}.{IPv4}` is no name)
    return name


def _decode(raw: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise errors.InvalidURI(URI=raw) from None


def _is_control_path(raw_path: str) -> bool:
    return raw_path == CONTROL_PATH or raw_path.startswith(CONTROL_PATH + "/")


def resolve(host: str, raw_path: str, domain: str, *, proxied: bool = False) -> Target:
    """The target of a request for `host` and origin-form `raw_path`.

    `proxied` requests (absolute-form or through a tunnel) must name a served host; direct
    ones under another domain are path style.
    """
    try:
        name = normalize_host(host)
        served = recognize(name, domain)
    except NotServed:
        raise errors.AccessDenied(f"This gateway does not serve the host {host}.") from None
    except BadHost:
        raise errors.InvalidRequest(f"The host {host!r} is not valid here.") from None
    if served is None:
        if proxied:
            raise errors.AccessDenied(f"This gateway does not serve the host {name}.")
        served = HostTarget(Api.S3)
    if served.api is Api.S3 and _ACCOUNT.fullmatch(served.bucket) and _is_control_path(raw_path):
        served = HostTarget(Api.S3_CONTROL, account_id=served.bucket)
    if served.api is Api.S3:
        if served.bucket:
            return Target(served.bucket, _decode(raw_path[1:]), raw_path, region=served.region)
        bucket, _, key = raw_path[1:].partition("/")
        return Target(_decode(bucket), _decode(key), raw_path, region=served.region)
    key = _decode(raw_path[1:]) if served.api is Api.MRAP else ""
    return Target("", key, raw_path, served.api, served.account_id, served.alias, served.region)


def for_request(
    raw_target: str, host_header: str, raw_path: str, domain: str, tunnel_host: str | None
) -> Target:
    """The target of one HTTP request: absolute-form authority, else the Host header.

    Inside a CONNECT tunnel the Host header must name the tunnel's host.
    """
    authority = target_authority(raw_target)
    if tunnel_host is not None:
        try:
            same = normalize_host(authority or host_header) == tunnel_host
        except BadHost:
            same = False
        if not same:
            raise errors.InvalidRequest(f"The host does not match the tunnel to {tunnel_host}.")
    proxied = authority is not None or tunnel_host is not None
    return resolve(authority or host_header, raw_path, domain, proxied=proxied)
