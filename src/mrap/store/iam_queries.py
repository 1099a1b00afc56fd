"""Reads of the IAM tables: users, groups, roles, policies and access key metadata.

Names compare without case (the columns are NOCASE); lookups that must find something raise
`NoSuchEntity` with IAM's message.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mrap import errors
from mrap.store.aws_policies import AWS_MANAGED
from mrap.store.iam_tables import (
    GroupRecord,
    InlinePolicy,
    KeyRecord,
    Kind,
    ManagedPolicy,
    RoleRecord,
    Tags,
    UserRecord,
    iam_arn,
)

USER_COLUMNS = "account_id, name, user_id, path, created, tags"
GROUP_COLUMNS = "account_id, name, group_id, path, created"
ROLE_COLUMNS = (
    "account_id, name, role_id, path, trust_policy, max_session_duration, description, "
    "created, tags"
)
POLICY_COLUMNS = "arn, account_id, name, policy_id, path, description, document, created, tags"


def _user(row: tuple[Any, ...]) -> UserRecord:
    acct, name, uid, path, created, tags = row
    return UserRecord(acct, name, uid, path, created, _tags(tags))


def _group(row: tuple[Any, ...]) -> GroupRecord:
    return GroupRecord(*row)


def _role(row: tuple[Any, ...]) -> RoleRecord:
    acct, name, rid, path, trust, duration, description, created, tags = row
    return RoleRecord(
        arn=iam_arn(acct, "role", path, name),
        role_id=rid,
        name=name,
        path=path,
        trust_policy=trust,
        max_session_duration=duration,
        account_id=acct,
        description=description,
        created=created,
        tags=_tags(tags),
    )


def _policy(row: tuple[Any, ...]) -> ManagedPolicy:
    arn, acct, name, pid, path, description, document, created, tags = row
    return ManagedPolicy(
        arn, acct, name, pid, path, description, document, created, created, "v1", _tags(tags)
    )


def _tags(text: str) -> Tags:
    return tuple((k, v) for k, v in json.loads(text))


def not_found(kind: Kind, name: str) -> errors.S3Error:
    return errors.NoSuchEntity(f"The {kind.value} with name {name} cannot be found.")


class IamQueries:
    """Read access to the IAM tables; `IamRepository` adds the writes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def data_version(self) -> int:
        """SQLite's counter of commits made by other connections to the database."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    # reads

    def account_created(self, account_id: str) -> float | None:
        """When an account was created (its root user's CreateDate), or None."""
        row = self._conn.execute(
            "SELECT created FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return float(row[0]) if row else None

    def get_user(self, account_id: str, name: str) -> UserRecord | None:
        """A user by name (names compare without case)."""
        row = self._conn.execute(
            f"SELECT {USER_COLUMNS} FROM iam_users WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        return _user(row) if row else None

    def require_user(self, account_id: str, name: str) -> UserRecord:
        """A user by name, or NoSuchEntity."""
        user = self.get_user(account_id, name)
        if user is None:
            raise not_found(Kind.USER, name)
        return user

    def list_users(self, account_id: str, prefix: str = "/") -> list[UserRecord]:
        """An account's users whose path starts with `prefix`, by name."""
        rows = self._conn.execute(
            f"SELECT {USER_COLUMNS} FROM iam_users WHERE account_id = ? AND substr(path, 1, ?) = ?"
            " ORDER BY name",
            (account_id, len(prefix), prefix),
        ).fetchall()
        return [_user(r) for r in rows]

    def get_group(self, account_id: str, name: str) -> GroupRecord | None:
        """A group by name."""
        row = self._conn.execute(
            f"SELECT {GROUP_COLUMNS} FROM iam_groups WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        return _group(row) if row else None

    def require_group(self, account_id: str, name: str) -> GroupRecord:
        """A group by name, or NoSuchEntity."""
        group = self.get_group(account_id, name)
        if group is None:
            raise not_found(Kind.GROUP, name)
        return group

    def list_groups(self, account_id: str, prefix: str = "/") -> list[GroupRecord]:
        """An account's groups whose path starts with `prefix`, by name."""
        rows = self._conn.execute(
            f"SELECT {GROUP_COLUMNS} FROM iam_groups"
            " WHERE account_id = ? AND substr(path, 1, ?) = ? ORDER BY name",
            (account_id, len(prefix), prefix),
        ).fetchall()
        return [_group(r) for r in rows]

    def groups_of(self, account_id: str, user: str) -> list[GroupRecord]:
        """The groups a user belongs to, by name."""
        rows = self._conn.execute(
            f"SELECT {', '.join('g.' + c for c in GROUP_COLUMNS.split(', '))} FROM iam_groups g"
            " JOIN iam_group_members m ON m.account_id = g.account_id AND m.group_name = g.name"
            " WHERE g.account_id = ? AND m.user_name = ? ORDER BY g.name",
            (account_id, user),
        ).fetchall()
        return [_group(r) for r in rows]

    def members_of(self, account_id: str, group: str) -> list[UserRecord]:
        """The users of a group, by name."""
        rows = self._conn.execute(
            f"SELECT {', '.join('u.' + c for c in USER_COLUMNS.split(', '))} FROM iam_users u"
            " JOIN iam_group_members m ON m.account_id = u.account_id AND m.user_name = u.name"
            " WHERE u.account_id = ? AND m.group_name = ? ORDER BY u.name",
            (account_id, group),
        ).fetchall()
        return [_user(r) for r in rows]

    def get_role(self, account_id: str, name: str) -> RoleRecord | None:
        """A role by name."""
        row = self._conn.execute(
            f"SELECT {ROLE_COLUMNS} FROM iam_roles WHERE account_id = ? AND name = ?",
            (account_id, name),
        ).fetchone()
        return _role(row) if row else None

    def require_role(self, account_id: str, name: str) -> RoleRecord:
        """A role by name, or NoSuchEntity."""
        role = self.get_role(account_id, name)
        if role is None:
            raise not_found(Kind.ROLE, name)
        return role

    def list_roles(self, account_id: str, prefix: str = "/") -> list[RoleRecord]:
        """An account's roles whose path starts with `prefix`, by name."""
        rows = self._conn.execute(
            f"SELECT {ROLE_COLUMNS} FROM iam_roles WHERE account_id = ? AND substr(path, 1, ?) = ?"
            " ORDER BY name",
            (account_id, len(prefix), prefix),
        ).fetchall()
        return [_role(r) for r in rows]

    def inline_policies(self, account_id: str, kind: Kind, owner: str) -> list[InlinePolicy]:
        """The inline policies of a user, group or role, by name."""
        rows = self._conn.execute(
            "SELECT name, document FROM iam_inline_policies"
            " WHERE account_id = ? AND owner_kind = ? AND owner_name = ? ORDER BY name",
            (account_id, kind.value, owner),
        ).fetchall()
        return [InlinePolicy(r[0], r[1]) for r in rows]

    def get_managed(self, arn: str) -> ManagedPolicy | None:
        """A managed policy by ARN: an AWS managed one or an account's own."""
        found = AWS_MANAGED.get(arn)
        if found is not None:
            return found
        row = self._conn.execute(
            f"SELECT {POLICY_COLUMNS} FROM iam_managed_policies WHERE arn = ?", (arn,)
        ).fetchone()
        return _policy(row) if row else None

    def list_managed(self, account_id: str) -> list[ManagedPolicy]:
        """An account's own managed policies, by name."""
        rows = self._conn.execute(
            f"SELECT {POLICY_COLUMNS} FROM iam_managed_policies WHERE account_id = ? ORDER BY name",
            (account_id,),
        ).fetchall()
        return [_policy(r) for r in rows]

    def attached(self, account_id: str, kind: Kind, owner: str) -> list[ManagedPolicy]:
        """The managed policies attached to a user, group or role, by name."""
        arns = [
            r[0]
            for r in self._conn.execute(
                "SELECT policy_arn FROM iam_attachments"
                " WHERE account_id = ? AND owner_kind = ? AND owner_name = ?",
                (account_id, kind.value, owner),
            )
        ]
        found = [p for p in map(self.get_managed, arns) if p is not None]
        return sorted(found, key=lambda p: p.name.lower())

    def attachment_count(self, account_id: str, arn: str) -> int:
        """How many users, groups and roles of the account a managed policy is attached to."""
        row = self._conn.execute(
            "SELECT count(*) FROM iam_attachments WHERE account_id = ? AND policy_arn = ?",
            (account_id, arn),
        ).fetchone()
        return int(row[0])

    def keys_of(self, principal_arn: str) -> list[KeyRecord]:
        """The access keys of a principal, oldest first."""
        rows = self._conn.execute(
            "SELECT access_key_id, principal_arn, status = 'Active', created FROM access_keys"
            " WHERE principal_arn = ? ORDER BY created",
            (principal_arn,),
        ).fetchall()
        return [KeyRecord(r[0], r[1], bool(r[2]), float(r[3])) for r in rows]

    def owner_name(self, account_id: str, kind: Kind, name: str) -> str:
        """The stored spelling of an existing owner's name, or NoSuchEntity."""
        if kind is Kind.USER:
            return self.require_user(account_id, name).name
        if kind is Kind.GROUP:
            return self.require_group(account_id, name).name
        return self.require_role(account_id, name).name

    def get_inline(self, account_id: str, kind: Kind, owner: str, name: str) -> InlinePolicy:
        """One inline policy, or NoSuchEntity (for the owner or the policy)."""
        stored = self.owner_name(account_id, kind, owner)
        row = self._conn.execute(
            "SELECT name, document FROM iam_inline_policies"
            " WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?",
            (account_id, kind.value, stored, name),
        ).fetchone()
        if row is None:
            raise errors.NoSuchEntity(f"The {kind.value} policy with name {name} cannot be found.")
        return InlinePolicy(row[0], row[1])
