"""Response documents of the S3 Control MRAP operations (the 2018-08-20 namespace)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mrap.api.control.bodies import PUBLIC_ACCESS_BLOCK_FIELDS
from mrap.operation import OpResponse, XmlChildren, XmlDoc, XmlValue
from mrap.store.mrap_records import CREATE, PUT_POLICY, AccessPoint, AsyncOperation

CONTROL_NAMESPACE = "http://awss3control.amazonaws.com/doc/2018-08-20/"


def result(root: str, children: XmlChildren) -> OpResponse:
    """A 200 answer with an S3 Control document."""
    return OpResponse(body=XmlDoc(root, children, namespace=CONTROL_NAMESPACE))


def public_access_block(flags: str) -> list[tuple[str, XmlValue]]:
    """The four settings as booleans."""
    return [(name, flags[i] == "1") for i, name in enumerate(PUBLIC_ACCESS_BLOCK_FIELDS)]


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def access_point(point: AccessPoint) -> list[tuple[str, XmlValue]]:
    """A `MultiRegionAccessPointReport`."""
    regions: list[tuple[str, XmlValue]] = [
        (
            "Region",
            [("Bucket", r.bucket), ("Region", r.region), ("BucketAccountId", r.bucket_account_id)],
        )
        for r in point.regions
    ]
    return [
        ("Name", point.name),
        ("Alias", point.alias),
        ("CreatedAt", _time(point.created)),
        ("PublicAccessBlock", public_access_block(point.public_access_block)),
        ("Status", point.status),
        ("Regions", regions),
    ]


def _parameters(op: AsyncOperation) -> list[tuple[str, XmlValue]]:
    params: dict[str, Any] = op.parameters
    children: list[tuple[str, XmlValue]] = [("Name", params["Name"])]
    if op.operation == CREATE:
        regions: list[tuple[str, XmlValue]] = [
            ("Region", [("Bucket", r["Bucket"]), ("BucketAccountId", r["BucketAccountId"])])
            for r in params["Regions"]
        ]
        children += [
            ("PublicAccessBlock", public_access_block(params["PublicAccessBlock"])),
            ("Regions", regions),
        ]
    elif op.operation == PUT_POLICY:
        children.append(("Policy", params["Policy"]))
    return [(f"{op.operation}Request", children)]


def operation(op: AsyncOperation) -> list[tuple[str, XmlValue]]:
    """An `AsyncOperation` for DescribeMultiRegionAccessPointOperation."""
    regions: list[tuple[str, XmlValue]] = [
        ("Region", [("Name", r["Name"]), ("RequestStatus", r["RequestStatus"])]) for r in op.regions
    ]
    details: list[tuple[str, XmlValue]] = [
        ("MultiRegionAccessPointDetails", [("Regions", regions)])
    ]
    if op.error is not None:
        details.append(("ErrorDetails", [(k, v) for k, v in op.error.items()]))
    return [
        ("CreationTime", _time(op.created)),
        ("Operation", op.operation),
        ("RequestTokenARN", op.token_arn),
        ("RequestParameters", _parameters(op)),
        ("RequestStatus", op.status),
        ("ResponseDetails", details),
    ]
