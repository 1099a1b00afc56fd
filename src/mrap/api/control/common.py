"""What every S3 Control operation checks first: signing region, account; its declaration."""

from __future__ import annotations

import re
from enum import Enum

from mrap import errors
from mrap.operation import Access, Endpoint, Handler, OpRequest, Resource, Route, Rule
from mrap.services import Services
from mrap.store.mrap_records import AccessPoint

MANAGEMENT_REGION = "us-west-2"
ROUTE_REGIONS = ("us-east-1", "us-west-2", "ap-southeast-2", "ap-northeast-1", "eu-west-1")
"""The failover-control regions that serve the route operations."""

NAME = re.compile(r"[a-z0-9][-a-z0-9]{1,48}[a-z0-9]")
_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")
_MRAP_ARN = re.compile(r"arn:aws:s3::(\d{12}):accesspoint/([a-z][a-z0-9]*\.mrap)")


def signing_region(req: OpRequest) -> str:
    """The region in the request's SigV4 credential scope (header or presigned query)."""
    match = _CREDENTIAL.search(req.headers.get("authorization", ""))
    if match:
        return match.group(1)
    parts = req.query.get("X-Amz-Credential", "").split("/")
    return parts[2] if len(parts) > 2 else ""


def check_region(services: Services, req: OpRequest, *, routes: bool = False) -> None:
    """PermanentRedirect unless the request was signed for a region that serves the operation."""
    if not services.settings.control_region_rules:
        return
    region = signing_region(req)
    allowed = ROUTE_REGIONS if routes else (MANAGEMENT_REGION,)
    if region not in allowed:
        raise errors.ControlPermanentRedirect(
            "This API operation is only available in the following Regions: "
            f"{', '.join(allowed)}. Make sure to send all future requests to a supported Region."
        )


def account(req: OpRequest) -> str:
    """The `x-amz-account-id` of the request, which must be the caller's own account."""
    account_id = req.params.get("AccountId", "")
    if not account_id:
        raise errors.InvalidRequest("Missing required header for this request: x-amz-account-id")
    if req.principal.anonymous or account_id != req.principal.account_id:
        raise errors.AccessDenied()
    return account_id


class Served(Enum):
    """Where an S3 Control operation is served, and what it needs besides its own action."""

    MANAGEMENT = "management"  # us-west-2 only; s3:ListAllMyBuckets too
    ROUTES = "routes"  # the failover-control regions
    ACCOUNT = "account"  # any region (account-level settings)


def control_route(
    name: str,
    handler: Handler,
    resource: str | None,
    *,
    action: str | None = None,
    served: Served = Served.MANAGEMENT,
    note: str = "",
) -> Route:
    """An S3 Control operation: authorized for `action` (default `s3:{name}`) on `resource`
    (a template over the path labels and `AccountId`; None: only `note`'s second decisions)
    once the signing region and the `x-amz-account-id` account are checked."""
    actions = () if resource is None else (action or f"s3:{name}",)
    also = (("s3:ListAllMyBuckets", "*"),) if served is Served.MANAGEMENT and actions else ()
    access = Access(Rule.IDENTITY, actions, also, note)

    def parse(services: Services, req: OpRequest) -> Endpoint:
        if served is not Served.ACCOUNT:
            check_region(services, req, routes=served is Served.ROUTES)
        account_id = account(req)
        arn = None if resource is None else resource.format_map(req.params)
        found = None if arn is None else Resource(arn, account_id)
        return Endpoint(found, lambda: handler(services, req))

    return Route(name, access, parse)


def check_name(name: str) -> None:
    """InvalidRequest unless the name follows the MRAP naming rules."""
    if not NAME.fullmatch(name):
        raise errors.InvalidRequest(
            "Multi-Region Access Point names must be 3 to 50 lowercase letters, numbers or "
            "hyphens, beginning and ending with a letter or number."
        )


def find(services: Services, account_id: str, name: str) -> AccessPoint:
    """An account's access point by name; NoSuchMultiRegionAccessPoint otherwise."""
    point = services.mraps.get(account_id, name) if NAME.fullmatch(name) else None
    if point is None:
        raise errors.NoSuchMultiRegionAccessPoint()
    return point


def parse_mrap_arn(value: str) -> tuple[str, str]:
    """(account, alias) of an MRAP ARN; InvalidRequest for anything else."""
    match = _MRAP_ARN.fullmatch(value)
    if match is None:
        raise errors.InvalidRequest("The Multi-Region Access Point ARN is not valid.")
    return match.group(1), match.group(2)
