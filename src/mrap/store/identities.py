"""Who a principal is and which identity policies apply to it: the seam the request path uses.

READY: `IdentityStore.identity()` and `IdentityStore.get_role()` are implemented and stable.

`identity(principal_arn)` runs for every authenticated request, so its answers are cached in
memory. The cache is dropped whenever identity data may have changed: after this process's own
IAM writes (the repository's `version`) and after any commit by another connection to the
database, which SQLite reports through `PRAGMA data_version` — gateway workers share the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mrap.store.control import ControlStore
from mrap.store.iam_repo import IamRepository
from mrap.store.iam_tables import Kind, ManagedPolicy, RoleRecord

__all__ = ["Identity", "IdentityStore", "RoleRecord"]

_IAM_ARN = re.compile(r"arn:aws:iam::(\d{12}):(user|role)(/.+)")
_CACHE_LIMIT = 10_000  # principals remembered at once; beyond that the cache starts over


@dataclass(frozen=True)
class Identity:
    """A principal and the text of every identity policy in effect for it.

    `kind` is "root", "user" or "assumed-role"; `unique_id` is the user's or role's id
    (the canonical user id for a root); `session` names a role session. The policies are
    stored text: `mrap.authz.identity` compiles them for the policy engine.
    """

    kind: str
    account: str
    name: str = ""
    unique_id: str = ""
    path: str = "/"
    session: str = ""
    documents: tuple[str, ...] = ()


class IdentityStore:
    """IAM identities of every account, over the control store's database."""

    def __init__(self, control: ControlStore) -> None:
        conn, lock = control.shared_connection()
        self._control = control
        self.repo = IamRepository(conn, lock)
        self._cache: dict[str, Identity | None] = {}
        self._seen = (-1, -1)

    def identity(self, principal_arn: str) -> Identity | None:
        """Who a principal is and its identity policies; None when it no longer exists.

        Root ARNs (`arn:aws:iam::ACCT:root`) have no policies; user ARNs carry their own,
        their managed ones and their groups'; assumed-role ARNs
        (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`) carry the role's.
        """
        state = (self.repo.data_version(), self.repo.version)
        if state != self._seen:
            self._cache.clear()
            self._seen = state
        try:
            return self._cache[principal_arn]
        except KeyError:
            pass
        found = self._resolve(principal_arn)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[principal_arn] = found
        return found

    def iam_principal_exists(self, kind: str, value: str) -> bool:
        """For policy validation: False for an IAM user or role ARN that names nobody.

        AWS resolves such ARNs to the principal's unique id when a policy is stored, and
        refuses those it cannot resolve; other principal forms are not checked here.
        """
        found = _IAM_ARN.fullmatch(value) if kind == "AWS" else None
        if found is None:
            return True
        account, what, name = found.group(1), found.group(2), found.group(3).rsplit("/", 1)[1]
        record = (self.repo.get_user if what == "user" else self.repo.get_role)(account, name)
        return record is not None and record.arn == value

    def get_role(self, account_id: str, name: str) -> RoleRecord | None:
        """A role of an account by name (IAM names compare without case)."""
        return self.repo.get_role(account_id, name)

    def _resolve(self, arn: str) -> Identity | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[1] != "aws":
            return None
        service, account, resource = parts[2], parts[4], parts[5]
        if service == "iam" and resource == "root":
            found = self._control.get_account(account)
            return Identity("root", account, unique_id=found.canonical_id) if found else None
        if service == "iam" and resource.startswith("user/"):
            return self._user(account, arn, resource)
        if service == "sts" and resource.startswith("assumed-role/"):
            role_name, _, session = resource[len("assumed-role/") :].partition("/")
            return self._role_session(account, role_name, session)
        return None

    def _user(self, account: str, arn: str, resource: str) -> Identity | None:
        name = resource.rsplit("/", 1)[1]
        user = self.repo.get_user(account, name)
        if user is None or user.arn != arn:
            return None
        repo = self.repo
        documents = [p.document for p in repo.inline_policies(account, Kind.USER, user.name)]
        managed: dict[str, ManagedPolicy] = {
            p.arn: p for p in repo.attached(account, Kind.USER, user.name)
        }
        for group in repo.groups_of(account, user.name):
            documents += [p.document for p in repo.inline_policies(account, Kind.GROUP, group.name)]
            managed.update((p.arn, p) for p in repo.attached(account, Kind.GROUP, group.name))
        documents += [p.document for p in managed.values()]
        return Identity("user", account, user.name, user.user_id, user.path, "", tuple(documents))

    def _role_session(self, account: str, role_name: str, session: str) -> Identity | None:
        role = self.repo.get_role(account, role_name)
        if role is None or not session or role.name != role_name:
            return None
        repo = self.repo
        documents = [p.document for p in repo.inline_policies(account, Kind.ROLE, role.name)]
        documents += [p.document for p in repo.attached(account, Kind.ROLE, role.name)]
        return Identity(
            "assumed-role", account, role.name, role.role_id, role.path, session, tuple(documents)
        )
