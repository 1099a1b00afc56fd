"""IAM roles: CreateRole (with its trust policy), GetRole, ListRoles, DeleteRole."""

from __future__ import annotations

import time

from mrap.api.iam import documents, render
from mrap.api.iam.access import account_resource, authorize
from mrap.api.iam.params import (
    PATH,
    PATH_PREFIX,
    POLICY_DOCUMENT,
    ROLE_DESCRIPTION,
    ROLE_NAME,
    Params,
)
from mrap.api.iam.reply import respond
from mrap.operation import OpRequest, OpResponse
from mrap.services import Services
from mrap.store.iam_tables import RoleRecord, iam_arn, new_unique_id

DEFAULT_MAX_SESSION = 3600


def role_arn(services: Services, req: OpRequest, name: str) -> str:
    """The ARN of a role of the caller's account (with its path when it exists)."""
    found = services.identities.repo.get_role(req.principal.account_id, name)
    return found.arn if found else account_resource(req, "role", "/", name)


async def create_role(services: Services, req: OpRequest) -> OpResponse:
    """CreateRole: a role that the principals its trust policy names may assume."""
    p = Params(req.params)
    name = p.required("RoleName", ROLE_NAME)
    trust = p.required("AssumeRolePolicyDocument", POLICY_DOCUMENT)
    path = p.text("Path", PATH) or "/"
    description = p.text("Description", ROLE_DESCRIPTION) or ""
    duration = p.integer("MaxSessionDuration", 3600, 43200)
    tags = p.tags()
    p.check()
    p.unsupported("PermissionsBoundary")
    account = req.principal.account_id
    authorize(req, account_resource(req, "role", path, name))
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
    return respond(req, "CreateRole", [("Role", render.role(role))])


async def get_role(services: Services, req: OpRequest) -> OpResponse:
    """GetRole."""
    p = Params(req.params)
    name = p.required("RoleName", ROLE_NAME)
    p.check()
    authorize(req, role_arn(services, req, name))
    role = services.identities.repo.require_role(req.principal.account_id, name)
    return respond(req, "GetRole", [("Role", render.role(role))])


async def list_roles(services: Services, req: OpRequest) -> OpResponse:
    """ListRoles: the account's roles under a path prefix."""
    p = Params(req.params)
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()
    authorize(req, account_resource(req, "role", "/"))
    roles = services.identities.repo.list_roles(req.principal.account_id, prefix)
    page, trailer = render.paginate(p, roles, lambda r: r.name.lower())
    listed = render.members([render.role(r, full=False) for r in page])
    return respond(req, "ListRoles", [("Roles", listed), *trailer])


async def delete_role(services: Services, req: OpRequest) -> OpResponse:
    """DeleteRole: only once its inline and attached policies are gone."""
    p = Params(req.params)
    name = p.required("RoleName", ROLE_NAME)
    p.check()
    authorize(req, role_arn(services, req, name))
    services.identities.repo.delete_role(req.principal.account_id, name)
    return respond(req, "DeleteRole")
