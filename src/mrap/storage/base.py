"""What a region store is: buckets, objects and multipart uploads of one region.

The S3 operations talk to regions only through this interface, so a region can be the
embedded store (SQLite + files) or, later, a remote S3 engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


@dataclass
class ObjectInfo:
    """Metadata of one stored object (or of a part, where the fields apply)."""

    key: str
    size: int
    etag: str  # without quotes
    last_modified: float
    content_type: str = "binary/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)  # Cache-Control, Expires, …
    user_metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm → base64 value
    parts_count: int = 0


@dataclass(frozen=True)
class Blob:
    """Bytes under a temporary name, not yet part of any object (durable once placed)."""

    path: str
    size: int
    data: bytes | None = None  # a small blob stays in memory until it is placed


@dataclass
class ListEntry:
    """One item of a listing page: an object, or a common prefix (info is None)."""

    key: str
    info: ObjectInfo | None


@dataclass
class ListPage:
    """A page of a listing in UTF-8 byte order of keys."""

    entries: list[ListEntry]
    truncated: bool


@dataclass
class Upload:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    initiated: float
    info: ObjectInfo  # metadata the completed object will carry


@dataclass
class PartInfo:
    """One uploaded part."""

    number: int
    size: int
    etag: str
    last_modified: float
    checksums: dict[str, str] = field(default_factory=dict)


class RegionStore(Protocol):
    """Storage of one region."""

    region: str

    def close(self) -> None:
        """Release files, connections and threads."""

    async def create_bucket(self, bucket: str) -> None:
        """Create an empty bucket."""

    async def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket; BucketNotEmpty otherwise."""

    async def write_blob(self, chunks: AsyncIterator[bytes]) -> Blob:
        """Write a stream under a temporary name."""

    def discard_blob(self, blob: Blob) -> None:
        """Forget a blob that will not become an object."""

    async def put_object(self, bucket: str, info: ObjectInfo, blob: Blob) -> None:
        """Make a blob the current object of a key, atomically."""

    def head_object(self, bucket: str, key: str) -> ObjectInfo | None:
        """Metadata of the current object of a key."""

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO] | None:
        """Metadata and an open file of the object's bytes, consistent with each other."""

    async def delete_object(self, bucket: str, key: str) -> bool:
        """Remove the object of a key; False when there was none."""

    def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, after: str, limit: int
    ) -> ListPage:
        """Keys after `after` under `prefix`, rolling keys up to `delimiter` into prefixes."""

    async def create_upload(self, bucket: str, info: ObjectInfo) -> Upload:
        """Start a multipart upload."""

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload | None:
        """A multipart upload in progress, or None."""

    async def put_part(self, upload: Upload, part: PartInfo, blob: Blob) -> None:
        """Store (or replace) one part of an upload."""

    def list_parts(self, upload: Upload, *, after: int, limit: int) -> list[PartInfo]:
        """Parts of an upload in number order, after part number `after`."""

    async def complete_upload(
        self, upload: Upload, parts: Sequence[PartInfo], info: ObjectInfo
    ) -> None:
        """Assemble the listed parts into the object and end the upload."""

    async def abort_upload(self, upload: Upload) -> None:
        """End an upload and free its parts."""
