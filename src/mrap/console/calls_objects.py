"""Object operations beyond the listing: versions, details (HeadObject and tags), and the
multipart upload calls large files are streamed through."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, SubElement, tostring

from mrap.console.calls import S3_NAMESPACE, Calls
from mrap.console.client import ApiError

_CHECKSUM_HEADERS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


@dataclass(frozen=True)
class Version:
    """One entry of ListObjectVersions: a version or a delete marker."""

    key: str
    version_id: str
    latest: bool
    modified: str
    size: int
    storage_class: str
    delete_marker: bool


@dataclass
class VersionListing:
    """One page of ListObjectVersions with `/` as delimiter."""

    prefixes: list[str] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class ObjectDetails:
    """HeadObject's answer, with the object's tags."""

    key: str
    version_id: str
    size: int
    modified: str
    etag: str
    content_type: str
    storage_class: str
    replication_status: str
    metadata: list[tuple[str, str]]
    checksums: list[tuple[str, str]]
    tags: list[tuple[str, str]]
    headers: list[tuple[str, str]]


async def list_object_versions(api: Calls, bucket: str, prefix: str) -> VersionListing:
    """S3 ListObjectVersions of one folder level (delimiter `/`), up to 1000 entries."""
    root = await api.s3(
        "GET",
        bucket,
        query=[("versions", ""), ("delimiter", "/"), ("prefix", prefix)],
        region=await api.region_of(bucket),
    )
    assert root is not None
    listing = VersionListing(truncated=(root.findtext("IsTruncated") or "") == "true")
    listing.prefixes = [p.findtext("Prefix") or "" for p in root.iterfind("CommonPrefixes")]
    for entry in root:
        if entry.tag not in ("Version", "DeleteMarker"):
            continue
        listing.versions.append(
            Version(
                key=entry.findtext("Key") or "",
                version_id=entry.findtext("VersionId") or "null",
                latest=(entry.findtext("IsLatest") or "") == "true",
                modified=entry.findtext("LastModified") or "",
                size=int(entry.findtext("Size") or 0),
                storage_class=entry.findtext("StorageClass") or "",
                delete_marker=entry.tag == "DeleteMarker",
            )
        )
    return listing


async def object_details(api: Calls, bucket: str, key: str, version_id: str) -> ObjectDetails:
    """S3 HeadObject (with checksums) and GetObjectTagging of one object or version."""
    region = await api.region_of(bucket)
    version = [("versionId", version_id)] if version_id else []
    head = await api.s3_answer(
        "HEAD",
        bucket,
        key,
        query=version,
        headers=[("x-amz-checksum-mode", "ENABLED")],
        region=region,
    )
    headers = {k.lower(): v for k, v in head.headers.items()}
    try:
        root = await api.s3("GET", bucket, key, query=[("tagging", ""), *version], region=region)
        tags = [
            (t.findtext("Key") or "", t.findtext("Value") or "")
            for t in (root.iterfind("TagSet/Tag") if root is not None else ())
        ]
    except ApiError as exc:
        if exc.code != "AccessDenied":
            raise
        tags = [("(not shown)", f"{exc.code}: {exc.message}")]
    return ObjectDetails(
        key=key,
        version_id=headers.get("x-amz-version-id", ""),
        size=int(headers.get("content-length", "0")),
        modified=headers.get("last-modified", ""),
        etag=headers.get("etag", ""),
        content_type=headers.get("content-type", ""),
        storage_class=headers.get("x-amz-storage-class", "STANDARD"),
        replication_status=headers.get("x-amz-replication-status", ""),
        metadata=sorted(
            (k.removeprefix("x-amz-meta-"), v)
            for k, v in headers.items()
            if k.startswith("x-amz-meta-")
        ),
        checksums=[
            (name.upper(), headers[f"x-amz-checksum-{name}"])
            for name in _CHECKSUM_HEADERS
            if f"x-amz-checksum-{name}" in headers
        ],
        tags=tags,
        headers=sorted(headers.items()),
    )


async def put_object_bytes(
    api: Calls, bucket: str, key: str, data: bytes, content_type: str
) -> None:
    """S3 PutObject of a small body held in memory."""
    await api.s3(
        "PUT",
        bucket,
        key,
        headers=[("content-type", content_type)],
        body=data,
        region=await api.region_of(bucket),
    )


async def create_multipart_upload(api: Calls, bucket: str, key: str, content_type: str) -> str:
    """S3 CreateMultipartUpload; the upload id."""
    root = await api.s3(
        "POST",
        bucket,
        key,
        query=[("uploads", "")],
        headers=[("content-type", content_type)],
        region=await api.region_of(bucket),
    )
    assert root is not None
    return root.findtext("UploadId") or ""


async def upload_part(
    api: Calls, bucket: str, key: str, upload_id: str, number: int, data: bytes
) -> str:
    """S3 UploadPart; the part's ETag."""
    answer = await api.s3_answer(
        "PUT",
        bucket,
        key,
        query=[("partNumber", str(number)), ("uploadId", upload_id)],
        body=data,
        region=await api.region_of(bucket),
    )
    return {k.lower(): v for k, v in answer.headers.items()}.get("etag", "")


async def complete_multipart_upload(
    api: Calls, bucket: str, key: str, upload_id: str, etags: list[str]
) -> None:
    """S3 CompleteMultipartUpload of the parts in order."""
    doc = Element("CompleteMultipartUpload", xmlns=S3_NAMESPACE)
    for number, etag in enumerate(etags, start=1):
        part = SubElement(doc, "Part")
        SubElement(part, "PartNumber").text = str(number)
        SubElement(part, "ETag").text = etag
    await api.s3(
        "POST",
        bucket,
        key,
        query=[("uploadId", upload_id)],
        body=tostring(doc, encoding="utf-8"),
        region=await api.region_of(bucket),
    )


async def abort_multipart_upload(api: Calls, bucket: str, key: str, upload_id: str) -> None:
    """S3 AbortMultipartUpload: the parts sent so far are dropped."""
    await api.s3(
        "DELETE", bucket, key, query=[("uploadId", upload_id)], region=await api.region_of(bucket)
    )
