"""IAM operations by Query `Action` name."""

from __future__ import annotations

from mrap.operation import Route

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"

OPERATIONS: dict[str, Route] = {}
