"""Policy documents as IAM accepts them: size quotas, the grammar, and principals that exist."""

from __future__ import annotations

import re
from urllib.parse import quote

from mrap import errors
from mrap.iam import (
    MANAGED_POLICY_MAX_CHARS,
    TRUST_POLICY_MAX_CHARS,
    PolicyError,
    PolicyKind,
    non_whitespace_length,
    parse_policy,
)
from mrap.iam.grammar import PrincipalExists
from mrap.services import Services

_ACCOUNT = re.compile(r"\d{12}")
_ROOT_ARN = re.compile(r"arn:aws:iam::\d{12}:root")


def _principal_exists(services: Services) -> PrincipalExists:
    def exists(kind: str, value: str) -> bool:
        if kind != "AWS":
            return True
        if _ACCOUNT.fullmatch(value):
            return services.control.get_account(value) is not None
        if _ROOT_ARN.fullmatch(value):
            return services.control.get_account(value.split(":")[4]) is not None
        return services.identities.iam_principal_exists(kind, value)

    return exists


def identity_policy(text: str) -> str:
    """An identity policy (inline or managed) as sent, once the grammar accepts it."""
    try:
        parse_policy(text, PolicyKind.IDENTITY)
    except PolicyError as e:
        raise errors.MalformedPolicyDocument(e.message) from None
    return text


def managed_policy(text: str) -> str:
    """A customer managed policy's document: within IAM's size quota, then well formed."""
    if non_whitespace_length(text) > MANAGED_POLICY_MAX_CHARS:
        raise errors.LimitExceeded(
            f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX_CHARS}"
        )
    return identity_policy(text)


def trust_policy(services: Services, text: str) -> str:
    """A role's trust policy: within its quota, well formed, naming principals that exist."""
    if non_whitespace_length(text) > TRUST_POLICY_MAX_CHARS:
        raise errors.LimitExceeded(
            f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX_CHARS}"
        )
    try:
        parse_policy(text, PolicyKind.TRUST, principal_exists=_principal_exists(services))
    except PolicyError as e:
        raise errors.MalformedPolicyDocument(e.message) from None
    return text


def encoded(text: str) -> str:
    """A policy document as IAM returns it: percent-encoded (SDKs decode it)."""
    return quote(text, safe="-_.*")
