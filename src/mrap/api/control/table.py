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
from mrap.api.control import mraps, policy, public_access, routes
from mrap.api.control import replicate as replication_control
from mrap.api.control.reports import CONTROL_NAMESPACE
from mrap.operation import Handler, Route

__all__ = ["CONTROL_NAMESPACE", "resolve"]


def _route(name: str, handler: Handler, action: str | None = None) -> Route:
    return Route(name, handler, action or f"s3:{name}")


_ASYNC = "/v20180820/async-requests/mrap"
_INSTANCES = "/v20180820/mrap/instances"

# (path pattern, {method: route}); the first pattern that matches the path decides.
_TABLE: tuple[tuple[re.Pattern[str], dict[str, Route]], ...] = (
    (
        re.compile(f"{_ASYNC}/create"),
        {"POST": _route("CreateMultiRegionAccessPoint", mraps.create_multi_region_access_point)},
    ),
    (
        re.compile(f"{_ASYNC}/delete"),
        {"POST": _route("DeleteMultiRegionAccessPoint", mraps.delete_multi_region_access_point)},
    ),
    (
        re.compile(f"{_ASYNC}/put-policy"),
        {
            "POST": _route(
                "PutMultiRegionAccessPointPolicy", policy.put_multi_region_access_point_policy
            )
        },
    ),
    (
        re.compile(f"{_ASYNC}/(?P<request_token>.+)"),
        {
            "GET": _route(
                "DescribeMultiRegionAccessPointOperation",
                mraps.describe_multi_region_access_point_operation,
            )
        },
    ),
    (
        re.compile(_INSTANCES),
        {"GET": _route("ListMultiRegionAccessPoints", mraps.list_multi_region_access_points)},
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<mrap>.+)/routes"),
        {
            "GET": _route(
                "GetMultiRegionAccessPointRoutes", routes.get_multi_region_access_point_routes
            ),
            "PATCH": _route(
                "SubmitMultiRegionAccessPointRoutes",
                routes.submit_multi_region_access_point_routes,
            ),
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)/policystatus"),
        {
            "GET": _route(
                "GetMultiRegionAccessPointPolicyStatus",
                policy.get_multi_region_access_point_policy_status,
            )
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)/policy"),
        {
            "GET": _route(
                "GetMultiRegionAccessPointPolicy", policy.get_multi_region_access_point_policy
            )
        },
    ),
    (
        # An mrap extension, not an AWS operation: what `mrap replicate NAME` does.
        re.compile(f"{_INSTANCES}/(?P<name>.+)/replicate"),
        {
            "POST": _route(
                "ReplicateMultiRegionAccessPoint",
                replication_control.replicate_multi_region_access_point,
                "s3:PutReplicationConfiguration",
            )
        },
    ),
    (
        re.compile(f"{_INSTANCES}/(?P<name>.+)"),
        {"GET": _route("GetMultiRegionAccessPoint", mraps.get_multi_region_access_point)},
    ),
    (
        re.compile("/v20180820/configuration/publicAccessBlock"),
        {
            "GET": _route(
                "GetPublicAccessBlock",
                public_access.get_public_access_block,
                "s3:GetAccountPublicAccessBlock",
            ),
            "PUT": _route(
                "PutPublicAccessBlock",
                public_access.put_public_access_block,
                "s3:PutAccountPublicAccessBlock",
            ),
            "DELETE": _route(
                "DeletePublicAccessBlock",
                public_access.delete_public_access_block,
                "s3:PutAccountPublicAccessBlock",
            ),
        },
    ),
)


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
