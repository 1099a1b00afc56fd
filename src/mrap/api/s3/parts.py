"""Part numbers: parsing them, and where a part of a completed object lies in its bytes."""

from __future__ import annotations

from dataclasses import dataclass, field

from mrap import errors
from mrap.storage.base import MAX_PART_NUMBER, ObjectInfo, RegionStore


def part_number(raw: str) -> int:
    """A `partNumber` query value, 1 to 10,000; InvalidArgument otherwise."""
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PART_NUMBER:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=raw,
        )
    return number


@dataclass(frozen=True)
class PartSpan:
    """The bytes of one part of an object, and how many parts the object has."""

    offset: int
    length: int
    count: int  # 0 for an object not uploaded in parts
    checksums: dict[str, str] = field(default_factory=dict)  # the part's, when kept


def part_span(store: RegionStore, bucket: str, info: ObjectInfo, number: int) -> PartSpan:
    """Where part `number` (the number-th part the object was completed from) lies.

    An object not uploaded in parts is one part. A number past the last part answers
    416 InvalidPartNumber.
    """
    if not info.parts_count:
        if number != 1:
            raise errors.InvalidPartNumber(PartNumberRequested=str(number), ActualPartCount="1")
        return PartSpan(0, info.size, 0)
    if number > info.parts_count:
        raise errors.InvalidPartNumber(
            PartNumberRequested=str(number), ActualPartCount=str(info.parts_count)
        )
    found = store.object_parts(bucket, info.key, info.version_id, after=0, limit=number)
    parts = found[1] if found is not None and found[0].etag == info.etag else []
    if len(parts) != number:
        # The version changed since it was opened, or was completed before every part's
        # size was kept.
        raise errors.InternalError("the parts of this object are not known")
    offset = sum(part.size for part in parts[:-1])
    return PartSpan(offset, parts[-1].size, info.parts_count, parts[-1].checksums)
