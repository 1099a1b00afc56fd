"""Addressing: which bucket and key a request names, from its host and path.

Virtual-hosted style puts the bucket in the host (`bucket.localhost:9000/key`); path style
puts it first in the path (`localhost:9000/bucket/key`). Keys are taken from the raw path,
percent-decoded once and never normalized: `../` is part of a key, not a path step.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from mrap import errors


@dataclass(frozen=True)
class Target:
    """What a request addresses: the service (no bucket), a bucket, or an object."""

    bucket: str
    key: str
    raw_path: str  # the origin-form path as sent, for signature checks

    @property
    def level(self) -> str:
        """`service`, `bucket` or `object`."""
        if not self.bucket:
            return "service"
        return "object" if self.key else "bucket"

    @property
    def resource(self) -> str:
        """`/bucket/key` whatever the addressing style, as S3 names it in error documents."""
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


def normalize_host(host: str) -> str:
    """Lower-case host name without port and trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def _decode(raw: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise errors.InvalidURI(URI=raw) from None


def resolve(host: str, raw_path: str, domain: str) -> Target:
    """The bucket and key of a request to the gateway's S3 endpoint."""
    name = normalize_host(host)
    suffix = "." + domain.lower()
    if name.endswith(suffix) and len(name) > len(suffix):
        return Target(name[: -len(suffix)], _decode(raw_path[1:]), raw_path)
    bucket, _, key = raw_path[1:].partition("/")
    return Target(_decode(bucket), _decode(key), raw_path)
