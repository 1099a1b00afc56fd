"""Bucket policies and Block Public Access: ?policy, ?policyStatus, ?publicAccessBlock.

Only the bucket owner's account may read or change these settings; within it the policy
engine decides (the owner's root is never locked out of the policy operations).
"""

from __future__ import annotations

from mrap import errors
from mrap.authz.access import blocked, bucket_policy, flag
from mrap.iam import BUCKET_POLICY_MAX_BYTES, PolicyError, PolicyKind, parse_policy
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services

PUBLIC_ACCESS_BLOCK_FIELDS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
"""The four settings, in the order the control store keeps their flags."""

_BLOCK_PUBLIC_POLICY = 2


async def get_bucket_policy(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?policy: the policy as it was put."""
    record, _ = req.authorized_bucket()
    if record.policy is None:
        raise errors.NoSuchBucketPolicy(BucketName=record.name)
    return OpResponse(
        headers={"Content-Type": "application/json"}, body=record.policy.encode("utf-8")
    )


async def put_bucket_policy(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?policy: validate and store a bucket policy."""
    record, _ = req.authorized_bucket()
    data = await req.body.read_all(1 << 20)
    if len(data) > BUCKET_POLICY_MAX_BYTES:
        raise errors.PolicyTooLarge()
    if not data.strip():
        raise errors.MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        parse_policy(
            data,
            PolicyKind.BUCKET,
            bucket=record.name,
            principal_exists=services.identities.iam_principal_exists,
        )
    except PolicyError as exc:
        raise errors.MalformedPolicy(exc.message) from None
    text = data.decode("utf-8")
    if bucket_policy(text)[1] and blocked(req, record, _BLOCK_PUBLIC_POLICY):
        raise errors.AccessDenied()  # BlockPublicPolicy refuses a public policy
    services.control.set_bucket_policy(record.name, text)
    return OpResponse(status=204)


async def delete_bucket_policy(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}?policy: remove the policy (204 whether or not there was one)."""
    record, _ = req.authorized_bucket()
    services.control.set_bucket_policy(record.name, None)
    return OpResponse(status=204)


async def get_bucket_policy_status(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?policyStatus: whether the bucket's policy is public."""
    record, _ = req.authorized_bucket()
    if record.policy is None:
        raise errors.NoSuchBucketPolicy(BucketName=record.name)
    public = bucket_policy(record.policy)[1]
    return OpResponse(body=XmlDoc("PolicyStatus", [("IsPublic", public)]))


async def get_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?publicAccessBlock: the bucket's four settings."""
    record, _ = req.authorized_bucket()
    if record.public_access_block is None:
        raise errors.NoSuchPublicAccessBlockConfiguration(BucketName=record.name)
    children = [(name, flag(record, i)) for i, name in enumerate(PUBLIC_ACCESS_BLOCK_FIELDS)]
    return OpResponse(body=XmlDoc("PublicAccessBlockConfiguration", list(children)))


def _bool(text: str | None) -> bool:
    value = (text or "false").strip().lower()
    if value not in ("true", "false"):
        raise errors.MalformedXML()
    return value == "true"


async def put_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?publicAccessBlock: replace the four settings (absent ones are false)."""
    record, _ = req.authorized_bucket()
    doc = await req.body.read_xml()
    if doc is None:
        raise errors.MissingRequestBodyError()
    if doc.tag != "PublicAccessBlockConfiguration":
        raise errors.MalformedXML()
    flags = "".join("1" if _bool(doc.findtext(name)) else "0"
                    for name in PUBLIC_ACCESS_BLOCK_FIELDS)  # fmt: skip
    services.control.set_public_access_block(record.name, flags)
    return OpResponse()


async def delete_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """DELETE /{bucket}?publicAccessBlock: remove the settings (nothing blocked then)."""
    record, _ = req.authorized_bucket()
    services.control.set_public_access_block(record.name, None)
    return OpResponse(status=204)
