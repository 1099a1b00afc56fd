"""Bucket versioning: Get/PutBucketVersioning, ListObjectVersions, and what the object
operations share about versions (version id checks, headers, delete-marker answers)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.api.s3.conditions import http_date
from mrap.api.s3.listing import page_size
from mrap.operation import OpRequest, OpResponse, XmlChildren, XmlDoc, XmlValue
from mrap.services import Services
from mrap.storage.base import NULL_VERSION, ObjectInfo, RegionStore, VersionEntry, Versioning

MAX_KEYS = 1000
# S3's version ids: 32 URL-safe characters (ours come from `secrets`), or "null".
_VERSION_ID = re.compile(r"[A-Za-z0-9._-]{32}")
_STATUSES = ("Enabled", "Suspended")
_MFA_STATUSES = ("Enabled", "Disabled")


def valid_version_id(value: str) -> bool:
    """Whether `value` has the form of a version id."""
    return value == NULL_VERSION or _VERSION_ID.fullmatch(value) is not None


def check_version_id(req: OpRequest, name: str = "versionId") -> str | None:
    """The request's `versionId` query parameter, if any; InvalidArgument when malformed."""
    value = req.query.get(name)
    if value is None:
        return None
    if not value:
        raise errors.InvalidArgument(
            "Version id cannot be the empty string", ArgumentName=name, ArgumentValue=value
        )
    if not valid_version_id(value):
        raise errors.InvalidArgument(
            "Invalid version id specified", ArgumentName=name, ArgumentValue=value
        )
    return value


def version_headers(info: ObjectInfo) -> dict[str, str]:
    """`x-amz-version-id` (only in buckets that have or had versioning)."""
    return {} if info.version_id is None else {"x-amz-version-id": info.version_id}


def written_headers(version_id: str | None) -> dict[str, str]:
    """`x-amz-version-id` of a write or delete (None: the bucket never had versioning)."""
    return {} if version_id is None else {"x-amz-version-id": version_id}


def marker_headers(info: ObjectInfo) -> dict[str, str]:
    """The headers that tell a delete marker."""
    return {"x-amz-delete-marker": "true", **version_headers(info)}


def not_found(
    method: str, key: str, version_id: str | None, found: ObjectInfo | None
) -> errors.S3Error:
    """The error for a read that found no object: nothing, or a delete marker."""
    if found is None:
        if version_id is None:
            return errors.NoSuchKey(Key=key)
        return errors.NoSuchVersion(Key=key, VersionId=version_id)
    if version_id is None:
        return errors.NoSuchKey(Key=key).with_headers(marker_headers(found))
    # A delete marker has neither content nor metadata; it can only be deleted.
    return errors.MethodNotAllowed(Method=method, ResourceType="DeleteMarker").with_headers(
        {
            **marker_headers(found),
            "Allow": "DELETE",
            "Last-Modified": http_date(found.last_modified),
        }
    )


def existing_version(store: RegionStore, req: OpRequest, version_id: str | None) -> ObjectInfo:
    """The version a request names (the latest without versionId), or the S3 error."""
    found = store.head_object(req.bucket, req.key, version_id)
    if found is None or found.delete_marker:
        raise not_found(req.method, req.key, version_id, found)
    return found


# GetBucketVersioning, PutBucketVersioning


async def get_bucket_versioning(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?versioning: Status and MfaDelete once they have been set."""
    record, store = req.authorized_bucket()
    versioning = store.get_versioning(record.name)
    children: list[tuple[str, XmlValue]] = [
        ("Status", versioning.status or None),
        ("MfaDelete", versioning.mfa_delete or None),
    ]
    return OpResponse(body=XmlDoc("VersioningConfiguration", children))


async def put_bucket_versioning(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?versioning: enable or suspend versioning (never back to unversioned)."""
    record, store = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != "VersioningConfiguration":
        raise errors.MalformedXML()
    current = store.get_versioning(record.name)
    status = doc.findtext("Status")
    mfa_delete = doc.findtext("MfaDelete")
    if (status is None and mfa_delete is None) or (status is not None and status not in _STATUSES):
        raise errors.IllegalVersioningConfigurationException()
    if mfa_delete is not None and mfa_delete not in _MFA_STATUSES:
        raise errors.IllegalVersioningConfigurationException()
    if mfa_delete == "Enabled":
        # MFA delete needs the root user's MFA device, which this server does not have:
        # answered as S3 answers a request without a valid x-amz-mfa.
        raise errors.AccessDenied("Mfa Authentication must be used for this request")
    if status == "Suspended" and record.object_lock is not None:
        raise errors.ObjectLockVersioningLocked()  # Object Lock needs versions to hold
    if status == "Suspended" and record.replication is not None:
        raise errors.ReplicationVersioningLocked()
    await store.set_versioning(
        record.name,
        Versioning(status or current.status, mfa_delete or current.mfa_delete),
    )
    return OpResponse()


# ListObjectVersions


def _version_marker(req: OpRequest) -> str | None:
    marker = req.query.get("version-id-marker")
    if marker is None:
        return None
    if not req.query.get("key-marker"):
        raise errors.InvalidArgument(
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
            ArgumentValue=marker,
        )
    if not marker:
        raise errors.InvalidArgument(
            "A version-id marker cannot be empty.",
            ArgumentName="version-id-marker",
            ArgumentValue=marker,
        )
    if not valid_version_id(marker):
        raise errors.InvalidArgument(
            "Invalid version id specified", ArgumentName="version-id-marker", ArgumentValue=marker
        )
    return marker


def _url_encoded(req: OpRequest) -> bool:
    encoding = req.query.get("encoding-type")
    if encoding is not None and encoding != "url":
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=encoding,
        )
    return encoding is not None


def _enc(value: str, url: bool) -> str:
    return quote(value, safe="/") if url else value


def _entry(entry: VersionEntry, owner: XmlChildren, url: bool) -> tuple[str, XmlValue]:
    info = entry.info
    assert info is not None
    common: list[tuple[str, XmlValue]] = [
        ("Key", _enc(entry.key, url)),
        ("VersionId", info.version_id),
        ("IsLatest", entry.latest),
        ("LastModified", datetime.fromtimestamp(info.last_modified, UTC)),
    ]
    if info.delete_marker:
        return "DeleteMarker", [*common, ("Owner", owner)]
    return "Version", [
        *common,
        ("ETag", f'"{info.etag}"'),
        ("Size", info.size),
        ("Owner", owner),
        ("StorageClass", info.storage_class),
    ]


def versions_params(req: OpRequest) -> tuple[int, str | None]:
    """ListObjectVersions' page size and version-id-marker, checked (before access)."""
    limit = page_size(req, "max-keys", MAX_KEYS, negative="max-keys cannot be negative")
    return limit, _version_marker(req)


async def list_object_versions(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?versions: versions and delete markers, each key's newest first."""
    limit, version_marker = versions_params(req)
    record, store = req.authorized_bucket()
    url = _url_encoded(req)
    prefix = req.query.get("prefix", "")
    delimiter = req.query.get("delimiter", "")
    key_marker = req.query.get("key-marker", "")
    entries: list[VersionEntry] = []
    truncated = False
    if limit:
        page = store.list_versions(
            record.name,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            version_marker=version_marker,
            limit=limit,
        )
        entries, truncated = page.entries, page.truncated
    account = services.control.ensure_account(req.authorized_bucket()[0].account_id)
    owner: XmlChildren = [("ID", account.canonical_id), ("DisplayName", account.id)]
    last = entries[-1] if truncated else None
    children: list[tuple[str, XmlValue]] = [
        ("Name", record.name),
        ("Prefix", _enc(prefix, url)),
        ("KeyMarker", _enc(key_marker, url)),
        ("VersionIdMarker", version_marker or ""),
        ("NextKeyMarker", _enc(last.key, url) if last else None),
        ("NextVersionIdMarker", last.info.version_id if last and last.info else None),
        ("MaxKeys", limit),
        ("Delimiter", _enc(delimiter, url) if delimiter else None),
        ("EncodingType", "url" if url else None),
        ("IsTruncated", truncated),
    ]
    prefixes: list[tuple[str, XmlValue]] = []
    for entry in entries:
        if entry.info is None:
            prefixes.append(("CommonPrefixes", [("Prefix", _enc(entry.key, url))]))
        else:
            children.append(_entry(entry, owner, url))
    return OpResponse(body=XmlDoc("ListVersionsResult", children + prefixes))
