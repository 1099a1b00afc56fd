"""Storage classes: the `x-amz-storage-class` of writes, and what archived classes allow.

Every class is served from the same bytes; the class is metadata that listings, HEAD and
GetObjectAttributes show. GLACIER and DEEP_ARCHIVE behave as archived on AWS: their bytes
are readable (GetObject, a copy source) only while a copy made by RestoreObject is there.
GLACIER_IR is readable at once, as on AWS.
"""

from __future__ import annotations

import time

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.api.s3.conditions import http_date
from mrap.storage.base import STANDARD, STORAGE_CLASSES, ObjectInfo

ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_HEADER = "x-amz-storage-class"

# What a version's restored copy is doing now.
NO_COPY = "none"
ONGOING = "ongoing"
RESTORED = "restored"


def requested_class(headers: CIMultiDictProxy[str]) -> str:
    """The class a write asks for (STANDARD without the header); InvalidStorageClass if
    AWS knows no such class."""
    value = headers.get(_HEADER)
    if value is None:
        return STANDARD
    if value not in STORAGE_CLASSES:
        raise errors.InvalidStorageClass(StorageClassRequested=value)
    return value


def has_class_header(headers: CIMultiDictProxy[str]) -> bool:
    """Whether the request names a storage class."""
    return _HEADER in headers


def restore_state(info: ObjectInfo, now: float | None = None) -> str:
    """NO_COPY, ONGOING or RESTORED: the version's restored copy at `now` (default: now)."""
    at = time.time() if now is None else now
    if not info.restore_ready or at >= info.restore_expiry:
        return NO_COPY  # never asked for, or expired
    return ONGOING if at < info.restore_ready else RESTORED


def class_headers(info: ObjectInfo) -> dict[str, str]:
    """`x-amz-storage-class` (absent for STANDARD, as AWS does) and `x-amz-restore` of a
    GET or HEAD."""
    headers: dict[str, str] = {}
    if info.storage_class != STANDARD:
        headers[_HEADER] = info.storage_class
    state = restore_state(info)
    if state == ONGOING:
        headers["x-amz-restore"] = 'ongoing-request="true"'
    elif state == RESTORED:
        expiry = http_date(info.restore_expiry)
        headers["x-amz-restore"] = f'ongoing-request="false", expiry-date="{expiry}"'
    return headers


def check_readable(info: ObjectInfo, *, copy_source: bool = False) -> None:
    """InvalidObjectState unless the version's bytes may be read: not archived, or
    restored."""
    if info.storage_class not in ARCHIVED or restore_state(info) == RESTORED:
        return
    if copy_source:
        raise errors.InvalidObjectState(
            "The source object of the COPY action is not in the active tier and is only "
            "stored in Amazon Glacier.",
            StorageClass=info.storage_class,
        )
    raise errors.InvalidObjectState(
        "The operation is not valid for the object's storage class",
        StorageClass=info.storage_class,
    )
