"""Reading S3 Control request documents strictly: known elements only, required ones present.

Structural faults (wrong root, unknown or repeated elements, missing required ones, booleans
that are not true/false, dials that are not integers) are MalformedXML, as S3 answers a
document that does not validate against its schema. Value rules are the handlers' business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from mrap import errors
from mrap.operation import OpRequest

PUBLIC_ACCESS_BLOCK_FIELDS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
"""The four settings, in the order their "0"/"1" flags are stored."""


@dataclass(frozen=True)
class RegionInput:
    """One `Region` of a create request."""

    bucket: str
    bucket_account_id: str | None


@dataclass(frozen=True)
class CreateInput:
    """A CreateMultiRegionAccessPoint request."""

    client_token: str
    name: str
    public_access_block: str | None  # flags; None when the request leaves it out
    regions: list[RegionInput]


@dataclass(frozen=True)
class RouteInput:
    """One `Route` of a SubmitMultiRegionAccessPointRoutes request."""

    bucket: str | None
    region: str | None
    dial: int


async def document(req: OpRequest, root: str) -> Element:
    """The request's XML document, which must have this root."""
    doc = await req.body.read_xml()
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != root:
        raise errors.MalformedXML()
    return doc


def _children(
    element: Element, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Element]:
    """The element's children by name; MalformedXML for unknown, repeated or missing ones."""
    names = set(allowed)
    found: dict[str, Element] = {}
    for child in element:
        if child.tag not in names or child.tag in found:
            raise errors.MalformedXML()
        found[child.tag] = child
    if any(name not in found for name in required):
        raise errors.MalformedXML()
    return found


def _text(element: Element) -> str:
    if len(element):
        raise errors.MalformedXML()
    return (element.text or "").strip()


def _members(element: Element, member: str) -> list[Element]:
    if any(child.tag != member for child in element):
        raise errors.MalformedXML()
    return list(element)


def flags(element: Element) -> str:
    """A PublicAccessBlock element as four "0"/"1" flags (absent settings are false)."""
    found = _children(element, PUBLIC_ACCESS_BLOCK_FIELDS)
    result = ""
    for name in PUBLIC_ACCESS_BLOCK_FIELDS:
        value = _text(found[name]).lower() if name in found else "false"
        if value not in ("true", "false"):
            raise errors.MalformedXML()
        result += "1" if value == "true" else "0"
    return result


def client_token(found: dict[str, Element]) -> str:
    """The ClientToken: 1 to 64 non-space characters."""
    token = _text(found["ClientToken"])
    if not 1 <= len(token) <= 64 or any(ch.isspace() for ch in token):
        raise errors.InvalidRequest("The ClientToken is not valid.")
    return token


def create(doc: Element) -> CreateInput:
    """Parse `CreateMultiRegionAccessPointRequest`."""
    top = _children(doc, ("ClientToken", "Details"), ("ClientToken", "Details"))
    details = _children(
        top["Details"], ("Name", "PublicAccessBlock", "Regions"), ("Name", "Regions")
    )
    block = details.get("PublicAccessBlock")
    regions = []
    for region in _members(details["Regions"], "Region"):
        fields = _children(region, ("Bucket", "BucketAccountId"), ("Bucket",))
        owner = fields.get("BucketAccountId")
        regions.append(
            RegionInput(_text(fields["Bucket"]), _text(owner) if owner is not None else None)
        )
    return CreateInput(
        client_token(top),
        _text(details["Name"]),
        flags(block) if block is not None else None,
        regions,
    )


def delete(doc: Element) -> tuple[str, str]:
    """Parse `DeleteMultiRegionAccessPointRequest`: (client token, name)."""
    top = _children(doc, ("ClientToken", "Details"), ("ClientToken", "Details"))
    details = _children(top["Details"], ("Name",), ("Name",))
    return client_token(top), _text(details["Name"])


def put_policy(doc: Element) -> tuple[str, str, str]:
    """Parse `PutMultiRegionAccessPointPolicyRequest`: (client token, name, policy text)."""
    top = _children(doc, ("ClientToken", "Details"), ("ClientToken", "Details"))
    details = _children(top["Details"], ("Name", "Policy"), ("Name", "Policy"))
    return client_token(top), _text(details["Name"]), _text(details["Policy"])


def routes(doc: Element) -> list[RouteInput]:
    """Parse `SubmitMultiRegionAccessPointRoutesRequest`."""
    top = _children(doc, ("RouteUpdates",), ("RouteUpdates",))
    result = []
    for route in _members(top["RouteUpdates"], "Route"):
        fields = _children(
            route, ("Bucket", "Region", "TrafficDialPercentage"), ("TrafficDialPercentage",)
        )
        try:
            dial = int(_text(fields["TrafficDialPercentage"]))
        except ValueError:
            raise errors.MalformedXML() from None
        bucket = fields.get("Bucket")
        region = fields.get("Region")
        result.append(
            RouteInput(
                _text(bucket) if bucket is not None else None,
                _text(region) if region is not None else None,
                dial,
            )
        )
    return result
