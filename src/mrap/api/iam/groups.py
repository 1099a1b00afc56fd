"""IAM groups: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
RemoveUserFromGroup."""

from __future__ import annotations

from mrap.api.iam import render
from mrap.api.iam.params import EXISTING_USER_NAME, GROUP_NAME, PATH, PATH_PREFIX, Params
from mrap.api.iam.skeleton import Parsed, account_resource
from mrap.operation import OpRequest, XmlChildren
from mrap.services import Services

GROUPS_PER_USER = 10


def group_arn(services: Services, req: OpRequest, name: str) -> str:
    """The ARN of a group of the caller's account (with its path when it exists)."""
    found = services.identities.repo.get_group(req.principal.account_id, name)
    return found.arn if found else account_resource(req, "group", "/", name)


def create_group(services: Services, req: OpRequest, p: Params) -> Parsed:
    """CreateGroup: a new, empty group."""
    name = p.required("GroupName", GROUP_NAME)
    path = p.text("Path", PATH) or "/"
    p.check()

    def act() -> XmlChildren | None:
        group = services.identities.repo.create_group(req.principal.account_id, name, path)
        return [("Group", render.group(group))]

    return account_resource(req, "group", path, name), act


def get_group(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetGroup: a group and (a page of) its users."""
    name = p.required("GroupName", GROUP_NAME)
    p.check()

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        group = repo.require_group(req.principal.account_id, name)
        users = repo.members_of(req.principal.account_id, group.name)
        page, trailer = render.paginate(p, users, lambda u: u.name.lower())
        result = [
            ("Group", render.group(group)),
            ("Users", render.members([render.user(u) for u in page])),
            *trailer,
        ]
        return result

    return group_arn(services, req, name), act


def list_groups(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListGroups: the account's groups under a path prefix."""
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()

    def act() -> XmlChildren | None:
        groups = services.identities.repo.list_groups(req.principal.account_id, prefix)
        page, trailer = render.paginate(p, groups, lambda g: g.name.lower())
        result = [("Groups", render.members([render.group(g) for g in page])), *trailer]
        return result

    return account_resource(req, "group", "/"), act


def delete_group(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteGroup: only once it has no members and no policies."""
    name = p.required("GroupName", GROUP_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.delete_group(req.principal.account_id, name)
        return None

    return group_arn(services, req, name), act


def add_user_to_group(services: Services, req: OpRequest, p: Params) -> Parsed:
    """AddUserToGroup: the user gains the group's policies (at most 10 groups per user)."""
    name = p.required("GroupName", GROUP_NAME)
    user = p.required("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.add_member(req.principal.account_id, name, user, GROUPS_PER_USER)
        return None

    return group_arn(services, req, name), act


def remove_user_from_group(services: Services, req: OpRequest, p: Params) -> Parsed:
    """RemoveUserFromGroup."""
    name = p.required("GroupName", GROUP_NAME)
    user = p.required("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.remove_member(req.principal.account_id, name, user)
        return None

    return group_arn(services, req, name), act
