"""Account-level Block Public Access: Get, Put and Delete on
`/v20180820/configuration/publicAccessBlock`, for the account in `x-amz-account-id`."""

from __future__ import annotations

from mrap import errors
from mrap.api.control import bodies, reports
from mrap.operation import OpRequest, OpResponse
from mrap.services import Services


async def get_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """GET: the account's four settings, NoSuchPublicAccessBlockConfiguration when unset."""
    flags = services.mraps.account_public_access_block(req.params["AccountId"])
    if flags is None:
        raise errors.NoSuchPublicAccessBlockConfiguration()
    return reports.result("PublicAccessBlockConfiguration", reports.public_access_block(flags))


async def put_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """PUT: replace the account's settings (absent ones are false)."""
    account_id = req.params["AccountId"]
    doc = await bodies.document(req, "PublicAccessBlockConfiguration")
    services.mraps.set_account_public_access_block(account_id, bodies.flags(doc))
    return OpResponse()


async def delete_public_access_block(services: Services, req: OpRequest) -> OpResponse:
    """DELETE: remove the account's settings (204 whether or not there were any)."""
    services.mraps.set_account_public_access_block(req.params["AccountId"], None)
    return OpResponse(status=204)
