"""GetCallerIdentity, and who is calling STS (shared by the other operations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mrap import errors
from mrap.api.sts.namespace import STS_NAMESPACE
from mrap.authz.identity import CompiledIdentity, identity_of
from mrap.operation import OpRequest, OpResponse, query_response
from mrap.store.control_records import AccessKey

if TYPE_CHECKING:
    from mrap.services import Services


def caller_identity(services: Services, req: OpRequest) -> CompiledIdentity:
    """The signer as the policy engine sees it, with its identity policies.

    A signer whose identity is gone (a session of a deleted role) holds a token that no
    longer means anything: STS calls that as an invalid token.
    """
    found = identity_of(services.identities, req.principal.arn)
    if found is None:
        raise errors.InvalidClientTokenId()
    return found


def signing_key(services: Services, req: OpRequest) -> AccessKey:
    """The access key the request was signed with (long-term, or a session's)."""
    key_id = req.principal.access_key_id
    key = services.control.get_access_key(key_id) if key_id else None
    if key is None:  # deleted between authentication and now
        raise errors.InvalidClientTokenId()
    return key


async def get_caller_identity(services: Services, req: OpRequest) -> OpResponse:
    """Who signed the request: the root user, an IAM user, or a role session.

    GetSessionToken credentials answer as the user (or root) that requested them.
    """
    caller = caller_identity(services, req).caller
    result = [("UserId", caller.user_id), ("Account", caller.account), ("Arn", caller.arn)]
    return query_response(STS_NAMESPACE, "GetCallerIdentity", result, req.request_id)
