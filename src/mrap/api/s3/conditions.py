"""Conditional requests (If-Match & co.) and byte ranges, as S3 evaluates them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.operation import OpRequest
from mrap.storage.base import ObjectInfo, RegionStore, WriteCondition, etag_matches

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def http_date(timestamp: float) -> str:
    """RFC 7231 date of a timestamp, as Last-Modified carries it."""
    return format_datetime(datetime.fromtimestamp(int(timestamp), UTC), usegmt=True)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None  # an unparseable date is ignored, as S3 does


def evaluate(headers: CIMultiDictProxy[str], info: ObjectInfo, prefix: str = "if-") -> int:
    """Evaluate the preconditions; 0 to proceed, else 304 or 412.

    `prefix` selects the header family: `if-` for GET/HEAD, `x-amz-copy-source-if-` for the
    source of a copy (where a failed "not modified" condition also answers 412).
    """
    modified = datetime.fromtimestamp(int(info.last_modified), UTC)
    if_match = headers.get(prefix + "match")
    if_none_match = headers.get(prefix + "none-match")
    since = _parse_date(headers.get(prefix + "modified-since"))
    unmodified_since = _parse_date(headers.get(prefix + "unmodified-since"))
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            return 412
    elif unmodified_since is not None and modified > unmodified_since:
        return 412
    if if_none_match is not None:
        if etag_matches(if_none_match, info.etag):
            return 304
    elif since is not None and modified <= since:
        return 304
    return 0


def write_condition(headers: CIMultiDictProxy[str]) -> WriteCondition | None:
    """The `If-Match` / `If-None-Match` of a write (PutObject, CompleteMultipartUpload…)."""
    if_match = headers.get("if-match")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None and if_none_match.strip() != "*":
        # S3 supports only "*" here: "no object may exist under this key".
        raise errors.S3NotImplemented(Header="If-None-Match")
    if if_match is None and if_none_match is None:
        return None
    return WriteCondition(if_match, if_none_match is not None)


def check_write_condition(
    condition: WriteCondition | None, current: ObjectInfo | None, key: str
) -> None:
    """Refuse a write whose condition does not hold for the key's latest version now."""
    if condition is None or condition.holds(current):
        return
    exists = current is not None and not current.delete_marker
    if condition.if_none_match and exists:
        raise errors.PreconditionFailed(Condition="If-None-Match")
    if not exists:
        raise errors.NoSuchKey(Key=key)
    raise errors.PreconditionFailed(Condition="If-Match")


def precheck_write(store: RegionStore, req: OpRequest) -> WriteCondition | None:
    """Check a write's If-Match / If-None-Match before its body is read (412 early).

    The store checks the condition again when the write commits: a concurrent write or
    delete of the key that lands in between fails that check (ConditionalRequestConflict).
    """
    condition = write_condition(req.headers)
    if condition is not None:
        check_write_condition(condition, store.head_object(req.bucket, req.key), req.key)
    return condition


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(offset, length) of a `Range: bytes=` header, None for the whole object.

    Syntactically invalid or multi-range headers are ignored; unsatisfiable ones raise
    InvalidRange.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise errors.InvalidRange(RangeRequested=header, ActualObjectSize=str(size))
        suffix = min(suffix, size)
        return size - suffix, suffix
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise errors.InvalidRange(RangeRequested=header, ActualObjectSize=str(size))
    end = min(end, size - 1)
    return start, end - start + 1
