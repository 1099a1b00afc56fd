"""Integrity of uploaded bodies: ETag (MD5), Content-MD5, and `x-amz-checksum-*` headers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from multidict import CIMultiDictProxy

from mrap import errors

_MD5_BYTES = 16


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


# Algorithms whose header values we can verify, by S3's name for them.
_ALGORITHMS: dict[str, Callable[[], _Hasher]] = {
    "CRC32": _Crc32,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
}
_DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}


@dataclass
class BodyCheck:
    """What a body must hash to, computed while it streams."""

    content_md5: bytes | None = None
    checksum_algorithm: str | None = None
    checksum_value: bytes | None = None
    md5: _Hasher = field(default_factory=hashlib.md5)
    checksum: _Hasher | None = None

    async def watch(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Pass chunks through, hashing them."""
        async for chunk in chunks:
            self.md5.update(chunk)
            if self.checksum is not None:
                self.checksum.update(chunk)
            yield chunk

    def verify(self) -> tuple[str, dict[str, str]]:
        """Check the declared digests; return the ETag and the checksums to store."""
        md5 = self.md5.digest()
        if self.content_md5 is not None and md5 != self.content_md5:
            raise errors.BadDigest(
                ExpectedDigest=base64.b64encode(self.content_md5).decode(),
                CalculatedDigest=base64.b64encode(md5).decode(),
            )
        checksums: dict[str, str] = {}
        if self.checksum is not None and self.checksum_algorithm is not None:
            actual = self.checksum.digest()
            if self.checksum_value is not None and actual != self.checksum_value:
                raise errors.BadDigest(
                    f"The {self.checksum_algorithm} you specified did not match the "
                    "calculated checksum."
                )
            checksums[self.checksum_algorithm] = base64.b64encode(actual).decode()
        return md5.hex(), checksums


def body_check(headers: CIMultiDictProxy[str]) -> BodyCheck:
    """Read Content-MD5 and the checksum headers of an upload; reject malformed ones."""
    check = BodyCheck()
    content_md5 = headers.get("content-md5")
    if content_md5 is not None:
        try:
            check.content_md5 = base64.b64decode(content_md5, validate=True)
        except binascii.Error:
            check.content_md5 = b""
        if len(check.content_md5) != _MD5_BYTES:
            raise errors.InvalidDigest(**{"Content-MD5": content_md5})
    given = [name for name in _DIGEST_SIZES if f"x-amz-checksum-{name.lower()}" in headers]
    if len(given) > 1:
        raise errors.InvalidRequest(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
    algorithm = given[0] if given else headers.get("x-amz-sdk-checksum-algorithm", "").upper()
    if not algorithm:
        return check
    if algorithm not in _DIGEST_SIZES:
        raise errors.InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
    if algorithm not in _ALGORITHMS:
        raise errors.S3NotImplemented(f"Checksum algorithm {algorithm} is not implemented yet")
    check.checksum_algorithm = algorithm
    check.checksum = _ALGORITHMS[algorithm]()
    if given:
        header = f"x-amz-checksum-{algorithm.lower()}"
        try:
            value = base64.b64decode(headers[header], validate=True)
        except binascii.Error:
            value = b""
        if len(value) != _DIGEST_SIZES[algorithm]:
            raise errors.InvalidRequest(f"Value for {header} header is invalid.")
        check.checksum_value = value
    return check


def small_body_verifier(headers: CIMultiDictProxy[str]) -> Callable[[bytes], None]:
    """A check of a small request body (XML documents) against its digest headers."""
    check = body_check(headers)

    def verify(body: bytes) -> None:
        check.md5.update(body)
        if check.checksum is not None:
            check.checksum.update(body)
        check.verify()

    return verify


def checksum_headers(checksums: dict[str, str]) -> dict[str, str]:
    """Response headers that show stored full-object checksums."""
    headers = {f"x-amz-checksum-{name.lower()}": value for name, value in checksums.items()}
    if headers:
        headers["x-amz-checksum-type"] = "FULL_OBJECT"
    return headers


def multipart_etag(part_etags: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, then `-N`."""
    digest = hashlib.md5(b"".join(bytes.fromhex(e) for e in part_etags)).hexdigest()
    return f"{digest}-{len(part_etags)}"
