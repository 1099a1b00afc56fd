"""ListObjectsV2 and ListObjects (v1)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from urllib.parse import quote

from mrap import errors
from mrap.operation import OpRequest, OpResponse, XmlChildren, XmlDoc, XmlValue
from mrap.services import Services
from mrap.storage.base import ListPage

MAX_KEYS = 1000


def page_size(
    req: OpRequest, name: str, maximum: int = MAX_KEYS, *, negative: str | None = None
) -> int:
    """The `max-keys`-like query parameter `name`, capped at `maximum`.

    A negative value is refused with `negative` as the message when given, else as a
    non-integer is.
    """
    raw = req.query.get(name, str(maximum))
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or (value < 0 and negative is None):
        raise errors.InvalidArgument(
            f"Provided {name} not an integer or within integer range",
            ArgumentName=name,
            ArgumentValue=raw,
        )
    if value < 0:
        raise errors.InvalidArgument(negative, ArgumentName=name)
    return min(value, maximum)


def url_encoded(req: OpRequest) -> bool:
    """Whether the request asks for `encoding-type=url`; InvalidArgument for other types."""
    encoding = req.query.get("encoding-type")
    if encoding is None:
        return False
    if encoding != "url":
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=encoding,
        )
    return True


def encoded(value: str | None, url: bool) -> str | None:
    """`value` URL-encoded (keeping `/`) when `url`, else as is."""
    if value is None or not url:
        return value
    return quote(value, safe="/")


def _page_children(
    page: ListPage, url: bool, owner: XmlChildren | None
) -> list[tuple[str, XmlValue]]:
    children: list[tuple[str, XmlValue]] = []
    prefixes: list[tuple[str, XmlValue]] = []
    for entry in page.entries:
        if entry.info is None:
            prefixes.append(("CommonPrefixes", [("Prefix", encoded(entry.key, url))]))
            continue
        info = entry.info
        children.append(
            (
                "Contents",
                [
                    ("Key", encoded(info.key, url)),
                    ("LastModified", datetime.fromtimestamp(info.last_modified, UTC)),
                    ("ETag", f'"{info.etag}"'),
                    ("Size", info.size),
                    ("Owner", owner),
                    ("StorageClass", info.storage_class),
                ],
            )
        )
    return children + prefixes


def _owner(services: Services, account_id: str) -> XmlChildren:
    account = services.control.ensure_account(account_id)
    return [("ID", account.canonical_id), ("DisplayName", account.id)]


def _list(req: OpRequest, after: str, limit: int) -> ListPage:
    record, store = req.authorized_bucket()
    if limit == 0:
        return ListPage([], truncated=False)
    return store.list_objects(
        record.name,
        prefix=req.query.get("prefix", ""),
        delimiter=req.query.get("delimiter", ""),
        after=after,
        limit=limit,
    )


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


def v2_params(req: OpRequest) -> tuple[int, bool, str | None, str, str]:
    """ListObjectsV2's page size, encoding, token, start-after and where the page starts,
    checked (before access)."""
    limit = page_size(req, "max-keys")
    url = url_encoded(req)
    token = req.query.get("continuation-token")
    start_after = req.query.get("start-after", "")
    after = _untoken(token) if token is not None else start_after
    return limit, url, token, start_after, after


async def list_objects_v2(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?list-type=2."""
    limit, url, token, start_after, after = v2_params(req)
    page = _list(req, after, limit)
    owner = None
    if req.query.get("fetch-owner") == "true":
        owner = _owner(services, req.authorized_bucket()[0].account_id)
    children: list[tuple[str, XmlValue]] = [
        ("Name", req.bucket),
        ("Prefix", encoded(req.query.get("prefix", ""), url)),
        # S3 leaves out an empty `delimiter=` rather than echoing it.
        ("Delimiter", encoded(req.query.get("delimiter") or None, url)),
        ("MaxKeys", limit),
        ("EncodingType", "url" if url else None),
        ("KeyCount", len(page.entries)),
        ("IsTruncated", page.truncated),
        ("ContinuationToken", token),
        ("NextContinuationToken", _token(page.entries[-1].key) if page.truncated else None),
        ("StartAfter", encoded(start_after, url) if start_after else None),
    ]
    children += _page_children(page, url, owner)
    return OpResponse(body=XmlDoc("ListBucketResult", children))


def v1_params(req: OpRequest) -> tuple[int, bool]:
    """ListObjects' page size and encoding, checked (before access)."""
    return page_size(req, "max-keys"), url_encoded(req)


async def list_objects(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}: ListObjects version 1, paged by marker."""
    limit, url = v1_params(req)
    marker = req.query.get("marker", "")
    page = _list(req, marker, limit)
    delimiter = req.query.get("delimiter") or None
    next_marker = page.entries[-1].key if page.truncated and delimiter else None
    children: list[tuple[str, XmlValue]] = [
        ("Name", req.bucket),
        ("Prefix", encoded(req.query.get("prefix", ""), url)),
        ("Marker", encoded(marker, url)),
        ("NextMarker", encoded(next_marker, url)),
        ("MaxKeys", limit),
        ("Delimiter", encoded(delimiter, url)),
        ("IsTruncated", page.truncated),
        ("EncodingType", "url" if url else None),
    ]
    owner = _owner(services, req.authorized_bucket()[0].account_id)
    children += _page_children(page, url, owner)
    return OpResponse(body=XmlDoc("ListBucketResult", children))
