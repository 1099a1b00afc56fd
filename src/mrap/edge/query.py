"""The AWS Query protocol of IAM and STS: form parameters in, `ErrorResponse` documents out.

Requests are `POST` with an `application/x-www-form-urlencoded` body (or `GET` with the same
parameters in the query string); `Action` names the operation. Errors are
`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` in the
service's namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from mrap import errors
from mrap.api.iam.table import IAM_NAMESPACE
from mrap.api.iam.table import OPERATIONS as IAM_OPERATIONS
from mrap.api.sts.table import OPERATIONS as STS_OPERATIONS
from mrap.api.sts.table import STS_NAMESPACE
from mrap.edge import xml
from mrap.edge.addressing import Api
from mrap.iam.aws_actions import IAM_ACTIONS, STS_ACTIONS
from mrap.operation import Route, XmlDoc, XmlValue

MAX_BODY = 1 << 20
"""Query bodies carry at most a few policy documents; IAM refuses far smaller ones."""

NAMESPACES = {Api.IAM: IAM_NAMESPACE, Api.STS: STS_NAMESPACE}
_VERSIONS = {Api.IAM: "2010-05-08", Api.STS: "2011-06-15"}
_OPERATIONS = {Api.IAM: IAM_OPERATIONS, Api.STS: STS_OPERATIONS}
_ALL_ACTIONS = {Api.IAM: IAM_ACTIONS, Api.STS: STS_ACTIONS}
_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def params(query: Sequence[tuple[str, str]], body: bytes) -> dict[str, str]:
    """The request's parameters: the query string's, then the form body's (which win)."""
    merged = {k: v for k, v in query if not k.startswith("X-Amz-")}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise errors.ValidationError("The request body is not valid UTF-8.") from None
    merged.update(parse_qsl(text, keep_blank_values=True))
    return merged


def route(api: Api, parameters: Mapping[str, str]) -> Route:
    """The operation named by `Action`: NotImplemented for the service's operations this
    gateway lacks, InvalidAction when the service has none of that name."""
    action = parameters.get("Action")
    if not action:
        raise errors.MissingAction()
    found = _OPERATIONS[api].get(action)
    if found is None and action in _ALL_ACTIONS[api]:
        raise errors.S3NotImplemented(f"{action} is not implemented by this server.")
    if found is None:
        raise errors.InvalidAction(
            f"Could not find operation {action} for version {_VERSIONS[api]}"
        )
    return found


def translate(exc: errors.S3Error) -> errors.S3Error:
    """The error IAM and STS send where S3 would send `exc` (authentication failures)."""
    if isinstance(exc, errors.InvalidAccessKeyId | errors.InvalidToken):
        return errors.InvalidClientTokenId()
    if isinstance(exc, errors.ExpiredToken):
        return errors.QueryExpiredToken()
    if isinstance(exc, errors.SignatureDoesNotMatch):
        return errors.SignatureDoesNotMatch(_SIGNATURE_MESSAGE)
    if isinstance(exc, errors.RequestTimeTooSkewed):
        return errors.SignatureDoesNotMatch(
            "Signature expired: the request time is more than 15 minutes away from the server time."
        )
    return exc


def error_document(api: Api, exc: errors.S3Error, request_id: str) -> bytes:
    """The Query protocol error document."""
    error: list[tuple[str, XmlValue]] = [
        ("Type", "Receiver" if exc.status >= 500 else "Sender"),
        ("Code", exc.code),
        ("Message", exc.message),
    ]
    children: list[tuple[str, XmlValue]] = [("Error", error), ("RequestId", request_id)]
    return xml.encode(XmlDoc("ErrorResponse", children, namespace=NAMESPACES[api]))
