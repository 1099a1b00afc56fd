"""IAM users: CreateUser, GetUser, ListUsers, DeleteUser, ListGroupsForUser."""

from __future__ import annotations

from dataclasses import dataclass

from mrap import errors
from mrap.api.iam import render
from mrap.api.iam.params import EXISTING_USER_NAME, PATH, PATH_PREFIX, USER_NAME, Params
from mrap.api.iam.skeleton import Parsed, account_resource
from mrap.iam import PrincipalType
from mrap.operation import OpRequest, XmlChildren, XmlValue
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


def subject_arn(req: OpRequest, name: str | None, services: Services) -> str:
    """What an access-key or GetUser request is authorized on: the user named by `UserName`,
    or without one the caller itself. Only users and the root have keys of their own: a role
    session must name a user."""
    if name is not None:
        return user_arn(services, req, name)
    caller = req.caller
    if caller.type is PrincipalType.USER or caller.is_root:
        return caller.arn
    raise errors.ValidationError("Must specify userName when calling with non-User credentials")


def subject(services: Services, req: OpRequest, name: str | None) -> Subject:
    """The user named by `UserName`, or without one the caller (a user, or the root user)."""
    account = req.principal.account_id
    if name is not None:
        return _named(services, account, name)
    caller = req.caller
    if caller.type is PrincipalType.USER:
        return _named(services, account, caller.username)
    return Subject(caller.arn, None)


def _named(services: Services, account: str, name: str) -> Subject:
    user = services.identities.repo.require_user(account, name)
    return Subject(user.arn, user)


def create_user(services: Services, req: OpRequest, p: Params) -> Parsed:
    """CreateUser: a new user with an optional path and tags."""
    name = p.required("UserName", USER_NAME)
    path = p.text("Path", PATH) or "/"
    tags = p.tags()
    p.check()
    p.unsupported("PermissionsBoundary")

    def act() -> XmlChildren | None:
        user = services.identities.repo.create_user(req.principal.account_id, name, path, tags)
        return [("User", render.user(user))]

    return account_resource(req, "user", path, name), act


def get_user(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetUser: the named user, or the caller itself."""
    name = p.text("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        found = subject(services, req, name)
        if found.user is not None:
            return [("User", render.user(found.user))]
        account = req.principal.account_id
        created = services.identities.repo.account_created(account)
        root: list[tuple[str, XmlValue]] = [
            ("UserId", account),
            ("Arn", found.arn),
            ("CreateDate", None if created is None else render.when(created)),
        ]
        return [("User", root)]

    return subject_arn(req, name, services), act


def list_users(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListUsers: the account's users under a path prefix, a page at a time."""
    prefix = p.text("PathPrefix", PATH_PREFIX) or "/"
    p.check()

    def act() -> XmlChildren | None:
        users = services.identities.repo.list_users(req.principal.account_id, prefix)
        page, trailer = render.paginate(p, users, lambda u: u.name.lower())
        result = [("Users", render.members([render.user(u) for u in page])), *trailer]
        return result

    return account_resource(req, "user", "/"), act


def delete_user(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteUser: only once its keys, policies and group memberships are gone."""
    name = p.required("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.delete_user(req.principal.account_id, name)
        return None

    return user_arn(services, req, name), act


def list_groups_for_user(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListGroupsForUser: the groups a user belongs to."""
    name = p.required("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        user = repo.require_user(req.principal.account_id, name)
        groups = repo.groups_of(req.principal.account_id, user.name)
        page, trailer = render.paginate(p, groups, lambda g: g.name.lower())
        result = [("Groups", render.members([render.group(g) for g in page])), *trailer]
        return result

    return user_arn(services, req, name), act
