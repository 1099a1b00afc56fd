"""Authorization as a stage of the request pipeline: a request is allowed or refused from its
operation's declaration (`Access`) before the handler runs."""

from __future__ import annotations

from mrap import errors
from mrap.authz.access import authorize, authorize_identity, find_bucket
from mrap.iam import DecidedBy, RequestContext, evaluate
from mrap.operation import Access, Endpoint, OpRequest, Rule
from mrap.services import Services


def authorize_declared(
    services: Services, req: OpRequest, access: Access, endpoint: Endpoint
) -> None:
    """Refuse the request unless the caller may do what its operation declares.

    What `access.note` names (DeleteObjects' keys, a copy's source, an access point's
    buckets) the handler asks for as second decisions.
    """
    if access.rule is Rule.NONE:
        return
    if access.rule is Rule.TRUST:
        if endpoint.decide is None:
            raise ValueError(f"{access} needs a decision bound by the operation's parser")
        endpoint.decide()
        return
    if access.rule is Rule.BUCKET:
        _authorize_bucket(services, req, access)
        return
    if not access.actions and not access.also:
        return  # only second decisions (see access.note)
    resource = endpoint.resource
    if resource is None:
        raise ValueError(f"{access} declares a check but the request names no resource")
    for action in access.actions:
        if access.rule is Rule.IAM:
            authorize_iam(req, action, resource.arn)
        else:
            authorize_identity(req, action, resource.arn, resource.account)
    for action, arn in access.also:
        authorize_identity(req, action, arn, resource.account)


def _authorize_bucket(services: Services, req: OpRequest, access: Access) -> None:
    """Find the request's bucket (NoSuchBucket first), check that the caller may act on it
    or its object, and hand both to the handler (`OpRequest.authorized_bucket`)."""
    record = find_bucket(services, req.bucket)
    store = services.regions[record.region]
    if access.owner_only and (req.principal.anonymous or req.caller.account != record.account_id):
        raise errors.AccessDenied()
    if access.actions:
        # The declared action is the request's own (`OpRequest.action`, from the table), which
        # `authorize` takes in its *Version form when the request names a versionId.
        try:
            authorize(req, record, store=store)
        except errors.AccessDenied as exc:
            if access.region_on_denial:
                raise exc.with_headers({"x-amz-bucket-region": record.region}) from None
            raise
    req.bucket_record, req.bucket_store = record, store


def authorize_iam(req: OpRequest, action: str, resource: str) -> None:
    """Refuse an IAM request unless the caller's identity policies allow `action` on `resource`.

    IAM resources always belong to the caller's account, so only identity policies decide;
    the root user is bounded by nothing here. AccessDenied carries IAM's message.
    """
    caller = req.caller
    if caller.is_root:
        return
    ctx = RequestContext(caller, action, resource, req.principal.account_id)
    decision = evaluate(ctx, req.policies)
    if not decision:
        head = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
        if decision.decided_by is DecidedBy.EXPLICIT_DENY:
            raise errors.AccessDenied(f"{head} with an explicit deny in an identity-based policy")
        raise errors.AccessDenied(
            f"{head} because no identity-based policy allows the {action} action"
        )
