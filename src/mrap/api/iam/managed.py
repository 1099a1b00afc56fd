"""Managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, DeletePolicy, ListPolicies, and
Attach/Detach/ListAttached{User,Group,Role}Policies.

A customer managed policy has one version, `v1` (CreatePolicyVersion is not offered); the AWS
managed policies keep their own version ids.
"""

from __future__ import annotations

import time

from mrap import errors
from mrap.api.iam import documents, render
from mrap.api.iam.access import account_resource, authorize
from mrap.api.iam.inline import GROUP, ROLE, USER, Owner, owner_arn
from mrap.api.iam.params import (
    ARN,
    PATH_PREFIX,
    POLICY_DESCRIPTION,
    POLICY_DOCUMENT,
    POLICY_NAME,
    POLICY_PATH,
    POLICY_SCOPE,
    VERSION_ID,
    Params,
)
from mrap.api.iam.reply import respond
from mrap.operation import OpRequest, OpResponse
from mrap.services import Services
from mrap.store.aws_policies import AWS_MANAGED
from mrap.store.iam_tables import ManagedPolicy, new_unique_id

MANAGED_POLICIES_PER_IDENTITY = 10


def _visible(services: Services, req: OpRequest, arn: str) -> ManagedPolicy:
    """A policy the caller's account can see (its own or AWS's), or NoSuchEntity."""
    policy = services.identities.repo.get_managed(arn)
    if policy is None or policy.account_id not in (req.principal.account_id, "aws"):
        raise errors.NoSuchEntity(f"Policy {arn} was not found.")
    return policy


async def create_policy(services: Services, req: OpRequest) -> OpResponse:
    """CreatePolicy: a customer managed policy, validated and within its size quota."""
    p = Params(req.params)
    name = p.required("PolicyName", POLICY_NAME)
    document = p.required("PolicyDocument", POLICY_DOCUMENT)
    path = p.text("Path", POLICY_PATH) or "/"
    description = p.text("Description", POLICY_DESCRIPTION) or ""
    tags = p.tags()
    p.check()
    arn = account_resource(req, "policy", path, name)
    authorize(req, arn)
    documents.managed_policy(document)
    now = time.time()
    policy = ManagedPolicy(arn, req.principal.account_id, name, new_unique_id("ANPA"), path,
                           description, document, now, now, "v1", tags)  # fmt: skip
    services.identities.repo.create_managed(policy)
    return respond(req, "CreatePolicy", [("Policy", render.policy(policy, 0))])


async def get_policy(services: Services, req: OpRequest) -> OpResponse:
    """GetPolicy: a managed policy's metadata (not its document)."""
    p = Params(req.params)
    arn = p.required("PolicyArn", ARN)
    p.check()
    authorize(req, arn)
    policy = _visible(services, req, arn)
    count = services.identities.repo.attachment_count(req.principal.account_id, arn)
    return respond(req, "GetPolicy", [("Policy", render.policy(policy, count))])


async def get_policy_version(services: Services, req: OpRequest) -> OpResponse:
    """GetPolicyVersion: a managed policy's document, percent-encoded."""
    p = Params(req.params)
    arn = p.required("PolicyArn", ARN)
    version_id = p.required("VersionId", VERSION_ID)
    p.check()
    authorize(req, arn)
    policy = _visible(services, req, arn)
    if version_id != policy.version_id:
        raise errors.NoSuchEntity(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    return respond(req, "GetPolicyVersion", [("PolicyVersion", render.version(policy))])


async def delete_policy(services: Services, req: OpRequest) -> OpResponse:
    """DeletePolicy: only a customer managed policy that is attached nowhere."""
    p = Params(req.params)
    arn = p.required("PolicyArn", ARN)
    p.check()
    authorize(req, arn)
    services.identities.repo.delete_managed(req.principal.account_id, arn)
    return respond(req, "DeletePolicy")


async def list_policies(services: Services, req: OpRequest) -> OpResponse:
    """ListPolicies: AWS managed and/or the account's own (Scope), optionally only attached."""
    p = Params(req.params)
    scope = p.text("Scope", POLICY_SCOPE) or "All"
    only_attached = p.boolean("OnlyAttached") or False
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()
    authorize(req, account_resource(req, "policy", "/"))
    repo = services.identities.repo
    account = req.principal.account_id
    candidates: list[ManagedPolicy] = []
    if scope in ("All", "AWS"):
        candidates += AWS_MANAGED.values()
    if scope in ("All", "Local"):
        candidates += repo.list_managed(account)
    rows = [(x, repo.attachment_count(account, x.arn)) for x in candidates]
    rows = [(x, n) for x, n in rows if x.path.startswith(prefix) and (n or not only_attached)]
    rows.sort(key=lambda row: row[0].name.lower())
    page, trailer = render.paginate(p, rows, lambda row: row[0].name.lower())
    listed = render.members([render.policy(x, n) for x, n in page])
    return respond(req, "ListPolicies", [("Policies", listed), *trailer])


def _attach(services: Services, req: OpRequest, owner: Owner, action: str) -> OpResponse:
    p = Params(req.params)
    name = p.required(owner.param, owner.shape)
    arn = p.required("PolicyArn", ARN)
    p.check()
    authorize(req, owner_arn(services, req, owner.kind, name))
    services.identities.repo.attach(
        req.principal.account_id, owner.kind, name, arn, MANAGED_POLICIES_PER_IDENTITY
    )
    return respond(req, action)


def _detach(services: Services, req: OpRequest, owner: Owner, action: str) -> OpResponse:
    p = Params(req.params)
    name = p.required(owner.param, owner.shape)
    arn = p.required("PolicyArn", ARN)
    p.check()
    authorize(req, owner_arn(services, req, owner.kind, name))
    services.identities.repo.detach(req.principal.account_id, owner.kind, name, arn)
    return respond(req, action)


def _list_attached(services: Services, req: OpRequest, owner: Owner, action: str) -> OpResponse:
    p = Params(req.params)
    name = p.required(owner.param, owner.shape)
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()
    authorize(req, owner_arn(services, req, owner.kind, name))
    repo = services.identities.repo
    stored = repo.owner_name(req.principal.account_id, owner.kind, name)
    policies = [x for x in repo.attached(req.principal.account_id, owner.kind, stored)
                if x.path.startswith(prefix)]  # fmt: skip
    page, trailer = render.paginate(p, policies, lambda x: x.name.lower())
    return respond(req, action, [("AttachedPolicies", render.attached(page)), *trailer])


async def attach_user_policy(services: Services, req: OpRequest) -> OpResponse:
    """AttachUserPolicy: at most 10 managed policies per user."""
    return _attach(services, req, USER, "AttachUserPolicy")


async def detach_user_policy(services: Services, req: OpRequest) -> OpResponse:
    """DetachUserPolicy."""
    return _detach(services, req, USER, "DetachUserPolicy")


async def list_attached_user_policies(services: Services, req: OpRequest) -> OpResponse:
    """ListAttachedUserPolicies."""
    return _list_attached(services, req, USER, "ListAttachedUserPolicies")


async def attach_group_policy(services: Services, req: OpRequest) -> OpResponse:
    """AttachGroupPolicy: at most 10 managed policies per group."""
    return _attach(services, req, GROUP, "AttachGroupPolicy")


async def detach_group_policy(services: Services, req: OpRequest) -> OpResponse:
    """DetachGroupPolicy."""
    return _detach(services, req, GROUP, "DetachGroupPolicy")


async def list_attached_group_policies(services: Services, req: OpRequest) -> OpResponse:
    """ListAttachedGroupPolicies."""
    return _list_attached(services, req, GROUP, "ListAttachedGroupPolicies")


async def attach_role_policy(services: Services, req: OpRequest) -> OpResponse:
    """AttachRolePolicy: at most 10 managed policies per role."""
    return _attach(services, req, ROLE, "AttachRolePolicy")


async def detach_role_policy(services: Services, req: OpRequest) -> OpResponse:
    """DetachRolePolicy."""
    return _detach(services, req, ROLE, "DetachRolePolicy")


async def list_attached_role_policies(services: Services, req: OpRequest) -> OpResponse:
    """ListAttachedRolePolicies."""
    return _list_attached(services, req, ROLE, "ListAttachedRolePolicies")
