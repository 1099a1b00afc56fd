"""Issuing temporary credentials: an `ASIA…` key, its secret and a session token, stored.

The control store keeps only the token's SHA-256: requests prove they hold the token, and a
copy of the database alone does not let anyone use a session.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from mrap.operation import XmlChildren
from mrap.store.control import ControlStore
from mrap.store.control_records import AccessKey, new_secret_access_key

TOKEN_BYTES = 120
"""Random bytes per session token (160 base64 characters; AWS's are longer still)."""
KEEP_EXPIRED_SECONDS = 7 * 24 * 3600
"""How long expired sessions stay stored, answering ExpiredToken rather than an unknown key."""
_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Issued:
    """Session credentials as handed to the caller (the only time the token is known)."""

    key: AccessKey
    token: str
    expiration: datetime


def new_session_key_id() -> str:
    """A random access key id shaped like AWS's temporary ones."""
    return "ASIA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def issue(
    control: ControlStore,
    account_id: str,
    principal_arn: str,
    duration: int,
    now: datetime,
    source_identity: str | None = None,
) -> Issued:
    """Create and store credentials acting as `principal_arn` for `duration` seconds."""
    token = base64.b64encode(secrets.token_bytes(TOKEN_BYTES)).decode()
    expires = int(now.timestamp()) + duration
    key = AccessKey(
        new_session_key_id(),
        new_secret_access_key(),
        account_id,
        principal_arn,
        True,
        hashlib.sha256(token.encode()).hexdigest(),
        float(expires),
        source_identity,
    )
    control.add_session_key(key, purge_before=now.timestamp() - KEEP_EXPIRED_SECONDS)
    return Issued(key, token, datetime.fromtimestamp(expires, UTC))


def credentials_element(issued: Issued) -> XmlChildren:
    """The `Credentials` structure of GetSessionToken and AssumeRole."""
    return [
        ("AccessKeyId", issued.key.access_key_id),
        ("SecretAccessKey", issued.key.secret),
        ("SessionToken", issued.token),
        ("Expiration", issued.expiration),
    ]
