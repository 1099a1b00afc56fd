"""STS operations by Query `Action` name."""

from __future__ import annotations

from mrap.operation import Route

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

OPERATIONS: dict[str, Route] = {}
