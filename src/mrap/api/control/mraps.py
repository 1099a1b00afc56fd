"""Multi-Region Access Points themselves: Create, Delete, Get, List, and Describe of the
asynchronous operations. Create and Delete validate here (authorized by the pipeline) and
return a request token; the runner (control/runner.py) finishes them in the background."""

from __future__ import annotations

import base64
import binascii
import re
import time

from mrap import errors
from mrap.api.control import bodies, reports
from mrap.api.control.common import check_name, find
from mrap.authz.access import authorize
from mrap.operation import OpRequest, OpResponse, XmlValue
from mrap.services import Services
from mrap.store.mrap_records import MAX_PER_ACCOUNT, TOKEN_SEGMENTS, MrapRegion

MAX_REGIONS = 20
_TOKEN_ARN = re.compile(
    r"arn:aws:s3:us-west-2:(\d{12}):async-request/mrap/(create|delete|put-policy)/([0-9a-f]{32})"
)


def _due(services: Services) -> float:
    return time.time() + services.settings.propagation_delay


def _regions(
    services: Services, req: OpRequest, account_id: str, spec: bodies.CreateInput
) -> list[MrapRegion]:
    """The buckets of a create request, each checked and placed in its own region."""
    if not 1 <= len(spec.regions) <= MAX_REGIONS:
        raise errors.InvalidRequest(
            f"A Multi-Region Access Point must have between 1 and {MAX_REGIONS} Regions."
        )
    regions: dict[str, MrapRegion] = {}
    for item in spec.regions:
        record = services.control.get_bucket(item.bucket)
        if record is None:
            raise errors.NoSuchBucket(BucketName=item.bucket)
        owner = item.bucket_account_id or account_id
        if record.account_id != owner:
            raise errors.AccessDenied()
        if owner != account_id:
            # A bucket of another account: its policy must let this account use it.
            authorize(req, record, action="s3:ListBucket", key="")
        if record.region in regions:
            raise errors.InvalidRequest(
                "A Multi-Region Access Point can include only one bucket per Region; "
                f"{regions[record.region].bucket} and {item.bucket} are both in {record.region}."
            )
        regions[record.region] = MrapRegion(record.region, item.bucket, owner, 100)
    return list(regions.values())


async def create_multi_region_access_point(services: Services, req: OpRequest) -> OpResponse:
    """POST /v20180820/async-requests/mrap/create."""
    account_id = req.params["AccountId"]
    spec = bodies.create(await bodies.document(req, "CreateMultiRegionAccessPointRequest"))
    check_name(spec.name)
    regions = _regions(services, req, account_id, spec)
    flags = spec.public_access_block or "1111"  # all four on unless the request says otherwise
    parameters = {
        "Name": spec.name,
        "PublicAccessBlock": flags,
        "Regions": [{"Bucket": r.bucket, "BucketAccountId": r.bucket_account_id} for r in regions],
    }
    op = services.mraps.start_create(
        account_id, spec.client_token, parameters, regions, flags, _due(services), req.request_id
    )
    return reports.result("CreateMultiRegionAccessPointResult", [("RequestTokenARN", op.token_arn)])


async def delete_multi_region_access_point(services: Services, req: OpRequest) -> OpResponse:
    """POST /v20180820/async-requests/mrap/delete."""
    account_id = req.params["AccountId"]
    token, name = bodies.delete(await bodies.document(req, "DeleteMultiRegionAccessPointRequest"))
    op = services.mraps.start_delete(account_id, token, name, _due(services), req.request_id)
    return reports.result("DeleteMultiRegionAccessPointResult", [("RequestTokenARN", op.token_arn)])


async def describe_multi_region_access_point_operation(
    services: Services, req: OpRequest
) -> OpResponse:
    """GET /v20180820/async-requests/mrap/{request_token+}."""
    token_arn = req.params["request_token"]
    account_id = req.params["AccountId"]
    match = _TOKEN_ARN.fullmatch(token_arn)
    if match is None:
        raise errors.NoSuchAsyncRequest()
    if match.group(1) != account_id:
        raise errors.AccessDenied()  # another account's request token
    op = services.mraps.get_operation(match.group(3))
    if op is None or op.account_id != account_id or TOKEN_SEGMENTS[op.operation] != match.group(2):
        raise errors.NoSuchAsyncRequest()
    return reports.result(
        "DescribeMultiRegionAccessPointOperationResult",
        [("AsyncOperation", reports.operation(op))],
    )


async def get_multi_region_access_point(services: Services, req: OpRequest) -> OpResponse:
    """GET /v20180820/mrap/instances/{name+}."""
    account_id = req.params["AccountId"]
    point = find(services, account_id, req.params["name"])
    return reports.result(
        "GetMultiRegionAccessPointResult", [("AccessPoint", reports.access_point(point))]
    )


def _after(token: str | None) -> str:
    if token is None:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.InvalidRequest("The next token is not valid.") from None


async def list_multi_region_access_points(services: Services, req: OpRequest) -> OpResponse:
    """GET /v20180820/mrap/instances: one page in name order (all 100 by default)."""
    account_id = req.params["AccountId"]
    raw_limit = req.query.get("maxResults")
    if raw_limit is None:
        limit = MAX_PER_ACCOUNT
    elif raw_limit.isdigit() and 0 <= int(raw_limit) <= 1000:
        limit = int(raw_limit) or MAX_PER_ACCOUNT
    else:
        raise errors.InvalidRequest("The range for the MaxResults parameter is not valid.")
    points = services.mraps.list_points(
        account_id, after=_after(req.query.get("nextToken")), limit=limit + 1
    )
    page, more = points[:limit], len(points) > limit
    listed: list[tuple[str, XmlValue]] = [("AccessPoint", reports.access_point(p)) for p in page]
    next_token = base64.urlsafe_b64encode(page[-1].name.encode()).decode() if more else None
    return reports.result(
        "ListMultiRegionAccessPointsResult", [("AccessPoints", listed), ("NextToken", next_token)]
    )
