"""What every S3 Control MRAP operation checks first: signing region, account, permissions."""

from __future__ import annotations

import re

from mrap import errors
from mrap.authz.access import authorize_identity
from mrap.operation import OpRequest
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


def begin(services: Services, req: OpRequest, resource: str, *, routes: bool = False) -> str:
    """Check region, account and the operation's IAM action (plus s3:ListAllMyBuckets for the
    management operations); return the account id."""
    check_region(services, req, routes=routes)
    account_id = account(req)
    authorize_identity(req, req.action, resource, account_id)
    if not routes:
        authorize_identity(req, "s3:ListAllMyBuckets", "*", account_id)
    return account_id


def name_resource(account_id: str, name: str) -> str:
    """The resource ARN a name-addressed operation is authorized against."""
    return f"arn:aws:s3::{account_id}:accesspoint/{name}"


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
