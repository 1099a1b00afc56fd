"""Checksums of multipart uploads.

CreateMultipartUpload may choose an algorithm and a type. COMPOSITE (CRC32, CRC32C, SHA1,
SHA256; the default type for them) makes the object's checksum the checksum of the parts'
binary checksums, shown with a `-<parts>` suffix; every part must carry that checksum and
CompleteMultipartUpload must repeat each. FULL_OBJECT (CRC32, CRC32C, CRC64NVME; the only
type of CRC64NVME) makes it the CRC of the whole object, combined from the parts' CRCs;
parts may leave it to the server. An upload that chose nothing gets S3's default, a
full-object CRC64NVME, and its parts may carry any one checksum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from xml.etree.ElementTree import Element

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.api.s3.checksums import (
    ALGORITHMS,
    COMPOSITE,
    DEFAULT_ALGORITHM,
    FULL_OBJECT,
    FULL_OBJECT_ALGORITHMS,
    BodyCheck,
    body_check,
    check_supported,
    combine_full_object,
    composite,
    header_name,
    unsupported_algorithm,
)
from mrap.storage.base import ObjectInfo, PartInfo


def choose(headers: CIMultiDictProxy[str], info: ObjectInfo) -> dict[str, str]:
    """Record CreateMultipartUpload's algorithm and type in `info`; the response headers."""
    asked = headers.get("x-amz-checksum-algorithm")
    kind = headers.get("x-amz-checksum-type")
    if kind is not None:
        kind = kind.strip().upper()
        if kind not in (COMPOSITE, FULL_OBJECT):
            raise errors.InvalidRequest("Value for x-amz-checksum-type header is invalid.")
        if not asked:
            raise errors.InvalidRequest(
                "The x-amz-checksum-type header can only be used with the "
                "x-amz-checksum-algorithm header."
            )
    if not asked:
        return {}
    algorithm = check_supported(asked, unsupported_algorithm())
    if kind is None:
        kind = FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE
    if kind == FULL_OBJECT and algorithm not in FULL_OBJECT_ALGORITHMS:
        raise errors.InvalidRequest(
            f"The {kind} checksum type cannot be used with the {algorithm.lower()} checksum "
            "algorithm."
        )
    if kind == COMPOSITE and algorithm == "CRC64NVME":
        raise errors.InvalidRequest(
            f"The {kind} checksum type cannot be used with the {algorithm.lower()} checksum "
            "algorithm."
        )
    info.checksums = {algorithm: ""}
    info.checksum_type = kind
    return {"x-amz-checksum-algorithm": algorithm, "x-amz-checksum-type": kind}


def chosen_algorithm(info: ObjectInfo) -> str | None:
    """The algorithm an upload chose at creation, None when it chose none."""
    return next(iter(info.checksums), None) if info.checksum_type else None


def part_check(headers: CIMultiDictProxy[str], upload: ObjectInfo) -> BodyCheck:
    """The checks of an UploadPart body; it must carry the upload's checksum (if chosen)."""
    check = body_check(headers)
    algorithm = chosen_algorithm(upload)
    if algorithm is None:
        # What the object's default full-object checksum is combined from.
        check.compute(DEFAULT_ALGORITHM)
        return check
    declared = check.algorithm
    if declared != algorithm and not (declared is None and upload.checksum_type == FULL_OBJECT):
        raise errors.InvalidRequest(
            "Checksum Type mismatch occurred, expected checksum Type: "
            f"{algorithm.lower()}, actual checksum Type: {(declared or 'null').lower()}"
        )
    check.compute(algorithm)
    return check


def requested_checksums(element: Element) -> dict[str, str]:
    """The `ChecksumXXX` values a CompleteMultipartUpload `Part` element repeats."""
    found = {}
    for algorithm in ALGORITHMS:
        value = element.findtext(f"Checksum{algorithm}")
        if value is not None:
            found[algorithm] = value.strip()
    return found


def complete(
    headers: CIMultiDictProxy[str],
    upload: ObjectInfo,
    parts: Sequence[PartInfo],
    requested: Mapping[int, Mapping[str, str]],
    upload_id: str,
) -> tuple[dict[str, str], str, list[PartInfo]]:
    """Check the Complete request's checksums against the parts'.

    Returns the object's checksums and type, and the parts as the object keeps them (with
    their checksums only when the upload chose an algorithm: those are the ones
    GetObjectAttributes lists).
    """
    algorithm = chosen_algorithm(upload)
    kind = upload.checksum_type if algorithm is not None else FULL_OBJECT
    for part in parts:
        given = requested.get(part.number, {})
        for name, value in given.items():
            if part.checksums.get(name) != value:
                raise errors.InvalidPart(
                    UploadId=upload_id, PartNumber=str(part.number), ETag=part.etag
                )
        if kind == COMPOSITE and algorithm not in given:
            raise errors.InvalidRequest(
                f"The upload was created using a {str(algorithm).lower()} checksum. The "
                "complete request must include the checksum for each part. It was missing for "
                f"part {part.number} in the request."
            )
    _check_type_header(headers, kind, algorithm is not None)
    kept = list(parts) if algorithm is not None else [replace(p, checksums={}) for p in parts]
    algorithm = algorithm or DEFAULT_ALGORITHM
    values = [p.checksums.get(algorithm, "") for p in parts]
    if not all(values):
        # Parts stored before this server kept their checksums: the object gets none.
        return {}, "", kept
    if kind == COMPOSITE:
        value = composite(algorithm, values)
    else:
        sizes = [p.size for p in parts]
        value = combine_full_object(algorithm, list(zip(values, sizes, strict=True)))
    _check_object_header(headers, algorithm, value)
    return {algorithm: value}, kind, kept


def _check_type_header(headers: CIMultiDictProxy[str], kind: str, chosen: bool) -> None:
    given = headers.get("x-amz-checksum-type")
    if given is not None and given.strip().upper() != kind:
        mode = kind if chosen else "default"
        raise errors.InvalidRequest(
            f"The upload was created using the {mode} checksum mode. The complete request must "
            "use the same checksum mode."
        )


def _check_object_header(headers: CIMultiDictProxy[str], algorithm: str, value: str) -> None:
    """A whole-object checksum header on Complete must be the object's."""
    for name in ALGORITHMS:
        given = headers.get(header_name(name))
        if given is None:
            continue
        if name != algorithm:
            raise errors.InvalidRequest(
                "Checksum Type mismatch occurred, expected checksum Type: "
                f"{algorithm.lower()}, actual checksum Type: {name.lower()}"
            )
        # A composite value may be repeated with or without its `-<parts>` suffix.
        if given.strip().split("-")[0] != value:
            raise errors.BadDigest(
                f"The {name} you specified did not match the calculated checksum."
            )
