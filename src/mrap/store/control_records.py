"""Records of the control store: accounts, access keys and buckets, and new credentials."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

DEFAULT_PUBLIC_ACCESS_BLOCK = "1111"
"""New buckets block all public access (AWS's default since April 2023)."""
DEFAULT_OBJECT_OWNERSHIP = "BucketOwnerEnforced"
"""New buckets have ACLs disabled (AWS's default since April 2023)."""

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Account:
    """An account: its 12-digit id and the canonical user id S3 shows as owner."""

    id: str
    canonical_id: str


@dataclass(frozen=True)
class AccessKey:
    """A credential and the principal it authenticates."""

    access_key_id: str
    secret: str
    account_id: str
    principal_arn: str
    active: bool
    # Temporary credentials (STS) only: the SHA-256 (hex) of the session token the requests
    # must carry, when the credentials expire (epoch seconds), and the session's source identity.
    session_token_sha256: str | None = None
    expires: float | None = None
    source_identity: str | None = None

    @property
    def temporary(self) -> bool:
        """True for STS session credentials."""
        return self.session_token_sha256 is not None


@dataclass(frozen=True)
class BucketRecord:
    """Where a bucket lives, who owns it, and its access settings."""

    name: str
    account_id: str
    region: str
    created: float
    policy: str | None = None  # the bucket policy as put (already validated)
    # Block Public Access: four "0"/"1" flags in the order BlockPublicAcls, IgnorePublicAcls,
    # BlockPublicPolicy, RestrictPublicBuckets; None when the bucket has no configuration.
    public_access_block: str | None = None
    # Object Ownership (BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter); None when
    # the bucket has no ownership controls, which S3 treats as ObjectWriter.
    object_ownership: str | None = None
    acl: str | None = None  # the bucket ACL as stored by mrap.authz.acl_model; None: private
    request_payer: str | None = None  # "Requester" for a Requester Pays bucket; None: owner
    replication: str | None = None  # the replication configuration (mrap.replication.model JSON)
    # Object Lock (mrap.api.s3.object_lock JSON); None: the bucket has no Object Lock.
    object_lock: str | None = None


class AccountExists(ValueError):
    """An account with this id is already in the control store."""


def new_access_key_id() -> str:
    """A random access key id shaped like AWS's long-term keys."""
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    """A random 40-character secret access key."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
