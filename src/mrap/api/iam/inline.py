"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

The three families differ only in the owner's kind, name shape and size quota (all of an
owner's inline policies together, white space not counted).
"""

from __future__ import annotations

from typing import NamedTuple

from mrap.api.iam import documents, render
from mrap.api.iam.groups import group_arn
from mrap.api.iam.params import (
    EXISTING_USER_NAME,
    GROUP_NAME,
    POLICY_DOCUMENT,
    POLICY_NAME,
    ROLE_NAME,
    Params,
    Text,
)
from mrap.api.iam.roles import role_arn
from mrap.api.iam.skeleton import Parsed
from mrap.api.iam.users import user_arn
from mrap.iam import (
    INLINE_GROUP_POLICY_MAX_CHARS,
    INLINE_ROLE_POLICY_MAX_CHARS,
    INLINE_USER_POLICY_MAX_CHARS,
    non_whitespace_length,
)
from mrap.operation import OpRequest, XmlChildren
from mrap.services import Services
from mrap.store.iam_tables import InlinePolicy, Kind


class Owner(NamedTuple):
    """How one kind of identity names itself in requests and what it may hold."""

    kind: Kind
    param: str  # UserName / GroupName / RoleName
    shape: Text
    max_chars: int


USER = Owner(Kind.USER, "UserName", EXISTING_USER_NAME, INLINE_USER_POLICY_MAX_CHARS)
GROUP = Owner(Kind.GROUP, "GroupName", GROUP_NAME, INLINE_GROUP_POLICY_MAX_CHARS)
ROLE = Owner(Kind.ROLE, "RoleName", ROLE_NAME, INLINE_ROLE_POLICY_MAX_CHARS)


def owner_arn(services: Services, req: OpRequest, kind: Kind, name: str) -> str:
    """The ARN IAM authorizes operations on an identity's policies against."""
    if kind is Kind.USER:
        return user_arn(services, req, name)
    if kind is Kind.GROUP:
        return group_arn(services, req, name)
    return role_arn(services, req, name)


def _put(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    policy_name = p.required("PolicyName", POLICY_NAME)
    document = p.required("PolicyDocument", POLICY_DOCUMENT)
    p.check()

    def act() -> XmlChildren | None:
        documents.identity_policy(document)
        policy = InlinePolicy(policy_name, document)
        repo = services.identities.repo
        account = req.principal.account_id
        repo.put_inline(account, owner.kind, name, policy, owner.max_chars, non_whitespace_length)
        return None

    return owner_arn(services, req, owner.kind, name), act


def _get(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    policy_name = p.required("PolicyName", POLICY_NAME)
    p.check()

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        policy = repo.get_inline(req.principal.account_id, owner.kind, name, policy_name)
        stored = repo.owner_name(req.principal.account_id, owner.kind, name)
        result = [
            (owner.param, stored),
            ("PolicyName", policy.name),
            ("PolicyDocument", documents.encoded(policy.document)),
        ]
        return result

    return owner_arn(services, req, owner.kind, name), act


def _delete(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    policy_name = p.required("PolicyName", POLICY_NAME)
    p.check()

    def act() -> XmlChildren | None:
        services.identities.repo.delete_inline(
            req.principal.account_id, owner.kind, name, policy_name
        )
        return None

    return owner_arn(services, req, owner.kind, name), act


def _list(services: Services, req: OpRequest, p: Params, owner: Owner) -> Parsed:
    name = p.required(owner.param, owner.shape)
    p.check()

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        stored = repo.owner_name(req.principal.account_id, owner.kind, name)
        names = [x.name for x in repo.inline_policies(req.principal.account_id, owner.kind, stored)]
        page, trailer = render.paginate(p, names, str.lower)
        return [("PolicyNames", render.members(page)), *trailer]

    return owner_arn(services, req, owner.kind, name), act


def put_user_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """PutUserPolicy: create or replace a user's inline policy."""
    return _put(services, req, p, USER)


def get_user_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetUserPolicy: a user's inline policy, its document percent-encoded."""
    return _get(services, req, p, USER)


def delete_user_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteUserPolicy."""
    return _delete(services, req, p, USER)


def list_user_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListUserPolicies: the names of a user's inline policies."""
    return _list(services, req, p, USER)


def put_group_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """PutGroupPolicy: create or replace a group's inline policy."""
    return _put(services, req, p, GROUP)


def get_group_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetGroupPolicy."""
    return _get(services, req, p, GROUP)


def delete_group_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteGroupPolicy."""
    return _delete(services, req, p, GROUP)


def list_group_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListGroupPolicies."""
    return _list(services, req, p, GROUP)


def put_role_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """PutRolePolicy: create or replace a role's inline (permissions) policy."""
    return _put(services, req, p, ROLE)


def get_role_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetRolePolicy."""
    return _get(services, req, p, ROLE)


def delete_role_policy(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteRolePolicy."""
    return _delete(services, req, p, ROLE)


def list_role_policies(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListRolePolicies."""
    return _list(services, req, p, ROLE)
