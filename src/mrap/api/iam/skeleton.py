"""The shape every IAM operation shares, filled in by each: read and check the parameters,
name the resource the operation is authorized on, and (once the pipeline has authorized
`iam:{Action}` there) act through the repository; the skeleton answers in IAM's envelope.
"""

from __future__ import annotations

from collections.abc import Callable

from mrap.api.iam.params import Params
from mrap.api.iam.reply import respond
from mrap.operation import (
    Access,
    Endpoint,
    OpRequest,
    OpResponse,
    Resource,
    Route,
    Rule,
    XmlChildren,
)
from mrap.services import Services

Act = Callable[[], XmlChildren | None]
"""What an operation does once authorized; its result (None: the response has none)."""
Parsed = tuple[str, Act]
"""An operation's resource ARN and what it does there."""
Operation = Callable[[Services, OpRequest, Params], Parsed]
"""Reads and checks an operation's parameters (their errors come first); names its resource."""


def iam_route(name: str, operation: Operation) -> Route:
    """The route of the IAM operation `name`, declared as `iam:{name}` on its resource."""

    def parse(services: Services, req: OpRequest) -> Endpoint:
        arn, act = operation(services, req, Params(req.params))

        async def invoke() -> OpResponse:
            return respond(req, name, act())

        return Endpoint(Resource(arn, req.principal.account_id), invoke)

    return Route(name, Access(Rule.IAM, (f"iam:{name}",)), parse)


def account_resource(req: OpRequest, kind: str, path: str = "/", name: str = "") -> str:
    """The ARN IAM authorizes an operation on: `arn:aws:iam::ACCT:{kind}{path}{name}`."""
    return f"arn:aws:iam::{req.principal.account_id}:{kind}{path}{name}"
