"""Who may reach a bucket: its Block Public Access, policy and Requester Pays setting, and the
account's Block Public Access (S3 Control)."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from mrap.console.calls import CONTROL_NAMESPACE, PUBLIC_ACCESS_BLOCK, S3_NAMESPACE, Calls
from mrap.console.client import ApiError

_NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"


def _flags(root: Element | None) -> dict[str, bool]:
    return {
        s: root is not None and (root.findtext(s) or "").lower() == "true"
        for s in PUBLIC_ACCESS_BLOCK
    }


def _configuration(namespace: str, flags: dict[str, bool]) -> Element:
    doc = Element("PublicAccessBlockConfiguration", xmlns=namespace)
    for setting in PUBLIC_ACCESS_BLOCK:
        SubElement(doc, setting).text = "true" if flags.get(setting) else "false"
    return doc


async def get_bucket_public_access_block(api: Calls, bucket: str) -> dict[str, bool]:
    """S3 GetPublicAccessBlock (all off when the bucket has none)."""
    try:
        root = await api.s3(
            "GET", bucket, query=[("publicAccessBlock", "")], region=await api.region_of(bucket)
        )
    except ApiError as exc:
        if exc.code == _NO_BLOCK:
            return _flags(None)
        raise
    return _flags(root)


async def put_bucket_public_access_block(api: Calls, bucket: str, flags: dict[str, bool]) -> None:
    """S3 PutPublicAccessBlock."""
    await api.s3(
        "PUT",
        bucket,
        query=[("publicAccessBlock", "")],
        body=tostring(_configuration(S3_NAMESPACE, flags), encoding="utf-8"),
        region=await api.region_of(bucket),
    )


async def get_account_public_access_block(api: Calls) -> dict[str, bool]:
    """S3 Control GetPublicAccessBlock of the caller's account (all off when unset)."""
    try:
        root = await api.control("GET", "configuration/publicAccessBlock")
    except ApiError as exc:
        if exc.code == _NO_BLOCK:
            return _flags(None)
        raise
    return _flags(root)


async def put_account_public_access_block(api: Calls, flags: dict[str, bool]) -> None:
    """S3 Control PutPublicAccessBlock of the caller's account."""
    await api.control(
        "PUT", "configuration/publicAccessBlock", _configuration(CONTROL_NAMESPACE, flags)
    )


async def get_bucket_policy(api: Calls, bucket: str) -> str:
    """S3 GetBucketPolicy ("" when the bucket has none)."""
    try:
        answer = await api.s3_answer(
            "GET", bucket, query=[("policy", "")], region=await api.region_of(bucket)
        )
    except ApiError as exc:
        if exc.code == "NoSuchBucketPolicy":
            return ""
        raise
    return answer.body.decode()


async def put_bucket_policy(api: Calls, bucket: str, policy: str) -> None:
    """S3 PutBucketPolicy."""
    await api.s3(
        "PUT",
        bucket,
        query=[("policy", "")],
        headers=[("content-type", "application/json")],
        body=policy.encode(),
        region=await api.region_of(bucket),
    )


async def delete_bucket_policy(api: Calls, bucket: str) -> None:
    """S3 DeleteBucketPolicy."""
    await api.s3("DELETE", bucket, query=[("policy", "")], region=await api.region_of(bucket))


async def get_bucket_policy_status(api: Calls, bucket: str) -> bool:
    """S3 GetBucketPolicyStatus: whether the policy makes the bucket public."""
    try:
        root = await api.s3(
            "GET", bucket, query=[("policyStatus", "")], region=await api.region_of(bucket)
        )
    except ApiError as exc:
        if exc.code == "NoSuchBucketPolicy":
            return False
        raise
    return root is not None and (root.findtext("IsPublic") or "").lower() == "true"


async def get_bucket_request_payment(api: Calls, bucket: str) -> str:
    """S3 GetBucketRequestPayment: `BucketOwner` or `Requester`."""
    root = await api.s3(
        "GET", bucket, query=[("requestPayment", "")], region=await api.region_of(bucket)
    )
    return (root.findtext("Payer") if root is not None else None) or "BucketOwner"


async def put_bucket_request_payment(api: Calls, bucket: str, payer: str) -> None:
    """S3 PutBucketRequestPayment."""
    doc = Element("RequestPaymentConfiguration", xmlns=S3_NAMESPACE)
    SubElement(doc, "Payer").text = payer
    await api.s3(
        "PUT",
        bucket,
        query=[("requestPayment", "")],
        body=tostring(doc, encoding="utf-8"),
        region=await api.region_of(bucket),
    )
