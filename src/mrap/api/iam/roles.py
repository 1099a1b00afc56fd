"""IAM roles: CreateRole (with its trust policy), GetRole, ListRoles, DeleteRole."""

from __future__ import annotations

import time

from mrap.api.iam import documents, render
from mrap.api.iam.params import (
    PATH,
    PATH_PREFIX,
    POLICY_DOCUMENT,
    ROLE_DESCRIPTION,
    ROLE_NAME,
    Params,
)
from mrap.api.iam.skeleton import Parsed, account_resource
from mrap.operation import OpRequest, XmlChildren
from mrap.services import Services
from mrap.store.iam_tables import RoleRecord, iam_arn, new_unique_id

DEFAULT_MAX_SESSION = 3600


def role_arn(services: Services, req: OpRequest, name: str) -> str:
    """The ARN of a role of the caller's account (with its path when it exists)."""
    found = services.identities.repo.get_role(req.principal.account_id, name)
    return found.arn if found else account_resource(req, "role", "/", name)


def create_role(services: Services, req: OpRequest, p: Params) -> Parsed:
    """CreateRole: a role that the principals its trust policy names may assume."""
    name = p.required("RoleName", ROLE_NAME)
    trust = p.required("AssumeRolePolicyDocument", POLICY_DOCUMENT)
    path = p.text("Path", PATH) or "/"
    description = p.text("Description", ROLE_DESCRIPTION) or ""
    duration = p.integer("MaxSessionDuration", 3600, 43200)
    tags = p.tags()
    p.check()
    p.unsupported("PermissionsBoundary")
    account = req.principal.account_id

    def act() -> XmlChildren | None:
        documents.trust_policy(services, trust)
        role = RoleRecord(
            arn=iam_arn(account, "role", path, name),
            role_id=new_unique_id("AROA"),
            name=name,
            path=path,
            trust_policy=trust,
            max_session_duration=duration or DEFAULT_MAX_SESSION,
            account_id=account,
            description=description,
            created=time.time(),
            tags=tags,
        )
        services.identities.repo.create_role(role)
        return [("Role", render.role(role))]

    return account_resource(req, "role", path, name), act


def get_role(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetRole."""
    name = p.required("RoleName", ROLE_NAME)
    p.check()

    def act() -> XmlChildren | None:
        role = services.identities.repo.require_role(req.principal.account_id, name)
        return [("Role", render.role(role))]

    return role_arn(services, req, name), act


def list_roles(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListRoles: the account's roles under a path prefix."""
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()

    def act() -> XmlChildren | None:
        roles = services.identities.repo.list_roles(req.principal.account_id, prefix)
        page, trailer = render.paginate(p, roles, lambda r: r.name.lower())
        listed = render.members([render.role(r, full=False) for r in page])
        return [("Roles", listed), *trailer]

    return account_resource(req, "role", "/"), act


def delete_role(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteRole: only once its inline and attached policies are gone."""
    name = p.required("RoleName", ROLE_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.delete_role(req.principal.account_id, name)
        return None

    return role_arn(services, req, name), act
