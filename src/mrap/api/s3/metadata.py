"""Object metadata: from request headers into `ObjectInfo`, and back into response headers."""

from __future__ import annotations

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.api.s3.conditions import http_date
from mrap.storage.base import ObjectInfo

SYSTEM_HEADERS = (
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Expires",
)
_META_PREFIX = "x-amz-meta-"
_MAX_USER_METADATA = 2048
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


def metadata_from(headers: CIMultiDictProxy[str], key: str) -> ObjectInfo:
    """An ObjectInfo (without size, ETag or time) carrying the request's metadata headers."""
    user = {
        name[len(_META_PREFIX) :].lower(): value
        for name, value in headers.items()
        if name.lower().startswith(_META_PREFIX)
    }
    if sum(len(k) + len(v.encode()) for k, v in user.items()) > _MAX_USER_METADATA:
        raise errors.MetadataTooLarge(MaxSizeAllowed=str(_MAX_USER_METADATA))
    system = {name: headers[name] for name in SYSTEM_HEADERS if name in headers}
    codings = [c.strip() for c in system.get("Content-Encoding", "").split(",")]
    if "aws-chunked" in (c.lower() for c in codings):
        # aws-chunked describes the upload's framing, not the object: S3 does not keep it.
        del system["Content-Encoding"]
        kept = ",".join(c for c in codings if c and c.lower() != "aws-chunked")
        if kept:
            system["Content-Encoding"] = kept
    return ObjectInfo(
        key=key,
        size=0,
        etag="",
        last_modified=0.0,
        content_type=headers.get("Content-Type") or DEFAULT_CONTENT_TYPE,
        headers=system,
        user_metadata=user,
    )


def object_headers(info: ObjectInfo) -> dict[str, str]:
    """Headers GET and HEAD return for an object (without length and range)."""
    headers = {
        "ETag": f'"{info.etag}"',
        "Last-Modified": http_date(info.last_modified),
        "Content-Type": info.content_type,
        "Accept-Ranges": "bytes",
    }
    headers.update(info.headers)
    for name, value in info.user_metadata.items():
        headers[_META_PREFIX + name] = value
    return headers
