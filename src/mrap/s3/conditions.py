"""Conditional requests (If-Match & co.) and byte ranges, as S3 evaluates them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.storage.base import ObjectInfo

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def http_date(timestamp: float) -> str:
    """RFC 7231 date of a timestamp, as Last-Modified carries it."""
    return format_datetime(datetime.fromtimestamp(int(timestamp), UTC), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    wanted = {v.strip().removeprefix("W/").strip('"') for v in header.split(",")}
    return "*" in wanted or etag in wanted


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
        if not _etag_matches(if_match, info.etag):
            return 412
    elif unmodified_since is not None and modified > unmodified_since:
        return 412
    if if_none_match is not None:
        if _etag_matches(if_none_match, info.etag):
            return 304
    elif since is not None and modified <= since:
        return 304
    return 0


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
