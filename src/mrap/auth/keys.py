"""The shape of a credential as authentication reads it; the control store's records fit it."""

from __future__ import annotations

from typing import Protocol


class SigningKey(Protocol):
    """A credential and the principal it authenticates (an access key, or an STS session's)."""

    @property
    def access_key_id(self) -> str:
        """The key's id, as the signature's credential scope names it."""

    @property
    def secret(self) -> str:
        """The secret the signature is made with."""

    @property
    def account_id(self) -> str:
        """The account the principal belongs to."""

    @property
    def principal_arn(self) -> str:
        """The principal the key authenticates."""

    @property
    def active(self) -> bool:
        """False for a key its owner made inactive."""

    @property
    def session_token_sha256(self) -> str | None:
        """Temporary credentials: the SHA-256 (hex) of the session token requests must carry."""

    @property
    def expires(self) -> float | None:
        """Temporary credentials: when they expire (epoch seconds)."""
