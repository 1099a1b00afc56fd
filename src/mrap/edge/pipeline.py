"""The request pipeline after authentication, as small steps: resolve the operation (and, for
an access point, route it to a regional bucket), parse it into a typed endpoint, authorize it
from its declaration, invoke its handler.

Every operation (S3, S3 Control, IAM, STS) is declared in its API's table (`access`) and
authorized here before its handler runs; handlers ask only for the second decisions their
declaration names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from multidict import CIMultiDictProxy

from mrap import errors
from mrap.api.control import table as control_table
from mrap.api.s3 import table
from mrap.auth import scope as signing_scope
from mrap.auth.rules import Authentication
from mrap.auth.sigv4a import region_set_allows
from mrap.authz.declared import authorize_declared
from mrap.edge import addressing, query
from mrap.operation import AccessPointRef, Declared, OpRequest, OpResponse
from mrap.routing import dataplane
from mrap.services import Services


@dataclass
class Dispatch:
    """What a request resolved to: its operation, and the bucket it acts on."""

    action: str  # the operation's IAM action
    query_pairs: list[tuple[str, str]]  # the decoded query string
    bucket: str = ""  # for an access point request: the regional bucket it was routed to
    access_point: AccessPointRef | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    operation: Declared | None = None


def check_region_set(auth: Authentication, region: str, query_pairs: list[tuple[str, str]]) -> None:
    """A SigV4A signature must have been made for a region set holding the serving region."""
    if auth.region_set is None or region_set_allows(auth.region_set, region):
        return
    message = (
        f"The region set '{','.join(auth.region_set)}' of the signature does not include "
        f"the region '{region}' that serves this request."
    )
    if any(name == "X-Amz-Algorithm" for name, _ in query_pairs):
        raise errors.AuthorizationQueryParametersError(message)
    raise errors.AuthorizationHeaderMalformed(message, Region=region)


def resolve_s3(
    services: Services,
    router: dataplane.Router,
    target: addressing.Target,
    method: str,
    headers: CIMultiDictProxy[str],
    auth: Authentication,
    query_pairs: list[tuple[str, str]],
) -> Dispatch:
    """Resolve an S3 request (a bucket, or an access point) and route it: the operation, the
    bucket that serves it, and the signature checked against that bucket's region."""
    bucket = target.bucket
    operation = table.resolve(
        method,
        "object" if target.key else "bucket" if target.alias else target.level,
        (k for k, _ in query_pairs),
        headers,
    )
    # The alias as a bucket name (`.mrap` names no bucket) is the access point, for the
    # operations it refuses as much as for those it serves; a `.mrap` name that is no access
    # point's is an invalid bucket name for the rest (CreateBucket).
    alias = target.alias
    if dataplane.is_alias(bucket) and (
        operation.name in dataplane.OPERATIONS or router.serves(bucket)
    ):
        alias = bucket
    if alias:
        dataplane.check_operation(operation.name)
    if operation.handler is None:
        raise table.not_implemented(operation)
    dispatch = Dispatch(operation.action, query_pairs, bucket, operation=operation)
    if alias:
        dispatch.access_point, routed = router.route(alias)
        dispatch.bucket = routed.bucket
        check_region_set(auth, routed.region, query_pairs)
    elif bucket and operation.name != "CreateBucket":
        _check_bucket_region(services, auth, bucket, operation.name, query_pairs)
    return dispatch


def _check_bucket_region(
    services: Services,
    auth: Authentication,
    bucket: str,
    operation: str,
    query_pairs: list[tuple[str, str]],
) -> None:
    """A signature must be made for the bucket's region (SigV4 scope, SigV4A region set).

    A bucket that does not exist has no region to sign for: its handler answers
    NoSuchBucket whatever the signing region (see `auth.scope`). AWS's global endpoint
    answers GetBucketLocation for a bucket in any region: that is how clients find it.
    """
    if auth.scope is None:
        return
    if operation == "GetBucketLocation" and auth.scope.region in signing_scope.GLOBAL_REGIONS:
        return
    record = services.control.get_bucket(bucket)
    if record is None:
        return
    signing_scope.check_region(auth.scope, record.region)
    check_region_set(auth, record.region, query_pairs)


def resolve_control(
    method: str, raw_path: str, headers: CIMultiDictProxy[str], query_pairs: list[tuple[str, str]]
) -> Dispatch:
    """Resolve an S3 Control request: its declared route and named parameters."""
    route, params = control_table.resolve(method, raw_path, headers)
    return Dispatch(route.action, query_pairs, params=params, operation=route)


def resolve_query(
    api: addressing.Api, auth: Authentication, query_pairs: list[tuple[str, str]], form: bytes
) -> Dispatch:
    """Resolve an IAM or STS (Query protocol) request: its declared route and parameters."""
    if auth.principal.anonymous:
        raise errors.MissingAuthenticationToken()
    params = query.params(query_pairs, form)
    route = query.route(api, params)
    return Dispatch(route.action, query_pairs, params=params, operation=route)


async def invoke(services: Services, dispatch: Dispatch, req: OpRequest) -> OpResponse:
    """Parse the operation into its typed endpoint (parameter errors first), authorize it from
    its declaration, and run its handler."""
    operation = dispatch.operation
    assert operation is not None  # every resolve step names one
    endpoint = operation.parse(services, req)
    authorize_declared(services, req, operation.access, endpoint)
    return await endpoint.invoke()
