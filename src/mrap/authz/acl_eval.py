"""ACLs in authorization: which grant answers which action, and when a grant allows a request.

A grant acts like a resource policy statement naming its grantee: it can stand in for the
bucket policy's allow, never for the caller's identity policy (an account root has that
implicitly), and never against an explicit deny. Buckets whose Object Ownership is
BucketOwnerEnforced have ACLs disabled: nothing here is consulted for them.
"""

from __future__ import annotations

from mrap.authz.acl_model import (
    FULL_CONTROL,
    GROUP,
    READ,
    READ_ACP,
    WRITE,
    WRITE_ACP,
    Acl,
    loads,
)
from mrap.iam import Caller, DecidedBy, Decision, PolicyType
from mrap.iam.context import PrincipalType
from mrap.iam.public import ALL_USERS, AUTHENTICATED_USERS, PUBLIC_ACL_GROUPS
from mrap.operation import OpRequest
from mrap.storage.base import ObjectInfo, RegionStore
from mrap.store.control_records import BucketRecord

ENFORCED = "BucketOwnerEnforced"

BUCKET_PERMISSIONS = {
    "s3:ListBucket": READ,
    "s3:ListBucketVersions": READ,
    "s3:ListBucketMultipartUploads": READ,
    "s3:PutObject": WRITE,
    "s3:DeleteObject": WRITE,
    "s3:DeleteObjectVersion": WRITE,
    "s3:GetBucketAcl": READ_ACP,
    "s3:PutBucketAcl": WRITE_ACP,
}
"""What a bucket ACL grant allows (the S3 User Guide, "ACL permissions and access policy
permissions"); FULL_CONTROL allows all of it."""
OBJECT_PERMISSIONS = {
    "s3:GetObject": READ,
    "s3:GetObjectVersion": READ,
    "s3:GetObjectAcl": READ_ACP,
    "s3:GetObjectVersionAcl": READ_ACP,
    "s3:PutObjectAcl": WRITE_ACP,
    "s3:PutObjectVersionAcl": WRITE_ACP,
}
"""What an object ACL grant allows; FULL_CONTROL allows all of it."""

_ANONYMOUS_TYPES = frozenset({PrincipalType.ANONYMOUS})


def acls_enabled(record: BucketRecord) -> bool:
    """Whether the bucket's ACLs take part (every Object Ownership but BucketOwnerEnforced)."""
    return record.object_ownership != ENFORCED


def acl_allows(
    caller_account: str,
    authenticated: bool,
    permission: str,
    acl: Acl,
    *,
    ignore_public: bool = False,
    groups_only: bool = False,
) -> bool:
    """Whether `acl` grants `permission` to a caller of `caller_account` ("" if anonymous).

    The resource's owner always has READ_ACP and WRITE_ACP. `ignore_public` skips grants to
    AllUsers and AuthenticatedUsers (IgnorePublicAcls); `groups_only` considers group grants
    alone (a caller whose own account needs an identity policy for account grants).
    """
    if (
        not groups_only
        and caller_account
        and caller_account == acl.owner_account
        and permission in (READ_ACP, WRITE_ACP)
    ):
        return True
    for grant in acl.grants:
        if grant.permission != permission and grant.permission != FULL_CONTROL:
            continue
        if grant.kind == GROUP:
            if ignore_public and grant.grantee in PUBLIC_ACL_GROUPS:
                continue
            if grant.grantee == ALL_USERS or (
                grant.grantee == AUTHENTICATED_USERS and authenticated
            ):
                return True
        elif not groups_only and caller_account and grant.account == caller_account:
            return True
    return False


def _object_info(
    req: OpRequest, record: BucketRecord, key: str, store: RegionStore | None
) -> ObjectInfo | None:
    if store is None or not key:
        return None
    # The request's versionId names a version of the request's own object only (a copy
    # source's version travels in its header, and is not looked up here).
    own = record.name == req.bucket and key == req.key
    info = store.head_object(record.name, key, req.query.get("versionId") if own else None)
    return None if info is None or info.delete_marker else info


def grants_access(
    req: OpRequest,
    record: BucketRecord,
    action: str,
    key: str,
    store: RegionStore | None,
    decision: Decision,
) -> bool:
    """Whether an ACL grant turns the policy engine's implicit deny into an allow."""
    if decision.decided_by is not DecidedBy.IMPLICIT_DENY or not acls_enabled(record):
        return False
    caller: Caller = req.caller
    anonymous = caller.type in _ANONYMOUS_TYPES
    if decision.denied_in is PolicyType.RESOURCE:
        groups_only = False  # the identity side allowed (or there is none): any grant serves
    elif (
        decision.denied_in is PolicyType.IDENTITY
        and caller.account == record.account_id
        and not anonymous
    ):
        groups_only = True  # same-account identity without an allow: public grants still do
    else:
        return False  # a cross-account identity must be allowed by its own policies
    account = "" if anonymous else caller.account
    if action in OBJECT_PERMISSIONS:
        info = _object_info(req, record, key, store)
        if info is None or info.acl is None:
            return False  # the default object ACL grants only the bucket owner
        acl, permission = loads(info.acl), OBJECT_PERMISSIONS[action]
    elif action in BUCKET_PERMISSIONS and record.acl is not None:
        acl, permission = loads(record.acl), BUCKET_PERMISSIONS[action]
    else:
        return False
    return acl_allows(
        account,
        not anonymous,
        permission,
        acl,
        ignore_public=_ignores_public_acls(req, record),
        groups_only=groups_only,
    )


def foreign_object_refuses(
    req: OpRequest, record: BucketRecord, action: str, key: str, store: RegionStore | None
) -> bool:
    """Whether an object another account owns keeps the caller out, whatever the policies say.

    With ACLs enabled (ObjectWriter), an object written by another account belongs to that
    account: neither the bucket owner nor the bucket policy reach it; only its owner and the
    grantees of its ACL may read it or its ACL.
    """
    if action not in OBJECT_PERMISSIONS or not acls_enabled(record):
        return False
    info = _object_info(req, record, key, store)
    if info is None or info.acl is None:
        return False
    acl = loads(info.acl)
    if acl.owner_account in ("", record.account_id):
        return False
    anonymous = req.caller.type in _ANONYMOUS_TYPES
    account = "" if anonymous else req.caller.account
    if account == acl.owner_account:
        return False
    permission = OBJECT_PERMISSIONS[action]
    ignore = _ignores_public_acls(req, record)
    return not acl_allows(account, not anonymous, permission, acl, ignore_public=ignore)


def _ignores_public_acls(req: OpRequest, record: BucketRecord) -> bool:
    """IgnorePublicAcls in force: the bucket's or its owner account's setting, and always
    through an access point (access points have no ACLs, so their ACL settings are on)."""
    if req.access_point is not None:
        return True
    account_flags = req.account_public_access_block(record.account_id)
    return any(f is not None and f[1] == "1" for f in (record.public_access_block, account_flags))
