"""Failover control: Get and Submit of an access point's routes (traffic dials 0 or 100).

A submission takes effect at once for the next data-plane request; while it "propagates"
(the configured delay) a concurrent submission for the same access point gets OperationAborted.
"""

from __future__ import annotations

import asyncio

from mrap import errors
from mrap.api.control import bodies, reports
from mrap.api.control.common import parse_mrap_arn
from mrap.operation import OpRequest, OpResponse, XmlValue
from mrap.services import Services
from mrap.store.mrap_records import AccessPoint

DIALS = (0, 100)


def _access_point(services: Services, req: OpRequest) -> AccessPoint:
    """The access point the `{mrap+}` ARN names, once the caller may act on it."""
    arn = req.params["mrap"]
    account_id = req.params["AccountId"]
    owner, alias = parse_mrap_arn(arn)
    if owner != account_id:
        raise errors.AccessDenied()
    point = services.mraps.by_alias(alias)
    if point is None or point.account_id != account_id:
        raise errors.NoSuchMultiRegionAccessPoint()
    return point


async def get_multi_region_access_point_routes(services: Services, req: OpRequest) -> OpResponse:
    """GET /v20180820/mrap/instances/{mrap+}/routes."""
    point = _access_point(services, req)
    routes: list[tuple[str, XmlValue]] = [
        (
            "Route",
            [("Bucket", r.bucket), ("Region", r.region), ("TrafficDialPercentage", r.dial)],
        )
        for r in point.regions
    ]
    return reports.result(
        "GetMultiRegionAccessPointRoutesResult", [("Mrap", point.arn), ("Routes", routes)]
    )


def _dials(point: AccessPoint, updates: list[bodies.RouteInput]) -> dict[str, int]:
    """Region -> new dial for each update, checked against the access point's buckets."""
    by_bucket = {r.bucket: r.region for r in point.regions}
    regions = set(by_bucket.values())
    dials: dict[str, int] = {}
    if not updates:
        raise errors.InvalidRequest("At least one route update is required.")
    for update in updates:
        if update.dial not in DIALS:
            raise errors.InvalidRequest(
                f"TrafficDialPercentage must be 0 (passive) or 100 (active), not {update.dial}."
            )
        if update.bucket is None and update.region is None:
            raise errors.InvalidRequest("Each route update must name a Bucket or a Region.")
        region = update.region
        if update.bucket is not None:
            if update.bucket not in by_bucket:
                raise errors.InvalidRequest(
                    f"The bucket {update.bucket} is not part of this Multi-Region Access Point."
                )
            if region is not None and by_bucket[update.bucket] != region:
                raise errors.InvalidRequest(
                    f"The bucket {update.bucket} is not in the Region {region}."
                )
            region = by_bucket[update.bucket]
        assert region is not None
        if region not in regions:
            raise errors.InvalidRequest(
                f"The Region {region} is not part of this Multi-Region Access Point."
            )
        dials[region] = update.dial
    return dials


async def submit_multi_region_access_point_routes(services: Services, req: OpRequest) -> OpResponse:
    """PATCH /v20180820/mrap/instances/{mrap+}/routes: 200 with an empty body."""
    point = _access_point(services, req)
    doc = await bodies.document(req, "SubmitMultiRegionAccessPointRoutesRequest")
    dials = _dials(point, bodies.routes(doc))
    hold = services.settings.propagation_delay
    services.mraps.submit_routes(point.alias, dials, hold)
    if hold:
        try:
            await asyncio.sleep(hold)
        finally:
            services.mraps.release_routes(point.alias)
    return OpResponse()
