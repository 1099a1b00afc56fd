"""Naming rules of S3: bucket names and object keys."""

from __future__ import annotations

import re

from mrap import errors

MAX_KEY_BYTES = 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    """Raise InvalidBucketName unless `name` follows the general-purpose bucket rules."""
    if (
        not _BUCKET.fullmatch(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or _IPV4.fullmatch(name)
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
    ):
        raise errors.InvalidBucketName(BucketName=name)


def check_key(key: str) -> None:
    """Raise unless `key` is a storable object key (1 to 1024 bytes of UTF-8)."""
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        raise errors.InvalidArgument("Object key is not valid UTF-8") from None
    if size > MAX_KEY_BYTES:
        raise errors.KeyTooLongError(Size=str(size), MaxSizeAllowed=str(MAX_KEY_BYTES))
