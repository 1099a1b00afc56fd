"""Add statement: a statement built from the editor's dropdowns, merged into the JSON text.

The merged text goes back into the editor unsaved, as in the AWS console; saving it is the
ordinary Put…Policy call, which validates it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp.web import FileField
from multidict import MultiMapping

from mrap.console.client import ApiError

EFFECTS = ("Allow", "Deny")
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:GetObjectTagging",
    "s3:PutObjectTagging",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
)
ACCESS_POINT_ACTIONS = (*OBJECT_ACTIONS, "s3:*")
BUCKET_ACTIONS = (
    *OBJECT_ACTIONS,
    "s3:GetObjectVersion",
    "s3:DeleteObjectVersion",
    "s3:ListBucketVersions",
    "s3:GetBucketLocation",
    "s3:*",
)
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Statement:
    """What the Add statement form asked for."""

    effect: str
    principal: str
    actions: list[str]
    resources: list[str]


def statement_from_form(form: MultiMapping[str | bytes | bytearray | FileField]) -> Statement:
    """The statement the Add statement form's fields describe (checked when it is added)."""
    return Statement(
        effect=str(form.get("effect", "")),
        principal=str(form.get("principal", "")),
        actions=[str(a) for a in form.getall("action", [])],
        resources=[r.strip() for r in str(form.get("resources", "")).splitlines() if r.strip()],
    )


def principal_of(text: str) -> str | dict[str, str]:
    """The Principal element: `*` for everyone, an account id as its root ARN, else an ARN."""
    text = text.strip()
    if text == "*":
        return "*"
    if _ACCOUNT.fullmatch(text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    return {"AWS": text}


def _check(statement: Statement, allowed: tuple[str, ...]) -> None:
    if statement.effect not in EFFECTS:
        raise ApiError("InvalidStatement", "Choose Allow or Deny as the effect.", 400)
    if not statement.principal.strip():
        raise ApiError("InvalidStatement", "Enter a principal: an account ID, an ARN or *.", 400)
    if not statement.actions or any(a not in allowed for a in statement.actions):
        raise ApiError("InvalidStatement", "Choose one or more actions from the list.", 400)
    if not statement.resources:
        raise ApiError("InvalidStatement", "Enter at least one resource ARN.", 400)


def add_statement(text: str, statement: Statement, allowed: tuple[str, ...]) -> str:
    """`text` (a policy, or empty) with the statement appended, pretty-printed; ApiError
    (shown above the editor) when the text is not a JSON object or the form is incomplete."""
    _check(statement, allowed)
    document: Any = {"Version": "2012-10-17", "Statement": []}
    if text.strip():
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ApiError(
                "MalformedPolicy", f"The policy is not valid JSON ({exc}); fix it first.", 400
            ) from exc
        if not isinstance(document, dict):
            raise ApiError("MalformedPolicy", "The policy must be a JSON object.", 400)
    existing = document.get("Statement", [])
    statements = existing if isinstance(existing, list) else [existing]
    statements.append(
        {
            "Effect": statement.effect,
            "Principal": principal_of(statement.principal),
            "Action": statement.actions[0] if len(statement.actions) == 1 else statement.actions,
            "Resource": (
                statement.resources[0] if len(statement.resources) == 1 else statement.resources
            ),
        }
    )
    document["Statement"] = statements
    return json.dumps(document, indent=2)
