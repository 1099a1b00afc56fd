"""ListMultipartUploads: the uploads in progress in a bucket, orphaned ones included."""

from __future__ import annotations

from datetime import UTC, datetime

from mrap.api.s3 import multipart_checksums
from mrap.api.s3.listing import encoded, page_size, url_encoded
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.services import Services

MAX_UPLOADS = 1000


def uploads_params(req: OpRequest) -> tuple[int, bool]:
    """ListMultipartUploads' page size and encoding, checked (before access)."""
    return page_size(req, "max-uploads", MAX_UPLOADS), url_encoded(req)


async def list_multipart_uploads(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?uploads, paged by key-marker and upload-id-marker."""
    limit, url = uploads_params(req)
    record, store = req.authorized_bucket()
    prefix = req.query.get("prefix", "")
    delimiter = req.query.get("delimiter", "")
    key_marker = req.query.get("key-marker", "")
    # S3 ignores upload-id-marker without key-marker.
    upload_id_marker = req.query.get("upload-id-marker", "") if key_marker else ""
    page = store.list_uploads(
        record.name,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
        limit=limit,
    )
    next_key, next_upload_id = key_marker, upload_id_marker
    if page.entries:
        last = page.entries[-1]
        next_key = last.key
        next_upload_id = last.upload.upload_id if last.upload is not None else ""
    account = services.control.ensure_account(req.authorized_bucket()[0].account_id)
    owner = [("ID", account.canonical_id), ("DisplayName", account.id)]
    children: list[tuple[str, XmlValue]] = [
        ("Bucket", req.bucket),
        ("KeyMarker", encoded(key_marker, url)),
        ("UploadIdMarker", upload_id_marker),
        ("NextKeyMarker", encoded(next_key, url)),
        ("Prefix", encoded(prefix, url)),
        ("Delimiter", encoded(delimiter, url) if delimiter else None),
        ("NextUploadIdMarker", next_upload_id),
        ("MaxUploads", limit),
        ("IsTruncated", page.truncated),
    ]
    prefixes: list[tuple[str, XmlValue]] = []
    for entry in page.entries:
        upload = entry.upload
        if upload is None:
            prefixes.append(("CommonPrefixes", [("Prefix", encoded(entry.key, url))]))
            continue
        children.append(
            (
                "Upload",
                [
                    ("Key", encoded(upload.key, url)),
                    ("UploadId", upload.upload_id),
                    ("Initiator", owner),
                    ("Owner", owner),
                    ("StorageClass", upload.info.storage_class),
                    ("Initiated", datetime.fromtimestamp(upload.initiated, UTC)),
                    ("ChecksumAlgorithm", multipart_checksums.chosen_algorithm(upload.info)),
                    ("ChecksumType", upload.info.checksum_type or None),
                ],
            )
        )
    children += prefixes
    children.append(("EncodingType", "url" if url else None))
    return OpResponse(body=XmlDoc("ListMultipartUploadsResult", children))
