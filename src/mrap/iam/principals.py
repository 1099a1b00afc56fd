"""The Principal / NotPrincipal element: parsing, validation and matching a caller.

An account id and `arn:aws:iam::ACCT:root` mean the same thing: the account, that is any
principal of that account (a delegation: the account's own policies decide which of its users
get the access). A user ARN names that user, a role ARN every session of the role, an
assumed-role ARN one session. Matching reports *how* a caller matched, because AWS treats a
grant to the account differently from a grant to the caller itself (see evaluate.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from mrap.iam.context import Caller, PrincipalType

_PARTITION = r"arn:aws(?:-cn|-us-gov)?"
_NAME = r"[\w+=,.@-]+"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT = re.compile(rf"^{_PARTITION}:iam::(\d{{12}}):root$")
_USER = re.compile(rf"^{_PARTITION}:iam::\d{{12}}:user/(?:{_NAME}/)*{_NAME}$")
_ROLE = re.compile(rf"^{_PARTITION}:iam::\d{{12}}:role/(?:{_NAME}/)*{_NAME}$")
_SESSION = re.compile(rf"^{_PARTITION}:sts::\d{{12}}:assumed-role/{_NAME}/{_NAME}$")
_FEDERATED_USER = re.compile(rf"^{_PARTITION}:sts::\d{{12}}:federated-user/{_NAME}$")
_CLOUDFRONT_OAI = re.compile(
    r"^arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity \w+$"
)
_SINGLE_PRINCIPALS = (_USER, _SESSION, _FEDERATED_USER, _CLOUDFRONT_OAI)
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?$")
_FEDERATED = re.compile(r"^[\w.:/-]+$")
_CANONICAL = re.compile(r"^[0-9a-f]{64}$")

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


class PrincipalError(ValueError):
    """A Principal element the grammar refuses; `reason` is shape, empty or invalid."""

    def __init__(self, reason: str, kind: str = "", value: str = "") -> None:
        self.reason = reason
        self.kind = kind
        self.value = value
        super().__init__(f"{reason}: {kind} {value}".strip())


class MatchKind(Enum):
    """How a caller matched a principal element."""

    NONE = 0
    ACCOUNT = 1  # through its account (a delegation to the account)
    DIRECT = 2  # by its own ARN, its role, its service, or by "*"


_NONE, _ACCOUNT, _DIRECT = MatchKind.NONE, MatchKind.ACCOUNT, MatchKind.DIRECT


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A parsed Principal (or NotPrincipal) element."""

    everyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]
    roles: frozenset[str]
    services: frozenset[str]
    federated: frozenset[str]
    canonical_users: frozenset[str]
    entries: tuple[tuple[str, str], ...]  # (type, value) as written, for messages and checks
    # Users, sessions, roles, services and providers in one set: one probe per caller id.
    direct: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        direct = self.arns | self.roles | self.services | self.federated
        object.__setattr__(self, "direct", direct)

    def match(self, caller: Caller) -> MatchKind:
        """How `caller` is designated by this element, if at all."""
        if self.everyone:
            return _DIRECT
        direct = self.direct
        for ident in caller.ids:  # its ARN, its role's ARN, its service, its provider
            if ident in direct:
                return _DIRECT
        if caller.account in self.accounts:
            # The root user is the account itself; anyone else matched by delegation.
            return _DIRECT if caller.type is PrincipalType.ACCOUNT else _ACCOUNT
        if caller.canonical_id and caller.canonical_id in self.canonical_users:
            return _ACCOUNT
        return _NONE

    def names(self, caller: Caller) -> bool:
        """Whether a NotPrincipal element exempts `caller`: only by naming the caller itself.

        The IAM User Guide's NotPrincipal examples list the user *and* its account, or the
        session, its role *and* its account, and say that all principals except that user (or
        that session) are denied: naming an account exempts only the account itself (its root
        user), and naming a role does not exempt its sessions.
        """
        if self.everyone:
            return True
        if caller.type is PrincipalType.ACCOUNT:
            return caller.account in self.accounts or caller.canonical_id in self.canonical_users
        if caller.type is PrincipalType.SERVICE:
            return caller.service in self.services
        return caller.arn in self.arns or (
            bool(caller.federated) and caller.federated in self.federated
        )


def _values(raw: Any, kind: str) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PrincipalError("invalid", kind, "")
    for item in items:
        if not isinstance(item, str):
            raise PrincipalError("shape", kind)
    return list(items)


def parse_principal(raw: Any, exists: Callable[[str, str], bool] | None = None) -> PrincipalSet:
    """Parse a Principal element: `"*"` or an object of AWS/Service/Federated/CanonicalUser.

    `exists(kind, value)` lets the caller refuse principals that are well formed but unknown
    (AWS refuses a policy naming a user that does not exist). Raises PrincipalError.
    """
    if raw == "*":
        return PrincipalSet(
            True, frozenset(), frozenset(), frozenset(), frozenset(), frozenset(),
            frozenset(), (("*", "*"),),
        )  # fmt: skip
    if isinstance(raw, str):
        raise PrincipalError("empty" if raw == "" else "shape")
    if not isinstance(raw, dict):
        raise PrincipalError("shape")
    if not raw:
        raise PrincipalError("empty")
    everyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    roles: set[str] = set()
    services: set[str] = set()
    federated: set[str] = set()
    canonical: set[str] = set()
    entries: list[tuple[str, str]] = []
    for kind, value in raw.items():
        if kind not in PRINCIPAL_TYPES:
            raise PrincipalError("invalid", kind, str(value))
        for v in _values(value, kind):
            entries.append((kind, v))
            if kind == "AWS":
                if v == "*":
                    everyone = True
                elif _ACCOUNT_ID.match(v):
                    accounts.add(v)
                elif m := _ROOT.match(v):
                    accounts.add(m.group(1))
                elif _ROLE.match(v):
                    roles.add(v)
                elif any(rx.match(v) for rx in _SINGLE_PRINCIPALS):
                    arns.add(v)
                else:
                    raise PrincipalError("invalid", kind, v)
            elif kind == "Service" and _SERVICE.match(v):
                services.add(v)
            elif kind == "Federated" and _FEDERATED.match(v):
                federated.add(v)
            elif kind == "CanonicalUser" and _CANONICAL.match(v):
                canonical.add(v)
            else:
                raise PrincipalError("invalid", kind, v)
            if exists is not None and v != "*" and not exists(kind, v):
                raise PrincipalError("invalid", kind, v)
    return PrincipalSet(
        everyone,
        frozenset(accounts),
        frozenset(arns),
        frozenset(roles),
        frozenset(services),
        frozenset(federated),
        frozenset(canonical),
        tuple(entries),
    )
