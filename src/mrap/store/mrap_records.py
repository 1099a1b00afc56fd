"""Records of the Multi-Region Access Point store: access points, their regions, the
asynchronous operations on them, and the names and limits they use."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

CREATE = "CreateMultiRegionAccessPoint"
DELETE = "DeleteMultiRegionAccessPoint"
PUT_POLICY = "PutMultiRegionAccessPointPolicy"
TOKEN_SEGMENTS = {CREATE: "create", DELETE: "delete", PUT_POLICY: "put-policy"}
"""The operation segment of a request token ARN, as in AWS's examples."""

IN_PROGRESS = "INPROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REGION_COMPLETED = "COMPLETED"

MAX_PER_ACCOUNT = 100
_ALIAS_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class MrapRegion:
    """One bucket of an access point: its region, owner and traffic dial (0 or 100)."""

    region: str
    bucket: str
    bucket_account_id: str
    dial: int


@dataclass(frozen=True)
class AccessPoint:
    """A Multi-Region Access Point as stored."""

    account_id: str
    name: str
    alias: str
    created: float
    status: str
    # Block Public Access: four "0"/"1" flags (BlockPublicAcls, IgnorePublicAcls,
    # BlockPublicPolicy, RestrictPublicBuckets), fixed at creation.
    public_access_block: str
    established_policy: str | None
    proposed_policy: str | None
    regions: tuple[MrapRegion, ...]

    @property
    def arn(self) -> str:
        """`arn:aws:s3::{account}:accesspoint/{alias}` (global: empty region)."""
        return mrap_arn(self.account_id, self.alias)


@dataclass(frozen=True)
class AsyncOperation:
    """A Create, Delete or PutPolicy request and how far it got."""

    token_id: str
    account_id: str
    operation: str
    client_token: str
    parameters: dict[str, Any]
    alias: str
    status: str
    created: float
    due: float
    regions: list[dict[str, str]]
    error: dict[str, str] | None
    request_id: str

    @property
    def token_arn(self) -> str:
        """The request token ARN clients pass to DescribeMultiRegionAccessPointOperation."""
        segment = TOKEN_SEGMENTS[self.operation]
        return (
            f"arn:aws:s3:us-west-2:{self.account_id}:async-request/mrap/{segment}/{self.token_id}"
        )


def mrap_arn(account_id: str, alias: str) -> str:
    """The ARN of a Multi-Region Access Point."""
    return f"arn:aws:s3::{account_id}:accesspoint/{alias}"


def new_alias() -> str:
    """A random alias shaped like AWS's: a letter, twelve letters or digits, `.mrap`."""
    head = secrets.choice(string.ascii_lowercase)
    return head + "".join(secrets.choice(_ALIAS_ALPHABET) for _ in range(12)) + ".mrap"
