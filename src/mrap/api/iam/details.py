"""GetAccountAuthorizationDetails: every user, group, role and managed policy of the account
with the policies they hold, documents percent-encoded."""

from __future__ import annotations

from mrap import errors
from mrap.api.iam import render
from mrap.api.iam.params import ENTITY_TYPE, Params
from mrap.api.iam.skeleton import Parsed
from mrap.operation import OpRequest, XmlChildren, XmlValue
from mrap.services import Services
from mrap.store.aws_policies import AWS_MANAGED
from mrap.store.iam_repo import IamRepository
from mrap.store.iam_tables import Kind, ManagedPolicy

_SECTIONS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _users(repo: IamRepository, account: str) -> list[XmlChildren]:
    out: list[XmlChildren] = []
    for u in repo.list_users(account):
        groups = [g.name for g in repo.groups_of(account, u.name)]
        out.append(
            [
                *render.user_core(u),
                ("UserPolicyList", render.inline(repo.inline_policies(account, Kind.USER, u.name))),
                ("GroupList", render.members(groups)),
                (
                    "AttachedManagedPolicies",
                    render.attached(repo.attached(account, Kind.USER, u.name)),
                ),
                ("Tags", render.tags(u.tags)),
            ]
        )
    return out


def _groups(repo: IamRepository, account: str) -> list[XmlChildren]:
    out: list[XmlChildren] = []
    for g in repo.list_groups(account):
        held = repo.inline_policies(account, Kind.GROUP, g.name)
        attached = repo.attached(account, Kind.GROUP, g.name)
        out.append(
            [
                *render.group(g),
                ("GroupPolicyList", render.inline(held)),
                ("AttachedManagedPolicies", render.attached(attached)),
            ]
        )
    return out


def _roles(repo: IamRepository, account: str) -> list[XmlChildren]:
    out: list[XmlChildren] = []
    for r in repo.list_roles(account):
        held = repo.inline_policies(account, Kind.ROLE, r.name)
        out.append(
            [
                *render.role_core(r),
                ("InstanceProfileList", []),
                ("RolePolicyList", render.inline(held)),
                (
                    "AttachedManagedPolicies",
                    render.attached(repo.attached(account, Kind.ROLE, r.name)),
                ),
                ("Tags", render.tags(r.tags)),
            ]
        )
    return out


def _policies(repo: IamRepository, account: str, local: bool, aws: bool) -> list[XmlChildren]:
    """The account's own managed policies (`local`), the AWS managed ones it has attached
    (`aws`), by name."""
    chosen: list[ManagedPolicy] = repo.list_managed(account) if local else []
    if aws:
        chosen += [x for x in AWS_MANAGED.values() if repo.attachment_count(account, x.arn)]
    out: list[XmlChildren] = []
    for x in sorted(chosen, key=lambda x: x.name.lower()):
        detail = render.policy(x, repo.attachment_count(account, x.arn), with_tags=False)
        out.append([*detail, ("PolicyVersionList", render.members([render.version(x)]))])
    return out


def get_account_authorization_details(services: Services, req: OpRequest, p: Params) -> Parsed:
    """GetAccountAuthorizationDetails, filtered by entity type, a page at a time."""
    filters = p.members("Filter")
    for value in filters:
        if problem := ENTITY_TYPE.problem(value):
            raise errors.ValidationError(
                f"1 validation error detected: Value '[{', '.join(filters)}]' at 'filter' failed "
                f"to satisfy constraint: Member must satisfy constraint: [{problem}]"
            )

    def act() -> XmlChildren | None:
        repo = services.identities.repo
        account = req.principal.account_id
        wanted = set(filters) or {"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"}
        entries: list[tuple[str, XmlChildren]] = []
        if "User" in wanted:
            entries += [("UserDetailList", e) for e in _users(repo, account)]
        if "Group" in wanted:
            entries += [("GroupDetailList", e) for e in _groups(repo, account)]
        if "Role" in wanted:
            entries += [("RoleDetailList", e) for e in _roles(repo, account)]
        local, aws = "LocalManagedPolicy" in wanted, "AWSManagedPolicy" in wanted
        entries += [("Policies", e) for e in _policies(repo, account, local, aws)]
        numbered = list(enumerate(entries))
        page, trailer = render.paginate(p, numbered, lambda item: f"{item[0]:08d}")
        result: list[tuple[str, XmlValue]] = []
        for section in _SECTIONS:
            result.append((section, render.members([e for _, (s, e) in page if s == section])))
        return [*result, *trailer]

    return "*", act
