"""Who the caller is as the policy engine sees it: the stored identity, its policies compiled.

The identity store answers with records (names and policy text); compiling them here keeps
the store free of the policy engine. Compiled identities are remembered by record, so a
principal whose policies did not change is compiled once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mrap.iam import Caller, PolicyDocument, PolicyKind, cached_policy
from mrap.store.identities import Identity, IdentityStore


@dataclass(frozen=True)
class CompiledIdentity:
    """A principal as the policy engine sees it, with every identity policy in effect."""

    caller: Caller
    policies: tuple[PolicyDocument, ...]


def identity_of(store: IdentityStore, principal_arn: str) -> CompiledIdentity | None:
    """The caller and compiled identity policies of a principal; None when it is gone."""
    record = store.identity(principal_arn)
    return None if record is None else _compiled(record)


@lru_cache(maxsize=4096)
def _compiled(record: Identity) -> CompiledIdentity:
    if record.kind == "root":
        return CompiledIdentity(Caller.root(record.account, record.unique_id), ())
    if record.kind == "user":
        caller = Caller.user(record.account, record.name, record.unique_id, record.path)
    else:
        caller = Caller.assumed_role(
            record.account, record.name, record.session, record.unique_id, record.path
        )
    policies = tuple(cached_policy(text, PolicyKind.IDENTITY) for text in record.documents)
    return CompiledIdentity(caller, policies)
