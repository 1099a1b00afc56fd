"""Who asks, for what, on which resource: the request context the engine evaluates.

`Caller` describes the authenticated principal (or the anonymous one) with the fields the
policy language can see; `RequestContext` adds the action, the resource ARN, the owner of the
resource and the condition keys. Keys are case-insensitive in AWS; the lower-cased lookup table
is built lazily, only when a condition or a policy variable actually asks for a key, so that
requests under simple policies never pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from mrap.iam.variables import ContextValue


class PrincipalType(StrEnum):
    """Values of `aws:PrincipalType`."""

    ACCOUNT = "Account"  # the account root user
    USER = "User"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    ANONYMOUS = "Anonymous"
    SERVICE = "Service"  # an AWS service principal (replication, logging…)


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal making the request, as policies see it."""

    type: PrincipalType
    account: str = ""
    arn: str = ""
    user_id: str = ""
    username: str = ""
    role_arn: str = ""  # for an assumed-role session: the IAM ARN of the role (with its path)
    service: str = ""  # for a service principal: e.g. "s3.amazonaws.com"
    canonical_id: str = ""  # the account's S3 canonical user id, when known
    federated: str = ""  # for web-identity / SAML sessions: the identity provider
    # Derived once, because a Caller is typically cached per access key and asked many times.
    ids: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    # Everything principal matching depends on, as one hashable key (see PolicyDocument).
    match_key: tuple[object, ...] = field(init=False, repr=False, compare=False, default=())
    _keys: dict[str, ContextValue] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        ids = tuple(x for x in (self.arn, self.role_arn, self.service, self.federated) if x)
        object.__setattr__(self, "ids", ids)
        key = (ids, self.account, self.type is PrincipalType.ACCOUNT, self.canonical_id)
        object.__setattr__(self, "match_key", key)
        object.__setattr__(self, "_keys", self._derive_keys())

    @staticmethod
    def root(account: str, canonical_id: str = "") -> Caller:
        """The root user of `account`."""
        return Caller(
            PrincipalType.ACCOUNT,
            account,
            f"arn:aws:iam::{account}:root",
            user_id=account,
            canonical_id=canonical_id,
        )

    @staticmethod
    def user(account: str, name: str, user_id: str, path: str = "/") -> Caller:
        """An IAM user; `path` is the user's IAM path ("/" or "/division/")."""
        return Caller(
            PrincipalType.USER,
            account,
            f"arn:aws:iam::{account}:user{path}{name}",
            user_id=user_id,
            username=name,
        )

    @staticmethod
    def assumed_role(
        account: str, role: str, session: str, role_id: str, path: str = "/"
    ) -> Caller:
        """A session of role `role` (AssumeRole), named `session`."""
        return Caller(
            PrincipalType.ASSUMED_ROLE,
            account,
            f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            user_id=f"{role_id}:{session}",
            role_arn=f"arn:aws:iam::{account}:role{path}{role}",
        )

    @staticmethod
    def federated_user(account: str, name: str) -> Caller:
        """A GetFederationToken session."""
        return Caller(
            PrincipalType.FEDERATED_USER,
            account,
            f"arn:aws:sts::{account}:federated-user/{name}",
            user_id=f"{account}:{name}",
        )

    @staticmethod
    def anonymous() -> Caller:
        """A request without credentials."""
        return Caller(PrincipalType.ANONYMOUS)

    @staticmethod
    def aws_service(service: str) -> Caller:
        """An AWS service principal acting on its own behalf."""
        return Caller(PrincipalType.SERVICE, service=service)

    @property
    def is_anonymous(self) -> bool:
        """True for requests without credentials."""
        return self.type is PrincipalType.ANONYMOUS

    @property
    def is_root(self) -> bool:
        """True for an account's root user."""
        return self.type is PrincipalType.ACCOUNT

    def context_keys(self) -> dict[str, ContextValue]:
        """The global keys AWS derives from the principal (lower-case names); a fresh dict."""
        return dict(self._keys)

    def _derive_keys(self) -> dict[str, ContextValue]:
        keys: dict[str, ContextValue] = {"aws:principaltype": self.type.value}
        if self.account:
            keys["aws:principalaccount"] = self.account
        # For a role session aws:PrincipalArn is the role, not the session (AWS documents this).
        principal_arn = self.role_arn or self.arn
        if principal_arn:
            keys["aws:principalarn"] = principal_arn
        if self.user_id:
            keys["aws:userid"] = self.user_id
        if self.username:
            keys["aws:username"] = self.username
        if self.service:
            keys["aws:principalservicename"] = self.service
        return keys


_INDEXES: dict[tuple[str, ...], dict[str, int]] = {}
"""Key-name tuples -> {lower-case name: position}; each operation sends the same few sets."""


def _index(names: tuple[str, ...]) -> dict[str, int]:
    index = _INDEXES.get(names)
    if index is None:
        index = {name.lower(): i for i, name in enumerate(names)}
        if len(_INDEXES) < 4096:
            _INDEXES[names] = index
    return index


class RequestContext:
    """One authorization question: may `principal` perform `action` on `resource`?

    Treat it as immutable. It is a plain slotted class rather than a frozen dataclass because
    one is built for every request and frozen dataclasses are several times slower to build.
    """

    __slots__ = ("_index", "_values", "action", "action_key", "keys", "principal", "resource",
                 "resource_account")  # fmt: skip

    def __init__(
        self,
        principal: Caller,
        action: str,
        resource: str,
        resource_account: str = "",
        keys: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        self.principal = principal
        self.action = action
        self.action_key = action.lower()  # statements store their actions in lower case
        self.resource = resource
        self.resource_account = resource_account
        self.keys: Mapping[str, str | Sequence[str]] = {} if keys is None else keys
        self._index: dict[str, int] | None = None  # built on the first key lookup
        self._values: tuple[str | Sequence[str], ...] = ()

    def __repr__(self) -> str:
        return (
            f"RequestContext({self.principal.arn or self.principal.type.value!r}, "
            f"{self.action!r}, {self.resource!r}, {self.resource_account!r})"
        )

    def lookup(self, key: str) -> ContextValue | None:
        """The value of a condition key (given in lower case), or None when absent."""
        index = self._index
        if index is None:
            # Lower-casing every key name per request would cost more than the evaluation;
            # the name -> position index is cached per set of key names instead.
            keys = self.keys
            index = self._index = _index(tuple(keys))
            self._values = tuple(keys.values())
        pos = index.get(key)
        if pos is None:
            return self.principal._keys.get(key)  # keys derived from the caller come second
        value = self._values[pos]
        return value if isinstance(value, str | tuple) else tuple(value)

    def with_resource(self, resource: str, resource_account: str) -> RequestContext:
        """The same question asked of another resource (an access point, then its bucket)."""
        return RequestContext(self.principal, self.action, resource, resource_account, self.keys)

    @property
    def same_account(self) -> bool:
        """True when the caller belongs to the account that owns the resource."""
        return bool(self.principal.account) and self.principal.account == self.resource_account
