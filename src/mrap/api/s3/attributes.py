"""GetObjectAttributes: an object's ETag, checksum, parts, storage class and size at once."""

from __future__ import annotations

from mrap import errors
from mrap.api.s3.checksums import checksum_type
from mrap.api.s3.conditions import http_date
from mrap.api.s3.versioning import check_version_id, not_found, version_headers
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.services import Services
from mrap.storage.base import ObjectInfo, PartInfo

ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")
MAX_PARTS = 1000


def _wanted(value: str | None) -> set[str]:
    names = {name.strip() for name in (value or "").split(",") if name.strip()}
    if not names:
        raise errors.InvalidRequest(
            "The x-amz-object-attributes header specifying the attributes to be retrieved is "
            "either missing or empty"
        )
    if not names <= set(ATTRIBUTES):
        raise errors.InvalidArgument("Invalid attribute name specified.")
    return names


def _number(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.strip().isdigit():
        raise errors.InvalidArgument(
            f"Argument {name} must be an integer between 0 and 2147483647",
            ArgumentName=name,
            ArgumentValue=value,
        )
    return int(value)


def _checksum(info: ObjectInfo) -> list[tuple[str, XmlValue]] | None:
    # Composite values appear here without the `-<parts>` suffix GET and HEAD show.
    if not info.checksums:
        return None
    children: list[tuple[str, XmlValue]] = [
        (f"Checksum{name}", value) for name, value in info.checksums.items()
    ]
    children.append(("ChecksumType", checksum_type(info)))
    return children


def _parts(
    info: ObjectInfo, parts: list[PartInfo], marker: int, limit: int
) -> list[tuple[str, XmlValue]] | None:
    if not info.parts_count:
        return None
    # AWS pages over every part of a multipart object (TotalPartsCount and the paging fields
    # always), but details a part only when its upload chose a checksum.
    page, truncated = parts[:limit], len(parts) > limit
    children: list[tuple[str, XmlValue]] = [
        ("PartsCount", info.parts_count),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", page[-1].number if page else marker),
        ("MaxParts", limit),
        ("IsTruncated", truncated),
    ]
    for part in page:
        if not part.checksums:
            continue
        entry: list[tuple[str, XmlValue]] = [("PartNumber", part.number), ("Size", part.size)]
        entry += [(f"Checksum{name}", value) for name, value in part.checksums.items()]
        children.append(("Part", entry))
    return children


async def get_object_attributes(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?attributes, the attributes named by `x-amz-object-attributes`."""
    version_id = check_version_id(req)
    _, store = req.authorized_bucket()
    wanted = _wanted(req.headers.get("x-amz-object-attributes"))
    marker = _number(req.headers.get("x-amz-part-number-marker"), "part-number-marker", 0)
    limit = min(_number(req.headers.get("x-amz-max-parts"), "max-parts", MAX_PARTS), MAX_PARTS)
    found = store.object_parts(req.bucket, req.key, version_id, after=marker, limit=limit + 1)
    info, parts = found if found is not None else (None, [])
    if info is None or info.delete_marker:
        raise not_found(req.method, req.key, version_id, info)
    values: dict[str, XmlValue] = {
        "ETag": info.etag,  # unquoted here, unlike everywhere else
        "Checksum": _checksum(info),
        "ObjectParts": _parts(info, parts, marker, limit),
        "StorageClass": info.storage_class,
        "ObjectSize": info.size,
    }
    children = [(name, values[name]) for name in ATTRIBUTES if name in wanted]
    headers = {"Last-Modified": http_date(info.last_modified), **version_headers(info)}
    return OpResponse(headers=headers, body=XmlDoc("GetObjectAttributesResponse", children))
