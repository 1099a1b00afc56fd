"""IAM operations for the console's users, groups and roles pages.

Users, groups and roles share their policy operations (Put/Get/Delete/List{Kind}Policy,
Attach/Detach/ListAttached{Kind}Policies), so those take the kind: `User`, `Group` or `Role`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from mrap.console.calls import Calls

Kind = Literal["User", "Group", "Role"]
KINDS: dict[str, Kind] = {"users": "User", "groups": "Group", "roles": "Role"}
_VERSION = "2010-05-08"


@dataclass(frozen=True)
class Entity:
    """A user, group or role."""

    name: str
    arn: str
    created: str


@dataclass(frozen=True)
class AccessKey:
    """An access key's metadata (its secret is only ever in CreateAccessKey's answer)."""

    key_id: str
    status: str
    created: str


async def iam(api: Calls, action: str, **params: str) -> Element:
    """One IAM request, to the gateway's `iam.` host."""
    port = api.client.address.rpartition(":")[2]
    return await api.query(
        "iam",
        {"Action": action, "Version": _VERSION, **params},
        host=f"iam.{api.client.domain}:{port}",
    )


async def _pages(api: Calls, action: str, member: str, **params: str) -> list[Element]:
    """Every `member` element of a Marker-paged IAM list."""
    found: list[Element] = []
    marker = ""
    while True:
        root = await iam(api, action, **params, **({"Marker": marker} if marker else {}))
        found += root.iterfind(f".//{member}")
        marker = root.findtext(".//Marker") or ""
        if (root.findtext(".//IsTruncated") or "") != "true" or not marker:
            return found


async def list_entities(api: Calls, kind: Kind) -> list[Entity]:
    """ListUsers, ListGroups or ListRoles."""
    plural = f"{kind}s"
    members = await _pages(api, f"List{plural}", f"{plural}/member")
    return [
        Entity(
            m.findtext(f"{kind}Name") or "", m.findtext("Arn") or "", m.findtext("CreateDate") or ""
        )
        for m in members
    ]


async def get_entity(api: Calls, kind: Kind, name: str) -> Entity:
    """GetUser, GetGroup or GetRole."""
    root = await iam(api, f"Get{kind}", **{f"{kind}Name": name})
    found = root.find(f".//{kind}")
    assert found is not None
    return Entity(
        found.findtext(f"{kind}Name") or "",
        found.findtext("Arn") or "",
        found.findtext("CreateDate") or "",
    )


async def create_entity(api: Calls, kind: Kind, name: str, trust_policy: str = "") -> None:
    """CreateUser, CreateGroup or CreateRole (with its trust policy)."""
    extra = {"AssumeRolePolicyDocument": trust_policy} if kind == "Role" else {}
    await iam(api, f"Create{kind}", **{f"{kind}Name": name}, **extra)


async def delete_entity(api: Calls, kind: Kind, name: str) -> None:
    """DeleteUser, DeleteGroup or DeleteRole (IAM refuses while policies or keys remain)."""
    await iam(api, f"Delete{kind}", **{f"{kind}Name": name})


async def inline_policies(api: Calls, kind: Kind, name: str) -> list[tuple[str, str]]:
    """List{Kind}Policies, then Get{Kind}Policy of each: (name, JSON document)."""
    names = [
        m.text or ""
        for m in await _pages(
            api, f"List{kind}Policies", "PolicyNames/member", **{f"{kind}Name": name}
        )
    ]
    policies = []
    for policy in names:
        root = await iam(api, f"Get{kind}Policy", **{f"{kind}Name": name, "PolicyName": policy})
        policies.append((policy, unquote(root.findtext(".//PolicyDocument") or "")))
    return policies


async def put_inline_policy(api: Calls, kind: Kind, name: str, policy: str, document: str) -> None:
    """Put{Kind}Policy."""
    await iam(
        api,
        f"Put{kind}Policy",
        **{f"{kind}Name": name, "PolicyName": policy, "PolicyDocument": document},
    )


async def delete_inline_policy(api: Calls, kind: Kind, name: str, policy: str) -> None:
    """Delete{Kind}Policy."""
    await iam(api, f"Delete{kind}Policy", **{f"{kind}Name": name, "PolicyName": policy})


async def attached_policies(api: Calls, kind: Kind, name: str) -> list[tuple[str, str]]:
    """ListAttached{Kind}Policies: (name, ARN)."""
    members = await _pages(
        api, f"ListAttached{kind}Policies", "AttachedPolicies/member", **{f"{kind}Name": name}
    )
    return [(m.findtext("PolicyName") or "", m.findtext("PolicyArn") or "") for m in members]


async def attach_policy(api: Calls, kind: Kind, name: str, arn: str, attach: bool) -> None:
    """Attach{Kind}Policy or Detach{Kind}Policy."""
    action = f"{'Attach' if attach else 'Detach'}{kind}Policy"
    await iam(api, action, **{f"{kind}Name": name, "PolicyArn": arn})


async def managed_policies(api: Calls) -> list[tuple[str, str]]:
    """ListPolicies: (name, ARN) of the managed policies that can be attached."""
    members = await _pages(api, "ListPolicies", "Policies/member")
    return [(m.findtext("PolicyName") or "", m.findtext("Arn") or "") for m in members]


async def access_keys(api: Calls, user: str) -> list[AccessKey]:
    """ListAccessKeys."""
    members = await _pages(api, "ListAccessKeys", "AccessKeyMetadata/member", UserName=user)
    return [
        AccessKey(
            m.findtext("AccessKeyId") or "",
            m.findtext("Status") or "",
            m.findtext("CreateDate") or "",
        )
        for m in members
    ]


async def create_access_key(api: Calls, user: str) -> tuple[str, str]:
    """CreateAccessKey: (access key id, secret access key)."""
    root = await iam(api, "CreateAccessKey", UserName=user)
    return root.findtext(".//AccessKeyId") or "", root.findtext(".//SecretAccessKey") or ""


async def delete_access_key(api: Calls, user: str, key_id: str) -> None:
    """DeleteAccessKey."""
    await iam(api, "DeleteAccessKey", UserName=user, AccessKeyId=key_id)


async def groups_for_user(api: Calls, user: str) -> list[str]:
    """ListGroupsForUser."""
    members = await _pages(api, "ListGroupsForUser", "Groups/member", UserName=user)
    return [m.findtext("GroupName") or "" for m in members]


async def group_members(api: Calls, group: str) -> list[str]:
    """GetGroup's users."""
    members = await _pages(api, "GetGroup", "Users/member", GroupName=group)
    return [m.findtext("UserName") or "" for m in members]


async def set_membership(api: Calls, user: str, group: str, member: bool) -> None:
    """AddUserToGroup or RemoveUserFromGroup."""
    action = "AddUserToGroup" if member else "RemoveUserFromGroup"
    await iam(api, action, UserName=user, GroupName=group)
