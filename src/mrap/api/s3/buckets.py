"""Bucket operations: CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, ListBuckets."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from mrap import errors
from mrap.api.s3 import object_lock
from mrap.api.s3.acl import acl_for_new_bucket
from mrap.api.s3.ownership import requested_ownership
from mrap.auth.scope import check_create_bucket, signing_region
from mrap.names import check_bucket_name
from mrap.operation import OpRequest, OpResponse, XmlDoc, XmlValue
from mrap.services import Services

_LEGACY_REGION = "us-east-1"
_LEGACY_CONSTRAINTS = {"EU": "eu-west-1", "": _LEGACY_REGION}
_MAX_BUCKETS_PAGE = 10000


def _region_for(services: Services, constraint: str) -> str:
    region = _LEGACY_CONSTRAINTS.get(constraint, constraint)
    # us-east-1 is chosen by leaving the constraint out; naming it is an error, as on S3.
    if region not in services.regions or constraint == "us-east-1":
        raise errors.InvalidLocationConstraint(LocationConstraint=constraint)
    return region


async def create_bucket(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}: claim the name globally and create it in the chosen region."""
    check_bucket_name(req.bucket)
    constraint = ""
    doc = await req.body.read_xml()
    if doc is not None:
        if doc.tag != "CreateBucketConfiguration":
            raise errors.MalformedXML()
        constraint = (doc.findtext("LocationConstraint") or "").strip()
    region = _region_for(services, constraint)
    # Which endpoints may create a bucket where: see `auth.scope`.
    signed_for = signing_region(req.headers.get("authorization"), req.query.get("X-Amz-Credential"))
    check_create_bucket(signed_for, region, constraint)
    services.control.ensure_account(req.principal.account_id)
    ownership = requested_ownership(req)
    try:
        record = services.control.register_bucket(
            req.bucket,
            req.principal.account_id,
            region,
            object_ownership=ownership,
            acl=acl_for_new_bucket(services, req, ownership),
        )
    except errors.BucketAlreadyOwnedByYou:
        # S3's legacy us-east-1 behaviour: re-creating a bucket you own there is a 200.
        existing = services.control.get_bucket(req.bucket)
        if region == _LEGACY_REGION and existing is not None and existing.region == region:
            return OpResponse(headers={"Location": f"/{req.bucket}"})
        raise
    try:
        await services.regions[region].create_bucket(req.bucket)
        if object_lock.enable_on_create(req):
            await object_lock.enable(services, record)
    except BaseException:
        services.control.unregister_bucket(req.bucket)
        raise
    return OpResponse(headers={"Location": f"/{req.bucket}"})


async def delete_bucket(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}: only an empty bucket."""
    record, store = req.authorized_bucket()
    if services.mraps.bucket_in_use(record.name):
        raise errors.BucketHasAccessPointsAttached(BucketName=record.name)
    await store.delete_bucket(record.name)
    services.control.unregister_bucket(record.name)
    return OpResponse(status=204)


async def head_bucket(services: Services, req: OpRequest) -> OpResponse:
    """HEAD /{bucket}: existence, access and region."""
    record, _ = req.authorized_bucket()
    return OpResponse(headers={"x-amz-bucket-region": record.region})


async def get_bucket_location(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?location: the region, empty for us-east-1 as S3 answers."""
    record, _ = req.authorized_bucket()
    region = "" if record.region == "us-east-1" else record.region
    return OpResponse(body=XmlDoc("LocationConstraint", text=region))


def _encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


async def list_buckets(services: Services, req: OpRequest) -> OpResponse:
    """GET /: the caller's buckets, with the optional prefix, region and page filters."""
    account = services.control.ensure_account(req.principal.account_id)
    prefix = req.query.get("prefix", "")
    region = req.query.get("bucket-region")
    try:
        limit = int(req.query.get("max-buckets", _MAX_BUCKETS_PAGE))
    except ValueError:
        raise errors.InvalidArgument("max-buckets must be a number") from None
    if not 1 <= limit <= _MAX_BUCKETS_PAGE:
        raise errors.InvalidArgument(
            "Argument max-buckets must be an integer between 1 and 10000",
            ArgumentName="max-buckets",
            ArgumentValue=str(limit),
        )
    token = req.query.get("continuation-token")
    after = _decode_token(token) if token else ""
    records = services.control.list_buckets(
        account.id, after=after, prefix=prefix, limit=_MAX_BUCKETS_PAGE + 1
    )
    if region:
        records = [r for r in records if r.region == region]
    page, more = records[:limit], len(records) > limit
    buckets: list[tuple[str, XmlValue]] = [
        (
            "Bucket",
            [
                ("Name", r.name),
                ("CreationDate", datetime.fromtimestamp(r.created, UTC)),
                ("BucketRegion", r.region),
            ],
        )
        for r in page
    ]
    doc = XmlDoc(
        "ListAllMyBucketsResult",
        [
            ("Owner", [("ID", account.canonical_id), ("DisplayName", account.id)]),
            ("Buckets", buckets),
            ("ContinuationToken", _encode_token(page[-1].name) if more else None),
            ("Prefix", prefix or None),
        ],
    )
    return OpResponse(body=doc)
