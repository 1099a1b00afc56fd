"""Multi-Region Access Point policies: Put (asynchronous: Proposed, then Established), Get and
PolicyStatus. There is no delete: a new policy replaces the old one."""

from __future__ import annotations

import time
from functools import lru_cache

from mrap import errors
from mrap.api.control import bodies, reports
from mrap.api.control.common import find
from mrap.iam import (
    ACCESS_POINT_POLICY_MAX_BYTES,
    PolicyError,
    PolicyKind,
    cached_policy,
    is_public_policy,
    parse_policy,
)
from mrap.operation import OpRequest, OpResponse, XmlValue
from mrap.services import Services
from mrap.store.mrap_records import AccessPoint

_BLOCK_PUBLIC_POLICY = 2


@lru_cache(maxsize=1024)
def is_public(text: str) -> bool:
    """Whether S3 considers a stored access point policy public."""
    return is_public_policy(cached_policy(text, PolicyKind.ACCESS_POINT))


async def put_multi_region_access_point_policy(services: Services, req: OpRequest) -> OpResponse:
    """POST /v20180820/async-requests/mrap/put-policy."""
    account_id = req.params["AccountId"]
    doc = await bodies.document(req, "PutMultiRegionAccessPointPolicyRequest")
    token, name, policy = bodies.put_policy(doc)
    if len(policy.encode()) > ACCESS_POINT_POLICY_MAX_BYTES:
        raise errors.PolicyTooLarge()
    try:
        parse_policy(
            policy,
            PolicyKind.ACCESS_POINT,
            principal_exists=services.identities.iam_principal_exists,
        )
    except PolicyError as exc:
        raise errors.MalformedPolicy(exc.message) from None
    account_flags = services.mraps.account_public_access_block(account_id) or "0000"

    def check(point: AccessPoint) -> None:
        # BlockPublicPolicy (the access point's own or its account's) refuses a public policy.
        blocked = "1" in (
            point.public_access_block[_BLOCK_PUBLIC_POLICY],
            account_flags[_BLOCK_PUBLIC_POLICY],
        )
        if blocked and is_public(policy):
            raise errors.AccessDenied()

    op = services.mraps.start_put_policy(
        account_id,
        token,
        name,
        policy,
        check,
        time.time() + services.settings.propagation_delay,
        req.request_id,
    )
    return reports.result(
        "PutMultiRegionAccessPointPolicyResult", [("RequestTokenARN", op.token_arn)]
    )


async def get_multi_region_access_point_policy(services: Services, req: OpRequest) -> OpResponse:
    """GET /v20180820/mrap/instances/{name+}/policy: the Established and Proposed policies."""
    account_id = req.params["AccountId"]
    point = find(services, account_id, req.params["name"])
    policy: list[tuple[str, XmlValue]] = []
    if point.established_policy is not None:
        policy.append(("Established", [("Policy", point.established_policy)]))
    if point.proposed_policy is not None:
        policy.append(("Proposed", [("Policy", point.proposed_policy)]))
    return reports.result("GetMultiRegionAccessPointPolicyResult", [("Policy", policy)])


async def get_multi_region_access_point_policy_status(
    services: Services, req: OpRequest
) -> OpResponse:
    """GET /v20180820/mrap/instances/{name+}/policystatus: whether the Established policy is
    public (no policy: not public)."""
    account_id = req.params["AccountId"]
    point = find(services, account_id, req.params["name"])
    public = point.established_policy is not None and is_public(point.established_policy)
    return reports.result(
        "GetMultiRegionAccessPointPolicyStatusResult", [("Established", [("IsPublic", public)])]
    )
