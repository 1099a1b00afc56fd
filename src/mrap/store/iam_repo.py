"""Writes of the IAM tables, each in one transaction.

Every write takes the database's write lock first (BEGIN IMMEDIATE), checks what it must
(the entity exists, the name is free, a quota is not exceeded, nothing still depends on what
is deleted) and changes its rows; an error rolls everything back, so a refused request leaves
no partial state. The checks raise the IAM errors with the messages IAM sends.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mrap import errors
from mrap.db.sqlite import write_transaction
from mrap.store.iam_queries import (
    GROUP_COLUMNS,
    POLICY_COLUMNS,
    ROLE_COLUMNS,
    USER_COLUMNS,
    IamQueries,
)
from mrap.store.iam_tables import (
    SCHEMA,
    GroupRecord,
    InlinePolicy,
    KeyRecord,
    Kind,
    ManagedPolicy,
    RoleRecord,
    Tags,
    UserRecord,
    new_unique_id,
)


class IamRepository(IamQueries):
    """IAM users, groups, roles and policies of every account, in the control database."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        super().__init__(conn)
        self._lock = lock
        with lock:
            conn.executescript(SCHEMA)
        self.version = 0
        """Bumped after each commit of this process (other processes show in data_version)."""

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with write_transaction(self._conn, self._lock) as conn:
            yield conn
        self.version += 1

    # writes: identities

    def create_user(self, account_id: str, name: str, path: str, tags: Tags) -> UserRecord:
        """A new user; EntityAlreadyExists when the name is taken."""
        user = UserRecord(account_id, name, new_unique_id("AIDA"), path, time.time(), tags)
        with self._transaction() as conn:
            if self.get_user(account_id, name) is not None:
                raise errors.EntityAlreadyExists(f"User with name {name} already exists.")
            conn.execute(
                f"INSERT INTO iam_users({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (account_id, name, user.user_id, path, user.created, json.dumps(tags)),
            )
        return user

    def delete_user(self, account_id: str, name: str) -> None:
        """Delete a user that has no keys, policies or group memberships left."""
        with self._transaction() as conn:
            user = self.require_user(account_id, name)
            if self.keys_of(user.arn):
                raise errors.DeleteConflict("Cannot delete entity, must delete access keys first.")
            self._check_no_policies(account_id, Kind.USER, user.name)
            if self.groups_of(account_id, user.name):
                raise errors.DeleteConflict(
                    "Cannot delete entity, must remove users from group first."
                )
            conn.execute(
                "DELETE FROM iam_users WHERE account_id = ? AND name = ?", (account_id, name)
            )

    def create_group(self, account_id: str, name: str, path: str) -> GroupRecord:
        """A new group; EntityAlreadyExists when the name is taken."""
        group = GroupRecord(account_id, name, new_unique_id("AGPA"), path, time.time())
        with self._transaction() as conn:
            if self.get_group(account_id, name) is not None:
                raise errors.EntityAlreadyExists(f"Group with name {name} already exists.")
            conn.execute(
                f"INSERT INTO iam_groups({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (account_id, name, group.group_id, path, group.created),
            )
        return group

    def delete_group(self, account_id: str, name: str) -> None:
        """Delete a group that has no members or policies left."""
        with self._transaction() as conn:
            group = self.require_group(account_id, name)
            if self.members_of(account_id, group.name):
                raise errors.DeleteConflict(
                    "Cannot delete entity, must remove users from group first."
                )
            self._check_no_policies(account_id, Kind.GROUP, group.name)
            conn.execute(
                "DELETE FROM iam_groups WHERE account_id = ? AND name = ?", (account_id, name)
            )

    def add_member(self, account_id: str, group: str, user: str, limit: int) -> None:
        """Put a user in a group (again is a no-op); at most `limit` groups per user."""
        with self._transaction() as conn:
            g = self.require_group(account_id, group)
            u = self.require_user(account_id, user)
            groups = self.groups_of(account_id, u.name)
            if any(x.name == g.name for x in groups):
                return
            if len(groups) >= limit:
                raise errors.LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {limit}")
            conn.execute(
                "INSERT INTO iam_group_members(account_id, group_name, user_name) VALUES (?, ?, ?)",
                (account_id, g.name, u.name),
            )

    def remove_member(self, account_id: str, group: str, user: str) -> None:
        """Take a user out of a group; NoSuchEntity when it is not a member."""
        with self._transaction() as conn:
            g = self.require_group(account_id, group)
            u = self.require_user(account_id, user)
            gone = conn.execute(
                "DELETE FROM iam_group_members"
                " WHERE account_id = ? AND group_name = ? AND user_name = ?",
                (account_id, g.name, u.name),
            ).rowcount
            if not gone:
                raise errors.NoSuchEntity(
                    f"The user with name {u.name} cannot be found in group {g.name}."
                )

    def create_role(self, role: RoleRecord) -> None:
        """Store a new role; EntityAlreadyExists when the name is taken."""
        with self._transaction() as conn:
            if self.get_role(role.account_id, role.name) is not None:
                raise errors.EntityAlreadyExists(f"Role with name {role.name} already exists.")
            conn.execute(
                f"INSERT INTO iam_roles({ROLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    role.account_id,
                    role.name,
                    role.role_id,
                    role.path,
                    role.trust_policy,
                    role.max_session_duration,
                    role.description,
                    role.created,
                    json.dumps(role.tags),
                ),
            )

    def delete_role(self, account_id: str, name: str) -> None:
        """Delete a role that has no policies left."""
        with self._transaction() as conn:
            role = self.require_role(account_id, name)
            self._check_no_policies(account_id, Kind.ROLE, role.name)
            conn.execute(
                "DELETE FROM iam_roles WHERE account_id = ? AND name = ?", (account_id, name)
            )

    def _check_no_policies(self, account_id: str, kind: Kind, owner: str) -> None:
        if self.inline_policies(account_id, kind, owner):
            raise errors.DeleteConflict("Cannot delete entity, must delete policies first.")
        if self.attached(account_id, kind, owner):
            raise errors.DeleteConflict("Cannot delete entity, must detach all policies first.")

    # writes: policies

    def put_inline(
        self,
        account_id: str,
        kind: Kind,
        owner: str,
        policy: InlinePolicy,
        max_chars: int,
        size: Callable[[str], int],
    ) -> None:
        """Create or replace an inline policy; LimitExceeded when the owner's inline policies
        together would exceed `max_chars` as IAM counts them (`size` of each document)."""
        with self._transaction() as conn:
            stored = self.owner_name(account_id, kind, owner)
            others = [
                p
                for p in self.inline_policies(account_id, kind, stored)
                if p.name.lower() != policy.name.lower()
            ]
            total = sum(size(p.document) for p in [*others, policy])
            if total > max_chars:
                raise errors.LimitExceeded(
                    f"Maximum policy size of {max_chars} bytes exceeded for {kind.value} {stored}"
                )
            conn.execute(
                "DELETE FROM iam_inline_policies"
                " WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?",
                (account_id, kind.value, stored, policy.name),
            )
            conn.execute(
                "INSERT INTO iam_inline_policies(account_id, owner_kind, owner_name, name,"
                " document) VALUES (?, ?, ?, ?, ?)",
                (account_id, kind.value, stored, policy.name, policy.document),
            )

    def delete_inline(self, account_id: str, kind: Kind, owner: str, name: str) -> None:
        """Delete an inline policy, or NoSuchEntity."""
        with self._transaction() as conn:
            stored = self.owner_name(account_id, kind, owner)
            gone = conn.execute(
                "DELETE FROM iam_inline_policies"
                " WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?",
                (account_id, kind.value, stored, name),
            ).rowcount
            if not gone:
                raise errors.NoSuchEntity(
                    f"The {kind.value} policy with name {name} cannot be found."
                )

    def create_managed(self, policy: ManagedPolicy) -> None:
        """Store a new customer managed policy; EntityAlreadyExists when the name is taken."""
        with self._transaction() as conn:
            taken = conn.execute(
                "SELECT 1 FROM iam_managed_policies WHERE account_id = ? AND name = ?",
                (policy.account_id, policy.name),
            ).fetchone()
            if taken:
                raise errors.EntityAlreadyExists(
                    f"A policy called {policy.name} already exists. Duplicate names are not "
                    "allowed."
                )
            conn.execute(
                f"INSERT INTO iam_managed_policies({POLICY_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    policy.arn,
                    policy.account_id,
                    policy.name,
                    policy.policy_id,
                    policy.path,
                    policy.description,
                    policy.document,
                    policy.created,
                    json.dumps(policy.tags),
                ),
            )

    def delete_managed(self, account_id: str, arn: str) -> None:
        """Delete a customer managed policy of the account that is attached nowhere."""
        with self._transaction() as conn:
            policy = self.get_managed(arn)
            if policy is None or policy.account_id != account_id:
                raise errors.NoSuchEntity(f"Policy {arn} was not found.")
            if self.attachment_count(account_id, arn):
                raise errors.DeleteConflict("Cannot delete a policy attached to entities.")
            conn.execute("DELETE FROM iam_managed_policies WHERE arn = ?", (arn,))

    def attach(self, account_id: str, kind: Kind, owner: str, arn: str, limit: int) -> None:
        """Attach a managed policy (again is a no-op); at most `limit` per user/group/role."""
        with self._transaction() as conn:
            stored = self.owner_name(account_id, kind, owner)
            policy = self.get_managed(arn)
            if policy is None or policy.account_id not in (account_id, "aws"):
                raise errors.NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
            present = self.attached(account_id, kind, stored)
            if any(p.arn == arn for p in present):
                return
            if len(present) >= limit:
                quota = f"PoliciesPer{kind.value.capitalize()}"
                raise errors.LimitExceeded(f"Cannot exceed quota for {quota}: {limit}")
            conn.execute(
                "INSERT INTO iam_attachments(account_id, owner_kind, owner_name, policy_arn)"
                " VALUES (?, ?, ?, ?)",
                (account_id, kind.value, stored, arn),
            )

    def detach(self, account_id: str, kind: Kind, owner: str, arn: str) -> None:
        """Detach a managed policy; NoSuchEntity when it is not attached."""
        with self._transaction() as conn:
            stored = self.owner_name(account_id, kind, owner)
            gone = conn.execute(
                "DELETE FROM iam_attachments"
                " WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND policy_arn = ?",
                (account_id, kind.value, stored, arn),
            ).rowcount
            if not gone:
                raise errors.NoSuchEntity(f"Policy {arn} was not found.")

    # writes: access keys

    def create_key(
        self, account_id: str, principal_arn: str, key_id: str, secret: str, limit: int
    ) -> KeyRecord:
        """A new active key for a principal that has fewer than `limit`; LimitExceeded else."""
        created = time.time()
        with self._transaction() as conn:
            if len(self.keys_of(principal_arn)) >= limit:
                raise errors.LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {limit}")
            conn.execute(
                "INSERT INTO access_keys(access_key_id, secret, account_id, principal_arn,"
                " created) VALUES (?, ?, ?, ?, ?)",
                (key_id, secret, account_id, principal_arn, created),
            )
        return KeyRecord(key_id, principal_arn, True, created)
