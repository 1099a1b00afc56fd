"""Finding a request's bucket and deciding whether the caller may touch it.

Until the policy engine exists, an account's principals may do everything in their own
account and nothing in another; anonymous callers may do nothing.
"""

from __future__ import annotations

from mrap import errors
from mrap.auth.principal import Principal
from mrap.services import Services
from mrap.storage.base import RegionStore
from mrap.store.control import BucketRecord


def require_authenticated(principal: Principal) -> None:
    """Anonymous callers get AccessDenied."""
    if principal.anonymous:
        raise errors.AccessDenied()


def owned_bucket(
    services: Services, principal: Principal, bucket: str
) -> tuple[BucketRecord, RegionStore]:
    """The caller's bucket and the store of its region; NoSuchBucket or AccessDenied."""
    record = services.control.get_bucket(bucket)
    if record is None:
        raise errors.NoSuchBucket(BucketName=bucket)
    if principal.account_id != record.account_id:
        raise errors.AccessDenied()
    return record, services.regions[record.region]
