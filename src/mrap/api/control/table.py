"""S3 Control operations by method and path (under `/v20180820`).

Paths are matched raw (percent-encoded): ARN labels are greedy and keep their literal `/`,
so the structure (fixed names, then the `/routes`, `/policy`, `/policystatus` suffixes) is
matched first and each captured label is percent-decoded once afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from mrap import errors
from mrap.api.control import mraps, operations, policy, public_access, routes
from mrap.api.control import replicate as replication_control
from mrap.api.control.common import Served, control_route
from mrap.api.control.reports import CONTROL_NAMESPACE
from mrap.operation import Route

__all__ = ["CONTROL_NAMESPACE", "OPERATIONS", "resolve"]

_ASYNC = "/v20180820/async-requests/mrap"
_INSTANCES = "/v20180820/mrap/instances"
_ALL_POINTS = "arn:aws:s3::{AccountId}:accesspoint/*"
_NAMED_POINT = "arn:aws:s3::{AccountId}:accesspoint/{name}"
_REPLICATE_NOTE = (
    "second decisions per bucket of the access point: s3:PutBucketVersioning and "
    "s3:PutReplicationConfiguration (identity and bucket policies)"
)
_CREATE_NOTE = "second decision per bucket of another account: s3:ListBucket (its policy)"

# (path pattern, {method: route}); the first pattern that matches the path decides. Each
# route declares its IAM action and the resource it is authorized on (a template over the
# path labels and `AccountId`); management operations also need s3:ListAllMyBuckets.
_TABLE: tuple[tuple[re.Pattern[str], dict[str, Route]], ...] = (
    (
        re.compile(f"{_ASYNC}/create"),
        {
            "POST": control_route(
                "CreateMultiRegionAccessPoint",
                mraps.create_multi_region_access_point,
                _ALL_POINTS,
                note=_CREATE_NOTE,
            )
        },
    ),
    (
        re.compile(f"{_ASYNC}/delete"),
        {
            "POST": control_route(
                "DeleteMultiRegionAccessPoint", mraps.delete_multi_region_access_point, _ALL_POINTS
            )
        },
    ),
    (
        re.compile(f"{_ASYNC}/put-policy"),
        {
            "POST": control_route(
                "PutMultiRegionAccessPointPolicy",
                policy.put_multi_region_access_point_policy,
                _ALL_POINTS,
            )
        },
    ),
    (
        re.compile(f"{_ASYNC}/(?P<request_token>.+)"),
        {
            "GET": control_route(
                "DescribeMultiRegionAccessPointOperation",
                mraps.describe_multi_region_access_point_operation,
                "{request_token}",
            )
        },
    ),
    (
        re.compile(_INSTANCES),
        {
            "GET": control_route(
                "ListMultiRegionAccessPoints", mraps.list_multi_region_access_points, "*"
            )
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<mrap>.+)/routes"),
        {
            "GET": control_route(
                "GetMultiRegionAccessPointRoutes",
                routes.get_multi_region_access_point_routes,
                "{mrap}",
                served=Served.ROUTES,
            ),
            "PATCH": control_route(
                "SubmitMultiRegionAccessPointRoutes",
                routes.submit_multi_region_access_point_routes,
                "{mrap}",
                served=Served.ROUTES,
            ),
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)/policystatus"),
        {
            "GET": control_route(
                "GetMultiRegionAccessPointPolicyStatus",
                policy.get_multi_region_access_point_policy_status,
                _NAMED_POINT,
            )
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)/policy"),
        {
            "GET": control_route(
                "GetMultiRegionAccessPointPolicy",
                policy.get_multi_region_access_point_policy,
                _NAMED_POINT,
            )
        },
    ),
    (
        # An mrap extension, not an AWS operation: what `mrap replicate NAME` does.
        re.compile(f"{_INSTANCES}/(?P<name>.+)/replicate"),
        {
            "POST": control_route(
                "ReplicateMultiRegionAccessPoint",
                replication_control.replicate_multi_region_access_point,
                None,
                note=_REPLICATE_NOTE,
            )
        },
    ),
    (
        # An mrap extension, not an AWS operation: every asynchronous operation of a name.
        re.compile(f"{_INSTANCES}/(?P<name>.+)/operations"),
        {
            "GET": control_route(
                "ListMultiRegionAccessPointOperations",
                operations.list_multi_region_access_point_operations,
                _NAMED_POINT,
                action="s3:DescribeMultiRegionAccessPointOperation",
            )
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)"),
        {
            "GET": control_route(
                "GetMultiRegionAccessPoint", mraps.get_multi_region_access_point, _NAMED_POINT
            )
        },
    ),
    (
        re.compile("/v20180820/configuration/publicAccessBlock"),
        {
            "GET": control_route(
                "GetPublicAccessBlock",
                public_access.get_public_access_block,
                "*",
                action="s3:GetAccountPublicAccessBlock",
                served=Served.ACCOUNT,
            ),
            "PUT": control_route(
                "PutPublicAccessBlock",
                public_access.put_public_access_block,
                "*",
                action="s3:PutAccountPublicAccessBlock",
                served=Served.ACCOUNT,
            ),
            "DELETE": control_route(
                "DeletePublicAccessBlock",
                public_access.delete_public_access_block,
                "*",
                action="s3:PutAccountPublicAccessBlock",
                served=Served.ACCOUNT,
            ),
        },
    ),
)

OPERATIONS: tuple[Route, ...] = tuple(route for _, methods in _TABLE for route in methods.values())
"""Every S3 Control operation this gateway serves."""


def resolve(method: str, raw_path: str, headers: Mapping[str, str]) -> tuple[Route, dict[str, str]]:
    """The operation a request is for and its named parameters (path labels, AccountId)."""
    allowed: list[str] = []
    for pattern, methods in _TABLE:
        match = pattern.fullmatch(raw_path)
        if match is None:
            continue
        route = methods.get(method)
        if route is None:
            allowed += methods
            continue
        params = {name: unquote(value) for name, value in match.groupdict().items()}
        account_id = headers.get("x-amz-account-id")
        if account_id is not None:
            params["AccountId"] = account_id
        return route, params
    if allowed:
        raise errors.MethodNotAllowed().with_headers({"Allow": ", ".join(allowed)})
    raise errors.S3NotImplemented(
        f"S3 Control {method} {raw_path} is not implemented by this server."
    )
