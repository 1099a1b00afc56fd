"""Object Ownership: Put/Get/DeleteBucketOwnershipControls and CreateBucket's header.

New buckets get BucketOwnerEnforced (ACLs disabled), S3's default since April 2023. A bucket
whose controls were deleted has none, which S3 treats as ObjectWriter.
"""

from __future__ import annotations

from mrap import errors
from mrap.api.s3.acl import party
from mrap.api.s3.checksums import small_body_verifier
from mrap.authz.acl_eval import ENFORCED
from mrap.authz.acl_model import loads, only_full_control_of
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services

OWNERSHIPS = frozenset({"BucketOwnerPreferred", "ObjectWriter", ENFORCED})
_HEADER = "x-amz-object-ownership"


def requested_ownership(req: OpRequest) -> str:
    """CreateBucket's `x-amz-object-ownership` (BucketOwnerEnforced when absent)."""
    value = req.headers.get(_HEADER)
    if value is None:
        return ENFORCED
    if value not in OWNERSHIPS:
        raise errors.InvalidArgument(
            f"Invalid x-amz-object-ownership header: {value}",
            ArgumentName=_HEADER,
            ArgumentValue=value,
        )
    return value


async def put_bucket_ownership_controls(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?ownershipControls: one rule naming the Object Ownership setting."""
    record, _ = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    rules = doc.findall("Rule")
    if doc.tag != "OwnershipControls" or len(rules) != 1:
        raise errors.MalformedXML()
    value = (rules[0].findtext("ObjectOwnership") or "").strip()
    if value not in OWNERSHIPS:
        raise errors.MalformedXML()
    # ACLs can be disabled only once the bucket ACL grants nothing beyond its owner.
    owner = party(services, record.account_id)
    if value == ENFORCED and record.acl and not only_full_control_of(loads(record.acl), owner):
        raise errors.InvalidBucketAclWithObjectOwnership()
    services.control.set_object_ownership(record.name, value)
    return OpResponse()


async def get_bucket_ownership_controls(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?ownershipControls."""
    record, _ = req.authorized_bucket()
    if record.object_ownership is None:
        raise errors.OwnershipControlsNotFoundError(BucketName=record.name)
    rule = [("Rule", [("ObjectOwnership", record.object_ownership)])]
    return OpResponse(body=XmlDoc("OwnershipControls", rule))


async def delete_bucket_ownership_controls(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}?ownershipControls: the bucket falls back to ObjectWriter."""
    record, _ = req.authorized_bucket()
    services.control.set_object_ownership(record.name, None)
    return OpResponse(status=204)
