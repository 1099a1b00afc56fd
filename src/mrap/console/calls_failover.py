"""The operations behind an access point's Replication and failover tab: its routes, the
replication rules of its buckets, and the `mrap replicate` extension of S3 Control."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement

from mrap.console.calls import CONTROL_NAMESPACE, Calls
from mrap.console.client import ApiError, quote_path

# Route operations are served by a handful of failover-control Regions; this is one of them.
ROUTES_REGION = "us-east-1"
ACTIVE, PASSIVE = 100, 0


@dataclass(frozen=True)
class Route:
    """One region of an access point with its traffic dial (100 active, 0 passive)."""

    bucket: str
    region: str
    dial: int

    @property
    def active(self) -> bool:
        """Whether requests may be routed to this region."""
        return self.dial > 0


@dataclass(frozen=True)
class ReplicationRule:
    """One rule of a bucket's replication configuration."""

    source: str
    rule_id: str
    status: str
    priority: str
    prefix: str
    destination: str
    delete_markers: str


async def get_routes(api: Calls, arn: str) -> list[Route]:
    """S3 Control GetMultiRegionAccessPointRoutes."""
    root = await api.control(
        "GET", f"mrap/instances/{quote_path(arn)}/routes", region=ROUTES_REGION
    )
    assert root is not None
    return [
        Route(
            r.findtext("Bucket") or "",
            r.findtext("Region") or "",
            int(r.findtext("TrafficDialPercentage") or 0),
        )
        for r in root.iterfind("Routes/Route")
    ]


async def submit_routes(api: Calls, arn: str, dials: dict[str, int]) -> None:
    """S3 Control SubmitMultiRegionAccessPointRoutes, one update per bucket."""
    doc = Element("SubmitMultiRegionAccessPointRoutesRequest", xmlns=CONTROL_NAMESPACE)
    updates = SubElement(doc, "RouteUpdates")
    for bucket, dial in dials.items():
        route = SubElement(updates, "Route")
        SubElement(route, "Bucket").text = bucket
        SubElement(route, "TrafficDialPercentage").text = str(dial)
    await api.control(
        "PATCH", f"mrap/instances/{quote_path(arn)}/routes", doc, region=ROUTES_REGION
    )


async def get_bucket_replication(api: Calls, bucket: str) -> list[ReplicationRule]:
    """S3 GetBucketReplication: the bucket's rules (none without a configuration)."""
    try:
        root = await api.s3(
            "GET", bucket, query=[("replication", "")], region=await api.region_of(bucket)
        )
    except ApiError as exc:
        if exc.code == "ReplicationConfigurationNotFoundError":
            return []
        raise
    assert root is not None
    return [
        ReplicationRule(
            source=bucket,
            rule_id=rule.findtext("ID") or "",
            status=rule.findtext("Status") or "",
            priority=rule.findtext("Priority") or "",
            prefix=rule.findtext("Filter/Prefix") or rule.findtext("Prefix") or "",
            destination=(rule.findtext("Destination/Bucket") or "").removeprefix("arn:aws:s3:::"),
            delete_markers=rule.findtext("DeleteMarkerReplication/Status") or "",
        )
        for rule in root.iterfind("Rule")
    ]


async def replicate(api: Calls, name: str) -> list[str]:
    """The `mrap replicate` extension (`POST …/mrap/instances/{name}/replicate`): the buckets
    now replicating to one another."""
    root = await api.control("POST", f"mrap/instances/{quote_path(name)}/replicate")
    assert root is not None
    return [b.text or "" for b in root.iterfind("Buckets/Bucket")]
