"""Who is calling: the result of authentication, whatever the signing method."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, or the anonymous one (empty account)."""

    account_id: str
    arn: str
    access_key_id: str | None = None

    @property
    def anonymous(self) -> bool:
        """True for requests that carried no credentials."""
        return self.access_key_id is None


ANONYMOUS = Principal(account_id="", arn="*")
