"""IAM tables of the control database: users, groups, roles, policies and how they attach.

Names are unique per account without regard to case, as IAM enforces ("ADMIN" and "admin"
cannot both exist), so every name column compares with NOCASE. Access keys of users live in
the control store's `access_keys` table, with the user's ARN as `principal_arn`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

SCHEMA = """
CREATE TABLE IF NOT EXISTS iam_users (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    user_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS iam_groups (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    group_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS iam_roles (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    role_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    trust_policy TEXT NOT NULL,
    max_session_duration INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS iam_group_members (
    account_id TEXT NOT NULL,
    group_name TEXT NOT NULL COLLATE NOCASE,
    user_name TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (account_id, group_name, user_name)
);
CREATE INDEX IF NOT EXISTS iam_groups_of_user ON iam_group_members(account_id, user_name);
CREATE TABLE IF NOT EXISTS iam_inline_policies (
    account_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_name TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    document TEXT NOT NULL,
    PRIMARY KEY (account_id, owner_kind, owner_name, name)
);
CREATE TABLE IF NOT EXISTS iam_managed_policies (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    policy_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    document TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    UNIQUE (account_id, name)
);
CREATE TABLE IF NOT EXISTS iam_attachments (
    account_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_name TEXT NOT NULL COLLATE NOCASE,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (account_id, owner_kind, owner_name, policy_arn)
);
CREATE INDEX IF NOT EXISTS iam_attachments_by_policy ON iam_attachments(policy_arn);
"""

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class Kind(StrEnum):
    """The kinds of IAM identity that hold policies."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"

    @property
    def id_prefix(self) -> str:
        """The four letters AWS starts this kind's unique ids with."""
        return {"user": "AIDA", "group": "AGPA", "role": "AROA"}[self.value]


def new_unique_id(prefix: str) -> str:
    """A 21-character IAM unique id (`AIDA…`, `AROA…`, `AGPA…`, `ANPA…`)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """`arn:aws:iam::ACCT:{kind}{path}{name}`, e.g. `…:user/division/alice`."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


Tags = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UserRecord:
    """An IAM user."""

    account_id: str
    name: str
    user_id: str
    path: str
    created: float
    tags: Tags = ()

    @property
    def arn(self) -> str:
        """The user's ARN, with its path."""
        return iam_arn(self.account_id, "user", self.path, self.name)


@dataclass(frozen=True)
class GroupRecord:
    """An IAM group."""

    account_id: str
    name: str
    group_id: str
    path: str
    created: float

    @property
    def arn(self) -> str:
        """The group's ARN, with its path."""
        return iam_arn(self.account_id, "group", self.path, self.name)


@dataclass(frozen=True)
class RoleRecord:
    """An IAM role: who may assume it (the trust policy) and for how long."""

    arn: str
    role_id: str
    name: str
    path: str
    trust_policy: str
    max_session_duration: int
    account_id: str
    description: str = ""
    created: float = 0.0
    tags: Tags = ()


@dataclass(frozen=True)
class ManagedPolicy:
    """A managed policy: one of the account's own, or an AWS managed one (account "aws")."""

    arn: str
    account_id: str
    name: str
    policy_id: str
    path: str
    description: str
    document: str
    created: float
    updated: float
    version_id: str = "v1"
    tags: Tags = ()

    @property
    def aws_managed(self) -> bool:
        """True for the policies AWS maintains (`arn:aws:iam::aws:policy/…`)."""
        return self.account_id == "aws"


@dataclass(frozen=True)
class InlinePolicy:
    """An inline policy embedded in a user, group or role."""

    name: str
    document: str


@dataclass(frozen=True)
class KeyRecord:
    """An access key's metadata, as ListAccessKeys shows it (never the secret)."""

    access_key_id: str
    principal_arn: str
    active: bool
    created: float
