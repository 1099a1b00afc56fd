"""Managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, DeletePolicy, ListPolicies, and
Attach/Detach/ListAttached{User,Group,Role}Policies.

A customer managed policy has one version, `v1` (CreatePolicyVersion is not offered); the AWS
managed policies keep their own version ids.
"""

from __future__ import annotations

import time

from mrap import errors
from mrap.api.iam import documents, render
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
from mrap.api.iam.skeleton import Parsed, account_resource
from mrap.operation import OpRequest, XmlChildren
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


def create_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """CreatePolicy: a customer managed policy, validated and within its size quota."""
    name = p.required("PolicyName", POLICY_NAME)
    document = p.required("PolicyDocument", POLICY_DOCUMENT)
    path = p.text("Path", POLICY_PATH) or "/"
    description = p.text("Description", POLICY_DESCRIPTION) or ""
    tags = p.tags()
    p.check()
    arn = account_resource(req, "policy", path, name)

    def act() -> XmlChildren | None:
        documents.managed_policy(document)
        now = time.time()
        policy = ManagedPolicy(arn, req.principal.account_id, name, new_unique_id("ANPA"), path,
                               description, document, now, now, "v1", tags)  # fmt: skip
        services.identities.repo.create_managed(policy)
        return [("Policy", render.policy(policy, 0))]

    return arn, act


def get_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetPolicy: a managed policy's metadata (not its document)."""
    arn = p.required("PolicyArn", ARN)
    p.check()

    def act() -> XmlChildren | None:
        policy = _visible(services, req, arn)
        count = services.identities.repo.attachment_count(req.principal.account_id, arn)
        return [("Policy", render.policy(policy, count))]

    return arn, act


def get_policy_version(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetPolicyVersion: a managed policy's document, percent-encoded."""
    arn = p.required("PolicyArn", ARN)
    version_id = p.required("VersionId", VERSION_ID)
    p.check()

    def act() -> XmlChildren | None:
        policy = _visible(services, req, arn)
        if version_id != policy.version_id:
            raise errors.NoSuchEntity(
                f"Policy {arn} version {version_id} does not exist or is not attachable."
            )
        return [("PolicyVersion", render.version(policy))]

    return arn, act


def delete_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeletePolicy: only a customer managed policy that is attached nowhere."""
    arn = p.required("PolicyArn", ARN)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.delete_managed(req.principal.account_id, arn)
        return None

    return arn, act


def list_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListPolicies: AWS managed and/or the account's own (Scope), optionally only attached."""
    scope = p.text("Scope", POLICY_SCOPE) or "All"
    only_attached = p.boolean("OnlyAttached") or False
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()

    def act() -> XmlChildren | None:
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
        return [("Policies", listed), *trailer]

    return account_resource(req, "policy", "/"), act


def _attach(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    arn = p.required("PolicyArn", ARN)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.attach(
            req.principal.account_id, owner.kind, name, arn, MANAGED_POLICIES_PER_IDENTITY
        )
        return None

    return owner_arn(services, req, owner.kind, name), act


def _detach(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    arn = p.required("PolicyArn", ARN)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.detach(req.principal.account_id, owner.kind, name, arn)
        return None

    return owner_arn(services, req, owner.kind, name), act


def _list_attached(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        stored = repo.owner_name(req.principal.account_id, owner.kind, name)
        policies = [x for x in repo.attached(req.principal.account_id, owner.kind, stored)
                    if x.path.startswith(prefix)]  # fmt: skip
        page, trailer = render.paginate(p, policies, lambda x: x.name.lower())
        return [("AttachedPolicies", render.attached(page)), *trailer]

    return owner_arn(services, req, owner.kind, name), act


def attach_user_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """AttachUserPolicy: at most 10 managed policies per user."""
    return _attach(services, req, p, USER)


def detach_user_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DetachUserPolicy."""
    return _detach(services, req, p, USER)


def list_attached_user_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListAttachedUserPolicies."""
    return _list_attached(services, req, p, USER)


def attach_group_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """AttachGroupPolicy: at most 10 managed policies per group."""
    return _attach(services, req, p, GROUP)


def detach_group_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DetachGroupPolicy."""
    return _detach(services, req, p, GROUP)


def list_attached_group_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListAttachedGroupPolicies."""
    return _list_attached(services, req, p, GROUP)


def attach_role_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """AttachRolePolicy: at most 10 managed policies per role."""
    return _attach(services, req, p, ROLE)


def detach_role_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DetachRolePolicy."""
    return _detach(services, req, p, ROLE)


def list_attached_role_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListAttachedRolePolicies."""
    return _list_attached(services, req, p, ROLE)
