"""Integrity of uploaded bodies: ETag (MD5), Content-MD5, and `x-amz-checksum-*`.

A checksum arrives as a header (`x-amz-checksum-crc32: <base64>`) or, for aws-chunked
bodies, as a trailer announced by `x-amz-trailer`. S3 verifies it against the bytes it
received, stores it with the object, and shows it on GET/HEAD with checksum mode. Objects
uploaded without one get S3's default, a CRC64NVME of the whole object.

CRC32C and CRC64NVME come from awscrt (hardware-accelerated, the code the AWS SDKs use),
which also combines the CRCs of parts into the CRC of the whole.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from awscrt import checksums as crt
from multidict import CIMultiDictProxy

from mrap import errors
from mrap.storage.base import ObjectInfo

_MD5_BYTES = 16
DEFAULT_ALGORITHM = "CRC64NVME"
FULL_OBJECT = "FULL_OBJECT"
COMPOSITE = "COMPOSITE"
# What each algorithm we compute produces, in bytes.
DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
ALGORITHMS = tuple(DIGEST_SIZES)
# Algorithms whose whole-object value can be combined from the parts' values.
FULL_OBJECT_ALGORITHMS = frozenset({"CRC32", "CRC32C", "CRC64NVME"})
# Algorithms S3 also accepts, which this server does not compute yet.
UNSUPPORTED = ("SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")
_CRCS: dict[str, Callable[[bytes, int], int]] = {
    "CRC32": zlib.crc32,  # faster than awscrt's here; the two agree
    "CRC32C": crt.crc32c,
    "CRC64NVME": crt.crc64nvme,
}
_COMBINE: dict[str, Callable[[int, int, int], int]] = {
    "CRC32": crt.combine_crc32,
    "CRC32C": crt.combine_crc32c,
    "CRC64NVME": crt.combine_crc64nvme,
}


class Hasher(Protocol):
    """What hashlib objects and our CRC wrapper have in common."""

    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, algorithm: str) -> None:
        self._fn = _CRCS[algorithm]
        self._size = DIGEST_SIZES[algorithm]
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for one of ALGORITHMS."""
    if algorithm in _CRCS:
        return _Crc(algorithm)
    return hashlib.new(algorithm.lower())


def header_name(algorithm: str) -> str:
    """`x-amz-checksum-<algorithm>`, as headers and trailers name a checksum."""
    return f"x-amz-checksum-{algorithm.lower()}"


def decode(algorithm: str, value: str) -> bytes | None:
    """The digest a base64 value holds, None when it is not one of `algorithm`'s."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES[algorithm] else None


def b64(digest: bytes) -> str:
    """Base64 text of a digest, as S3 shows checksums."""
    return base64.b64encode(digest).decode()


def check_supported(algorithm: str, invalid: errors.S3Error) -> str:
    """`algorithm` upper-cased; NotImplemented for S3's newer ones, `invalid` if unknown."""
    algorithm = algorithm.upper()
    if algorithm in UNSUPPORTED:
        raise errors.S3NotImplemented(f"Checksum algorithm {algorithm} is not implemented yet")
    if algorithm not in DIGEST_SIZES:
        raise invalid
    return algorithm


def combine_full_object(algorithm: str, parts: Sequence[tuple[str, int]]) -> str:
    """The CRC of the concatenation of parts, from their (base64 CRC, size) pairs."""
    combine = _COMBINE[algorithm]
    total = 0
    for index, (value, size) in enumerate(parts):
        crc = int.from_bytes(base64.b64decode(value), "big")
        total = crc if index == 0 else combine(total, crc, size)
    return b64(total.to_bytes(DIGEST_SIZES[algorithm], "big"))


def composite(algorithm: str, values: Iterable[str]) -> str:
    """S3's composite checksum: the checksum of the parts' binary checksums (no `-N`)."""
    hasher = new_hasher(algorithm)
    for value in values:
        hasher.update(base64.b64decode(value))
    return b64(hasher.digest())


@dataclass
class BodyCheck:
    """What a body must hash to, computed while it streams."""

    content_md5: bytes | None = None
    algorithm: str | None = None  # the checksum the client declared, header or trailer
    expected: bytes | None = None  # its value, when it came as a header
    trailer: str | None = None  # the trailing header that will carry it otherwise
    md5: Hasher = field(default_factory=hashlib.md5)
    hashers: dict[str, Hasher] = field(default_factory=dict)

    def compute(self, *algorithms: str) -> None:
        """Also compute these checksums (the declared one always is)."""
        for algorithm in algorithms:
            self.hashers.setdefault(algorithm, new_hasher(algorithm))

    async def watch(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Pass chunks through, hashing them."""
        hashers = list(self.hashers.values())
        async for chunk in chunks:
            self.md5.update(chunk)
            for hasher in hashers:
                hasher.update(chunk)
            yield chunk

    def verify(self, trailers: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
        """Check the declared digests; return the ETag and every computed checksum."""
        md5 = self.md5.digest()
        if self.content_md5 is not None and md5 != self.content_md5:
            raise errors.BadDigest(ExpectedDigest=b64(self.content_md5), CalculatedDigest=b64(md5))
        computed = {name: hasher.digest() for name, hasher in self.hashers.items()}
        algorithm = self.algorithm
        if algorithm is not None:
            expected = self.expected
            if self.trailer is not None:
                value = (trailers or {}).get(self.trailer)
                if value is None:
                    raise errors.MalformedTrailerError()
                expected = decode(algorithm, value)
                if expected is None:
                    raise errors.InvalidRequest(
                        f"Value for {self.trailer} trailing header is invalid."
                    )
            if expected != computed[algorithm]:
                raise errors.BadDigest(
                    f"The {algorithm} you specified did not match the calculated checksum."
                )
        return md5.hex(), {name: b64(digest) for name, digest in computed.items()}


def _declared(headers: CIMultiDictProxy[str]) -> tuple[list[str], list[str]]:
    """Algorithms of the checksum headers present, and of the announced trailers."""
    known = (*ALGORITHMS, *UNSUPPORTED)
    in_headers = [name for name in known if header_name(name) in headers]
    in_trailers = []
    for trailer in (headers.get("x-amz-trailer") or "").split(","):
        trailer = trailer.strip().lower()
        if not trailer:
            continue
        algorithm = trailer.removeprefix("x-amz-checksum-").upper()
        if not trailer.startswith("x-amz-checksum-") or algorithm not in known:
            raise errors.InvalidRequest(
                "The value specified in the x-amz-trailer header is not supported"
            )
        in_trailers.append(algorithm)
    return in_headers, in_trailers


def body_check(headers: CIMultiDictProxy[str], default: str | None = None) -> BodyCheck:
    """Read Content-MD5 and the checksum headers of an upload; reject malformed ones.

    With `default`, that checksum is computed when the client declared none.
    """
    check = BodyCheck()
    content_md5 = headers.get("content-md5")
    if content_md5 is not None:
        try:
            check.content_md5 = base64.b64decode(content_md5, validate=True)
        except binascii.Error:
            check.content_md5 = b""
        if len(check.content_md5) != _MD5_BYTES:
            raise errors.InvalidDigest(**{"Content-MD5": content_md5})
    in_headers, in_trailers = _declared(headers)
    if len(in_headers) + len(in_trailers) > 1:
        raise errors.InvalidRequest(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
    declared = (in_headers + in_trailers)[0] if in_headers or in_trailers else None
    sdk = headers.get("x-amz-sdk-checksum-algorithm")
    if sdk is not None:
        if declared is None:
            raise errors.InvalidRequest(
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
                "or x-amz-trailer headers were found."
            )
        if sdk.strip().upper() != declared:
            raise errors.InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
    if declared is None:
        if default is not None:
            check.compute(default)
        return check
    algorithm = check_supported(declared, errors.InvalidRequest())
    check.algorithm = algorithm
    check.compute(algorithm)
    if in_trailers:
        check.trailer = header_name(algorithm)
        return check
    check.expected = decode(algorithm, headers[header_name(algorithm)])
    if check.expected is None:
        raise errors.InvalidRequest(f"Value for {header_name(algorithm)} header is invalid.")
    return check


def copy_algorithm(headers: CIMultiDictProxy[str], source: ObjectInfo) -> str:
    """The checksum a copy gets: the one asked for, else the source's, else the default."""
    asked = headers.get("x-amz-checksum-algorithm")
    if asked:
        return check_supported(asked, unsupported_algorithm())
    return next(iter(source.checksums), DEFAULT_ALGORITHM)


def unsupported_algorithm() -> errors.S3Error:
    """The error for an algorithm name S3 does not know."""
    return errors.InvalidRequest(
        "Checksum algorithm provided is unsupported. Please try again with any of the valid "
        "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
    )


def small_body_verifier(headers: CIMultiDictProxy[str]) -> Callable[[bytes], None]:
    """A check of a small request body (XML documents) against its digest headers."""
    check = body_check(headers)

    def verify(body: bytes) -> None:
        check.md5.update(body)
        for hasher in check.hashers.values():
            hasher.update(body)
        check.verify()

    return verify


def shown_checksums(info: ObjectInfo) -> dict[str, str]:
    """The checksums an object shows, by algorithm: composite ones carry `-<parts>`."""
    if info.checksum_type == COMPOSITE:
        return {name: f"{value}-{info.parts_count}" for name, value in info.checksums.items()}
    return dict(info.checksums)


def checksum_type(info: ObjectInfo) -> str | None:
    """The object's checksum type (objects stored before types were kept are full-object)."""
    if not info.checksums:
        return None
    return info.checksum_type or FULL_OBJECT


def checksum_headers(info: ObjectInfo) -> dict[str, str]:
    """Response headers that show an object's stored checksums and their type."""
    headers = {header_name(name): value for name, value in shown_checksums(info).items()}
    kind = checksum_type(info)
    if kind is not None:
        headers["x-amz-checksum-type"] = kind
    return headers


def checksum_elements(info: ObjectInfo) -> list[tuple[str, str | None]]:
    """`ChecksumXXX` and `ChecksumType` elements of a result document."""
    elements: list[tuple[str, str | None]] = [
        (f"Checksum{name}", value) for name, value in shown_checksums(info).items()
    ]
    elements.append(("ChecksumType", checksum_type(info)))
    return elements


def multipart_etag(part_etags: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, then `-N`."""
    digest = hashlib.md5(b"".join(bytes.fromhex(e) for e in part_etags)).hexdigest()
    return f"{digest}-{len(part_etags)}"
