"""Access control lists as data: grants, canned ACLs, request headers and documents, storage.

An ACL names its owner (a canonical user id) and a list of grants. A canonical-user grantee
is kept with the 12-digit account it belongs to, so that evaluating a grant needs no lookup.
Nothing here reads requests or stores: `acl` applies these rules to operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from mrap import errors
from mrap.iam import is_public_acl
from mrap.iam.public import ALL_USERS, AUTHENTICATED_USERS
from mrap.operation import XmlValue

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
# The canonical user id S3 grants READ in the aws-exec-read canned ACL (Amazon EC2).
EC2_CANONICAL_ID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"

READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL = (
    "READ",
    "WRITE",
    "READ_ACP",
    "WRITE_ACP",
    "FULL_CONTROL",
)
PERMISSIONS = (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL)
CANNED = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
        "log-delivery-write",
    }
)
GRANT_HEADERS = {
    "x-amz-grant-read": READ,
    "x-amz-grant-write": WRITE,
    "x-amz-grant-read-acp": READ_ACP,
    "x-amz-grant-write-acp": WRITE_ACP,
    "x-amz-grant-full-control": FULL_CONTROL,
}
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}type"
_MAX_GRANTS = 100

CANONICAL_USER = "CanonicalUser"
GROUP = "Group"


@dataclass(frozen=True)
class Grant:
    """One grant: a canonical user (with its account, "" when unknown) or a group URI."""

    kind: str  # CANONICAL_USER or GROUP
    grantee: str  # canonical user id or group URI
    permission: str
    account: str = ""


@dataclass(frozen=True)
class Acl:
    """An access control list: its owner and grants, in the order they were given."""

    owner: str  # canonical user id
    owner_account: str
    grants: tuple[Grant, ...]

    @property
    def public(self) -> bool:
        """Whether S3 calls this ACL public (a grant to AllUsers or AuthenticatedUsers)."""
        return is_public_acl(g.grantee for g in self.grants if g.kind == GROUP)

    def dumps(self) -> str:
        """The ACL as stored."""
        grants = [[g.kind, g.grantee, g.permission, g.account] for g in self.grants]
        return json.dumps([self.owner, self.owner_account, grants], separators=(",", ":"))


@dataclass(frozen=True)
class Party:
    """An account as ACLs name it."""

    canonical_id: str
    account: str


def loads(text: str) -> Acl:
    """An ACL as `Acl.dumps` stored it."""
    owner, owner_account, grants = json.loads(text)
    return Acl(owner, owner_account, tuple(Grant(k, g, p, a) for k, g, p, a in grants))


def private(owner: Party) -> Acl:
    """The default ACL: the owner has full control."""
    return Acl(owner.canonical_id, owner.account, (_full(owner),))


def _full(party: Party) -> Grant:
    return Grant(CANONICAL_USER, party.canonical_id, FULL_CONTROL, party.account)


def canned(name: str, owner: Party, bucket_owner: Party) -> Acl:
    """The grants of a canned ACL for a resource of `owner` in a bucket of `bucket_owner`."""
    grants = [_full(owner)]
    if name in ("public-read", "public-read-write"):
        grants.append(Grant(GROUP, ALL_USERS, READ))
    if name == "public-read-write":
        grants.append(Grant(GROUP, ALL_USERS, WRITE))
    elif name == "authenticated-read":
        grants.append(Grant(GROUP, AUTHENTICATED_USERS, READ))
    elif name == "aws-exec-read":
        grants.append(Grant(CANONICAL_USER, EC2_CANONICAL_ID, READ))
    elif name == "log-delivery-write":
        grants += [Grant(GROUP, LOG_DELIVERY, WRITE), Grant(GROUP, LOG_DELIVERY, READ_ACP)]
    elif (
        name in ("bucket-owner-read", "bucket-owner-full-control")
        and bucket_owner.canonical_id != owner.canonical_id
    ):
        # S3 adds the bucket owner's grant only when someone else owns the object.
        permission = READ if name == "bucket-owner-read" else FULL_CONTROL
        grants.append(
            Grant(CANONICAL_USER, bucket_owner.canonical_id, permission, bucket_owner.account)
        )
    return Acl(owner.canonical_id, owner.account, tuple(grants))


def only_full_control_of(acl: Acl, party: Party) -> bool:
    """Whether the ACL grants nothing but full control to `party` (what ACLs-disabled accept)."""
    return bool(acl.grants) and all(
        g.kind == CANONICAL_USER
        and g.grantee == party.canonical_id
        and g.permission == FULL_CONTROL
        for g in acl.grants
    )


# Reading an ACL from a request

Resolver = Callable[[str], str | None]
"""Canonical user id → its account id, None when no account has it."""


@dataclass(frozen=True)
class AclRequest:
    """The ACL a request carries: a canned name, header grants, or neither."""

    canned: str | None
    grants: tuple[Grant, ...]

    @property
    def present(self) -> bool:
        """Whether the request names an ACL at all."""
        return self.canned is not None or bool(self.grants)

    def acl(self, owner: Party, bucket_owner: Party) -> Acl:
        """The ACL this request sets on a resource of `owner` (private when it names none)."""
        if self.canned is not None:
            return canned(self.canned, owner, bucket_owner)
        if self.grants:
            return Acl(owner.canonical_id, owner.account, self.grants)
        return private(owner)


def from_headers(
    headers: Mapping[str, str], resolve: Resolver, *, grant_write: bool = True
) -> AclRequest:
    """The `x-amz-acl` or `x-amz-grant-*` headers of a request, checked.

    `grant_write`: whether `x-amz-grant-write` applies (buckets; objects have no WRITE).
    """
    name = headers.get("x-amz-acl")
    grants: list[Grant] = []
    for header, permission in GRANT_HEADERS.items():
        if header == "x-amz-grant-write" and not grant_write:
            continue
        value = headers.get(header)
        if value is not None:
            grants += _header_grants(header, value, permission, resolve)
    if name is not None:
        if grants:
            raise errors.InvalidRequest(
                "Specifying both Canned ACLs and Header Grants is not allowed"
            )
        if name not in CANNED:
            raise errors.InvalidArgument(ArgumentName="x-amz-acl", ArgumentValue=name)
    if len(grants) > _MAX_GRANTS:
        raise errors.InvalidArgument("Too many grants", ArgumentName="x-amz-grant")
    return AclRequest(name, tuple(grants))


def _header_grants(header: str, value: str, permission: str, resolve: Resolver) -> list[Grant]:
    grants = []
    for item in value.split(","):
        kind, sep, raw = item.strip().partition("=")
        grantee = raw.strip().strip('"')
        if not sep or not grantee:
            raise errors.InvalidArgument(ArgumentName=header, ArgumentValue=value)
        grants.append(_grantee(kind.strip(), grantee, permission, resolve, header))
    return grants


def _grantee(kind: str, value: str, permission: str, resolve: Resolver, where: str) -> Grant:
    if kind == "id":
        account = resolve(value)
        if account is None:
            raise errors.InvalidArgument(
                "Invalid id", ArgumentName="CanonicalUser/ID", ArgumentValue=value
            )
        return Grant(CANONICAL_USER, value, permission, account)
    if kind == "uri":
        if value not in GROUPS:
            raise errors.InvalidArgument(
                "Invalid group uri", ArgumentName="Group/URI", ArgumentValue=value
            )
        return Grant(GROUP, value, permission)
    if kind == "emailAddress":
        # S3 stopped accepting email grantees in October 2025 and answers 405.
        raise errors.MethodNotAllowed(
            "Email grantee access control lists are no longer supported",
            Method="PUT",
            ResourceType="ACL",
        )
    raise errors.InvalidArgument(ArgumentName=where, ArgumentValue=kind)


def from_document(doc: Element | None, resolve: Resolver) -> tuple[str, tuple[Grant, ...]]:
    """The owner id and grants of an `AccessControlPolicy` document; MalformedACLError
    for anything S3's schema refuses."""
    if doc is None or doc.tag != "AccessControlPolicy":
        raise errors.MalformedACLError()
    owner = (doc.findtext("Owner/ID") or "").strip()
    if not owner:
        raise errors.MalformedACLError()
    grants: list[Grant] = []
    for element in doc.findall("AccessControlList/Grant"):
        grantee = element.find("Grantee")
        permission = (element.findtext("Permission") or "").strip()
        if grantee is None or permission not in PERMISSIONS:
            raise errors.MalformedACLError()
        grants.append(_document_grantee(grantee, permission, resolve))
    if len(grants) > _MAX_GRANTS:
        raise errors.MalformedACLError()
    return owner, tuple(grants)


def _document_grantee(grantee: Element, permission: str, resolve: Resolver) -> Grant:
    kind = grantee.get(_XSI, "")
    if kind == CANONICAL_USER:
        value, short = grantee.findtext("ID"), "id"
    elif kind == GROUP:
        value, short = grantee.findtext("URI"), "uri"
    elif kind == "AmazonCustomerByEmail":
        value, short = grantee.findtext("EmailAddress"), "emailAddress"
    else:
        raise errors.MalformedACLError()
    if not value or not value.strip():
        raise errors.MalformedACLError()
    return _grantee(short, value.strip(), permission, resolve, "Grantee")


# Rendering


def _party(canonical_id: str, account: str) -> list[tuple[str, XmlValue]]:
    return [("ID", canonical_id), ("DisplayName", account or None)]


def policy_children(acl: Acl) -> list[tuple[str, XmlValue]]:
    """The children of an `AccessControlPolicy` response document."""
    grants: list[tuple[str, XmlValue]] = []
    for g in acl.grants:
        if g.kind == GROUP:
            who: list[tuple[str, XmlValue]] = [("URI", g.grantee)]
            tag = 'Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"'
        else:
            who = _party(g.grantee, g.account)
            tag = (
                'Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
                ' xsi:type="CanonicalUser"'
            )
        grants.append(("Grant", [(tag, who), ("Permission", g.permission)]))
    return [("Owner", _party(acl.owner, acl.owner_account)), ("AccessControlList", grants)]
