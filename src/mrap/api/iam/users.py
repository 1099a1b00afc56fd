"""IAM users: CreateUser, GetUser, ListUsers, DeleteUser, ListGroupsForUser."""

from __future__ import annotations

from dataclasses import dataclass

from mrap import errors
from mrap.api.iam import render
from mrap.api.iam.access import account_resource, authorize
from mrap.api.iam.params import EXISTING_USER_NAME, PATH, PATH_PREFIX, USER_NAME, Params
from mrap.api.iam.reply import respond
from mrap.iam import PrincipalType
from mrap.operation import OpRequest, OpResponse, XmlValue
from mrap.services import Services
from mrap.store.iam_tables import UserRecord


def user_arn(services: Services, req: OpRequest, name: str) -> str:
    """The ARN of a user of the caller's account (with its path when it exists)."""
    found = services.identities.repo.get_user(req.principal.account_id, name)
    return found.arn if found else account_resource(req, "user", "/", name)


@dataclass(frozen=True)
class Subject:
    """The principal an access-key or GetUser request is about: a user, or the root user."""

    arn: str
    user: UserRecord | None  # None for the account root


def subject(services: Services, req: OpRequest, name: str | None) -> Subject:
    """The user named by `UserName`, or without one the caller itself, once authorized.

    Only users and the root have keys of their own: a role session must name a user.
    """
    account = req.principal.account_id
    if name is not None:
        authorize(req, user_arn(services, req, name))
        return _named(services, account, name)
    caller = req.caller
    if caller.type is PrincipalType.USER:
        authorize(req, caller.arn)
        return _named(services, account, caller.username)
    if caller.is_root:
        return Subject(caller.arn, None)
    raise errors.ValidationError("Must specify userName when calling with non-User credentials")


def _named(services: Services, account: str, name: str) -> Subject:
    user = services.identities.repo.require_user(account, name)
    return Subject(user.arn, user)


async def create_user(services: Services, req: OpRequest) -> OpResponse:
    """CreateUser: a new user with an optional path and tags."""
    p = Params(req.params)
    name = p.required("UserName", USER_NAME)
    path = p.text("Path", PATH) or "/"
    tags = p.tags()
    p.check()
    p.unsupported("PermissionsBoundary")
    authorize(req, account_resource(req, "user", path, name))
    user = services.identities.repo.create_user(req.principal.account_id, name, path, tags)
    return respond(req, "CreateUser", [("User", render.user(user))])


async def get_user(services: Services, req: OpRequest) -> OpResponse:
    """GetUser: the named user, or the caller itself."""
    p = Params(req.params)
    name = p.text("UserName", EXISTING_USER_NAME)
    p.check()
    found = subject(services, req, name)
    if found.user is not None:
        return respond(req, "GetUser", [("User", render.user(found.user))])
    account = req.principal.account_id
    created = services.identities.repo.account_created(account)
    root: list[tuple[str, XmlValue]] = [
        ("UserId", account),
        ("Arn", found.arn),
        ("CreateDate", None if created is None else render.when(created)),
    ]
    return respond(req, "GetUser", [("User", root)])


async def list_users(services: Services, req: OpRequest) -> OpResponse:
    """ListUsers: the account's users under a path prefix, a page at a time."""
    p = Params(req.params)
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()
    authorize(req, account_resource(req, "user", "/"))
    users = services.identities.repo.list_users(req.principal.account_id, prefix)
    page, trailer = render.paginate(p, users, lambda u: u.name.lower())
    result = [("Users", render.members([render.user(u) for u in page])), *trailer]
    return respond(req, "ListUsers", result)


async def delete_user(services: Services, req: OpRequest) -> OpResponse:
    """DeleteUser: only once its keys, policies and group memberships are gone."""
    p = Params(req.params)
    name = p.required("UserName", EXISTING_USER_NAME)
    p.check()
    authorize(req, user_arn(services, req, name))
    services.identities.repo.delete_user(req.principal.account_id, name)
    return respond(req, "DeleteUser", None)


async def list_groups_for_user(services: Services, req: OpRequest) -> OpResponse:
    """ListGroupsForUser: the groups a user belongs to."""
    p = Params(req.params)
    name = p.required("UserName", EXISTING_USER_NAME)
    p.check()
    authorize(req, user_arn(services, req, name))
    repo = services.identities.repo
    user = repo.require_user(req.principal.account_id, name)
    groups = repo.groups_of(req.principal.account_id, user.name)
    page, trailer = render.paginate(p, groups, lambda g: g.name.lower())
    result = [("Groups", render.members([render.group(g) for g in page])), *trailer]
    return respond(req, "ListGroupsForUser", result)
