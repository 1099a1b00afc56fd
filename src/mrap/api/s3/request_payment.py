"""Requester Pays configuration: GetBucketRequestPayment and PutBucketRequestPayment.

Only the bucket owner's account may read or change who pays (and within it the policy
engine decides, with s3:GetBucketRequestPayment / s3:PutBucketRequestPayment). Enforcing the
setting on every other request is authorization's job (`mrap.authz.access`).
"""

from __future__ import annotations

from mrap import errors
from mrap.api.s3.checksums import small_body_verifier
from mrap.operation import OpRequest, OpResponse, XmlDoc
from mrap.services import Services

REQUESTER = "Requester"
BUCKET_OWNER = "BucketOwner"


async def get_bucket_request_payment(services: Services, req: OpRequest) -> OpResponse:
    """GET /{bucket}?requestPayment: who pays (BucketOwner unless set to Requester)."""
    record, _ = req.authorized_bucket()
    payer = REQUESTER if record.request_payer == REQUESTER else BUCKET_OWNER
    return OpResponse(body=XmlDoc("RequestPaymentConfiguration", [("Payer", payer)]))


async def put_bucket_request_payment(services: Services, req: OpRequest) -> OpResponse:
    """PUT /{bucket}?requestPayment: set who pays; anything but one valid Payer is MalformedXML."""
    record, _ = req.authorized_bucket()
    doc = await req.body.read_xml(verify=small_body_verifier(req.headers))
    if doc is None:
        raise errors.MissingRequestBodyError()
    children = list(doc)
    if (
        doc.tag != "RequestPaymentConfiguration"
        or len(children) != 1
        or children[0].tag != "Payer"
        or len(children[0])
        or (children[0].text or "").strip() not in (REQUESTER, BUCKET_OWNER)
    ):
        raise errors.MalformedXML()
    payer = (children[0].text or "").strip()
    services.control.set_request_payer(record.name, REQUESTER if payer == REQUESTER else None)
    return OpResponse()
