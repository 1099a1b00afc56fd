"""IAM groups: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
RemoveUserFromGroup."""

from __future__ import annotations

from mrap.api.iam import render
from mrap.api.iam.access import account_resource, authorize
from mrap.api.iam.params import EXISTING_USER_NAME, GROUP_NAME, PATH, PATH_PREFIX, Params
from mrap.api.iam.reply import respond
from mrap.operation import OpRequest, OpResponse
from mrap.services import Services

GROUPS_PER_USER = 10


def group_arn(services: Services, req: OpRequest, name: str) -> str:
    """The ARN of a group of the caller's account (with its path when it exists)."""
    found = services.identities.repo.get_group(req.principal.account_id, name)
    return found.arn if found else account_resource(req, "group", "/", name)


async def create_group(services: Services, req: OpRequest) -> OpResponse:
    """CreateGroup: a new, empty group."""
    p = Params(req.params)
    name = p.required("GroupName", GROUP_NAME)
    path = p.text("Path", PATH) or "/"
    p.check()
    authorize(req, account_resource(req, "group", path, name))
    group = services.identities.repo.create_group(req.principal.account_id, name, path)
    return respond(req, "CreateGroup", [("Group", render.group(group))])


async def get_group(services: Services, req: OpRequest) -> OpResponse:
    """GetGroup: a group and (a page of) its users."""
    p = Params(req.params)
    name = p.required("GroupName", GROUP_NAME)
    p.check()
    authorize(req, group_arn(services, req, name))
    repo = services.identities.repo
    group = repo.require_group(req.principal.account_id, name)
    users = repo.members_of(req.principal.account_id, group.name)
    page, trailer = render.paginate(p, users, lambda u: u.name.lower())
    result = [
        ("Group", render.group(group)),
        ("Users", render.members([render.user(u) for u in page])),
        *trailer,
    ]
    return respond(req, "GetGroup", result)


async def list_groups(services: Services, req: OpRequest) -> OpResponse:
    """ListGroups: the account's groups under a path prefix."""
    p = Params(req.params)
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()
    authorize(req, account_resource(req, "group", "/"))
    groups = services.identities.repo.list_groups(req.principal.account_id, prefix)
    page, trailer = render.paginate(p, groups, lambda g: g.name.lower())
    result = [("Groups", render.members([render.group(g) for g in page])), *trailer]
    return respond(req, "ListGroups", result)


async def delete_group(services: Services, req: OpRequest) -> OpResponse:
    """DeleteGroup: only once it has no members and no policies."""
    p = Params(req.params)
    name = p.required("GroupName", GROUP_NAME)
    p.check()
    authorize(req, group_arn(services, req, name))
    services.identities.repo.delete_group(req.principal.account_id, name)
    return respond(req, "DeleteGroup")


async def add_user_to_group(services: Services, req: OpRequest) -> OpResponse:
    """AddUserToGroup: the user gains the group's policies (at most 10 groups per user)."""
    p = Params(req.params)
    name = p.required("GroupName", GROUP_NAME)
    user = p.required("UserName", EXISTING_USER_NAME)
    p.check()
    authorize(req, group_arn(services, req, name))
    services.identities.repo.add_member(req.principal.account_id, name, user, GROUPS_PER_USER)
    return respond(req, "AddUserToGroup")


async def remove_user_from_group(services: Services, req: OpRequest) -> OpResponse:
    """RemoveUserFromGroup."""
    p = Params(req.params)
    name = p.required("GroupName", GROUP_NAME)
    user = p.required("UserName", EXISTING_USER_NAME)
    p.check()
    authorize(req, group_arn(services, req, name))
    services.identities.repo.remove_member(req.principal.account_id, name, user)
    return respond(req, "RemoveUserFromGroup")
