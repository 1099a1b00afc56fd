"""IAM response elements (User, Group, Role, Policy…) and list pages, as IAM writes them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from mrap import errors
from mrap.api.iam.documents import encoded
from mrap.api.iam.params import MARKER, Params
from mrap.operation import XmlChildren, XmlValue
from mrap.store.iam_tables import (
    GroupRecord,
    InlinePolicy,
    KeyRecord,
    ManagedPolicy,
    RoleRecord,
    Tags,
    UserRecord,
)

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


def when(epoch: float) -> datetime:
    """A stored timestamp as the datetime the XML codec writes."""
    return datetime.fromtimestamp(epoch, UTC)


def members(items: Sequence[XmlValue]) -> XmlChildren:
    """A Query list: one `member` element per item."""
    return [("member", item) for item in items]


def tags(pairs: Tags) -> XmlValue:
    """A Tags list, left out when empty (as IAM does)."""
    if not pairs:
        return None
    return members([[("Key", k), ("Value", v)] for k, v in pairs])


def user_core(u: UserRecord) -> list[tuple[str, XmlValue]]:
    """What every view of a user shows: path, name, id, ARN, creation date."""
    return [
        ("Path", u.path),
        ("UserName", u.name),
        ("UserId", u.user_id),
        ("Arn", u.arn),
        ("CreateDate", when(u.created)),
    ]


def user(u: UserRecord) -> XmlChildren:
    """A `User` element's children."""
    return [*user_core(u), ("Tags", tags(u.tags))]


def group(g: GroupRecord) -> XmlChildren:
    """A `Group` element's children."""
    return [
        ("Path", g.path),
        ("GroupName", g.name),
        ("GroupId", g.group_id),
        ("Arn", g.arn),
        ("CreateDate", when(g.created)),
    ]


def role_core(r: RoleRecord) -> list[tuple[str, XmlValue]]:
    """What every view of a role shows, its trust policy included."""
    return [
        ("Path", r.path),
        ("RoleName", r.name),
        ("RoleId", r.role_id),
        ("Arn", r.arn),
        ("CreateDate", when(r.created)),
        ("AssumeRolePolicyDocument", encoded(r.trust_policy)),
    ]


def role(r: RoleRecord, *, full: bool = True) -> XmlChildren:
    """A `Role` element's children; `full` adds the tags GetRole/CreateRole show, lists don't."""
    children = [
        *role_core(r),
        ("Description", r.description or None),
        ("MaxSessionDuration", r.max_session_duration),
    ]
    if full:
        children.append(("Tags", tags(r.tags)))
    return children


def policy(p: ManagedPolicy, attachments: int, *, with_tags: bool = True) -> XmlChildren:
    """A `Policy` element's children (ManagedPolicyDetail has no tags)."""
    children: list[tuple[str, XmlValue]] = [
        ("PolicyName", p.name),
        ("PolicyId", p.policy_id),
        ("Arn", p.arn),
        ("Path", p.path),
        ("DefaultVersionId", p.version_id),
        ("AttachmentCount", attachments),
        ("PermissionsBoundaryUsageCount", 0),
        ("IsAttachable", True),
        ("Description", p.description or None),
        ("CreateDate", when(p.created)),
        ("UpdateDate", when(p.updated)),
    ]
    if with_tags:
        children.append(("Tags", tags(p.tags)))
    return children


def version(p: ManagedPolicy) -> XmlChildren:
    """The default (and only) `PolicyVersion` of a managed policy."""
    return [
        ("Document", encoded(p.document)),
        ("VersionId", p.version_id),
        ("IsDefaultVersion", True),
        ("CreateDate", when(p.updated)),
    ]


def attached(policies: Sequence[ManagedPolicy]) -> XmlChildren:
    """An AttachedPolicies / AttachedManagedPolicies list."""
    return members([[("PolicyName", p.name), ("PolicyArn", p.arn)] for p in policies])


def inline(policies: Sequence[InlinePolicy]) -> XmlChildren:
    """A UserPolicyList / GroupPolicyList / RolePolicyList."""
    return members(
        [[("PolicyName", p.name), ("PolicyDocument", encoded(p.document))] for p in policies]
    )


def key_metadata(k: KeyRecord, user_name: str | None) -> XmlChildren:
    """An `AccessKeyMetadata` member (never the secret)."""
    return [
        ("UserName", user_name),
        ("AccessKeyId", k.access_key_id),
        ("Status", "Active" if k.active else "Inactive"),
        ("CreateDate", when(k.created)),
    ]


def max_items(params: Params) -> int:
    """The page size a list operation was asked for (IAM's default is 100)."""
    value = params.integer("MaxItems", 1, 1000)
    return DEFAULT_MAX_ITEMS if value is None else value


def paginate(
    params: Params, items: Sequence[T], key: Callable[[T], str]
) -> tuple[list[T], list[tuple[str, XmlValue]]]:
    """One page of `items` (sorted by `key`) after `Marker`, and IsTruncated / Marker.

    Markers are opaque to clients: the key of the last item shown, base64-encoded.
    """
    size = max_items(params)
    marker = params.text("Marker", MARKER)
    params.check()
    start = 0
    if marker is not None:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise errors.InvalidInput("Invalid Marker.") from None
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    page = list(items[start : start + size])
    truncated = start + size < len(items)
    trailer: list[tuple[str, XmlValue]] = [("IsTruncated", truncated)]
    if truncated:
        token = base64.urlsafe_b64encode(key(page[-1]).encode()).decode()
        trailer.append(("Marker", token))
    return page, trailer
