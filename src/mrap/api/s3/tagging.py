"""Object and bucket tags: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, and
the `x-amz-tagging` header of uploads."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote_plus
from xml.etree.ElementTree import Element

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.versioning import check_version_id, existing_version, not_found, version_headers
from mrap.authz.access import authorize, request_tag_keys
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.replication.rules import plan
from mrap.services import Services
from mrap.storage.base import ObjectInfo, RegionStore
from mrap.store.control_records import BucketRecord

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_SYMBOLS = frozenset("_.:/=+-@")
_HEADER_RULE = (
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
    "parameters without tag name duplicates."
)


def _length(text: str) -> int:
    # S3 counts UTF-16 code units: a character outside the BMP counts twice.
    return len(text.encode("utf-16-le")) // 2


def _allowed(text: str) -> bool:
    """AWS's tag alphabet: letters, numbers and separators of any script, and _.:/=+-@."""
    return all(ch in _SYMBOLS or unicodedata.category(ch)[0] in "LNZ" for ch in text)


def check_tags(tags: list[tuple[str, str]], maximum: int, what: str) -> dict[str, str]:
    """Validate a tag set as S3 does (InvalidTag, BadRequest); return it as a dict."""
    result: dict[str, str] = {}
    for key, value in tags:
        if not 1 <= _length(key) <= MAX_KEY_LENGTH or not _allowed(key):
            raise errors.InvalidTag(TagKey=key)
        if key.lower().startswith("aws:"):
            raise errors.InvalidTag("System tags cannot be added/updated by requester", TagKey=key)
        if _length(value) > MAX_VALUE_LENGTH or not _allowed(value):
            raise errors.InvalidTag(
                "The TagValue you have provided is invalid", TagKey=key, TagValue=value
            )
        if key in result:
            raise errors.InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key)
        result[key] = value
    if len(result) > maximum:
        message = f"{what} tags cannot be greater than {maximum}"
        # Too many object tags is InvalidTag (AWS's PutObjectTagging and x-amz-tagging
        # errors); a bucket's 51st tag is a BadRequest.
        raise (errors.InvalidTag if what == "Object" else errors.BadRequest)(message)
    return result


def tags_from_header(value: str) -> dict[str, str]:
    """The tags of an `x-amz-tagging` header (URL query syntax)."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in value.split("&"):
        if not item:
            continue
        raw_key, _, raw_value = item.partition("=")
        try:
            key = unquote_plus(raw_key, errors="strict")
            text = unquote_plus(raw_value, errors="strict")
        except UnicodeDecodeError:
            key = ""
        if not key or key in seen:
            raise errors.InvalidArgument(
                _HEADER_RULE, ArgumentName="x-amz-tagging", ArgumentValue=value
            )
        seen.add(key)
        pairs.append((key, text))
    return check_tags(pairs, MAX_OBJECT_TAGS, "Object")


def with_header_tags(info: ObjectInfo, headers: CIMultiDictProxy[str]) -> ObjectInfo:
    """`info` carrying the tags of the request's `x-amz-tagging` header, if it has one."""
    value = headers.get("x-amz-tagging")
    if value is not None:
        info.tags = tags_from_header(value)
    return info


def _tags_from_xml(doc: Element | None, maximum: int, what: str) -> dict[str, str]:
    if doc is None:
        raise errors.MissingRequestBodyError()
    tag_sets = doc.findall("TagSet")
    if doc.tag != "Tagging" or len(tag_sets) != 1:
        raise errors.MalformedXML()
    pairs = []
    for tag in tag_sets[0].findall("Tag"):
        key, value = tag.find("Key"), tag.find("Value")
        if key is None or value is None:
            raise errors.MalformedXML()
        pairs.append((key.text or "", value.text or ""))
    return check_tags(pairs, maximum, what)


def _tagging_doc(tags: dict[str, str]) -> XmlDoc:
    tag_set: list[tuple[str, XmlValue]] = [
        ("Tag", [("Key", key), ("Value", value)]) for key, value in tags.items()
    ]
    return XmlDoc("Tagging", [("TagSet", tag_set)])


# Object tags


async def _set_object_tags(
    record: BucketRecord,
    store: RegionStore,
    req: OpRequest,
    tags: dict[str, str],
    version_id: str | None,
) -> dict[str, str]:
    # A tag change replicates like the version it changes; on a replica, only back to
    # the buckets whose rules sync replica modifications.
    current = store.head_object(req.bucket, req.key, version_id)
    replica = current is not None and current.replication_status == "REPLICA"
    replicate = plan(record, req.key, tags, replica_change=replica)
    info = await store.set_object_tags(req.bucket, req.key, version_id, tags, replicate)
    if info is None or info.delete_marker:
        raise not_found(req.method, req.key, version_id, info)
    return version_headers(info)


async def put_object_tagging(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}/{key}?tagging: replace the tag set of a version."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    tags = _tags_from_xml(doc, MAX_OBJECT_TAGS, "Object")
    # Authorized once the body is read: policies may condition on the tags it asks for.
    authorize(req, record, store=store, extra=request_tag_keys(tags))
    return OpResponse(headers=await _set_object_tags(record, store, req, tags, version_id))


async def get_object_tagging(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}/{key}?tagging: the tag set of a version."""
    version_id = check_version_id(req)
    _, store = req.authorized_bucket()
    info = existing_version(store, req, version_id)
    return OpResponse(headers=version_headers(info), body=_tagging_doc(info.tags))


async def delete_object_tagging(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}/{key}?tagging: remove the tags of a version."""
    version_id = check_version_id(req)
    record, store = req.authorized_bucket()
    headers = await _set_object_tags(record, store, req, {}, version_id)
    return OpResponse(status=204, headers=headers)


# Bucket tags


async def put_bucket_tagging(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?tagging: replace the bucket's tags (an empty set removes them)."""
    record, store = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    tags = _tags_from_xml(doc, MAX_BUCKET_TAGS, "Bucket")
    await store.set_bucket_tags(record.name, tags or None)
    return OpResponse(status=204)


async def get_bucket_tagging(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?tagging: the bucket's tags; NoSuchTagSet when it has none."""
    record, store = req.authorized_bucket()
    tags = store.get_bucket_tags(record.name)
    if not tags:
        raise errors.NoSuchTagSet(BucketName=record.name)
    return OpResponse(body=_tagging_doc(tags))


async def delete_bucket_tagging(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}?tagging: remove the bucket's tags."""
    record, store = req.authorized_bucket()
    await store.set_bucket_tags(record.name, None)
    return OpResponse(status=204)
