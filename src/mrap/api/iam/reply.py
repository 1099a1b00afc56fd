"""The IAM response envelope."""

from __future__ import annotations

from mrap.operation import OpRequest, OpResponse, XmlChildren, query_response

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"


def respond(req: OpRequest, action: str, result: XmlChildren | None = None) -> OpResponse:
    """`{action}Response` with `{action}Result` (left out when None) and the request id."""
    return query_response(IAM_NAMESPACE, action, result, req.request_id)
