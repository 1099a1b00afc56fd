"""STS parameter validation with the messages AWS gives.

AWS checks every member against its model constraints and reports all violations at once:
`2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint:
Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value …`. Members are named
in lower camel case; for one member the pattern violation comes before the length one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mrap import errors


@dataclass(frozen=True)
class StringRule:
    """The model constraints of a string parameter."""

    min_length: int
    max_length: int
    pattern: str | None = None  # as AWS prints it in the message

    def violations(self, value: str) -> list[str]:
        """What `value` breaks, in AWS's order."""
        found = []
        if self.pattern is not None and not re.fullmatch(self.pattern, value, re.ASCII):
            found.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if len(value) < self.min_length:
            found.append(f"Member must have length greater than or equal to {self.min_length}")
        if len(value) > self.max_length:
            found.append(f"Member must have length less than or equal to {self.max_length}")
        return found


@dataclass(frozen=True)
class IntRule:
    """The model constraints of an integer parameter."""

    minimum: int
    maximum: int


# The members' patterns as the STS model writes them (`\w` is Java's: ASCII letters, digits, _).
ARN = StringRule(20, 2048)
ROLE_SESSION_NAME = StringRule(2, 64, r"[\w+=,.@-]*")
EXTERNAL_ID = StringRule(2, 1224, r"[\w+=,.@:\/-]*")
SOURCE_IDENTITY = StringRule(2, 256, r"[\w+=,.@-]*")
SESSION_POLICY = StringRule(1, 1 << 20)
ROLE_DURATION = IntRule(900, 43200)
SESSION_DURATION = IntRule(900, 129600)


class Validator:
    """Collects the violations of one request's parameters."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self.problems: list[str] = []

    def _fail(self, value: str | None, member: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{value}'"
        self.problems.append(
            f"Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
        )

    def string(self, name: str, rule: StringRule, *, required: bool = False) -> str | None:
        """The parameter `name` (e.g. "RoleArn"), checked against `rule`."""
        member = name[0].lower() + name[1:]
        value = self.params.get(name)
        if value is None:
            if required:
                self._fail(None, member, "Member must not be null")
            return None
        for constraint in rule.violations(value):
            self._fail(value, member, constraint)
        return value

    def integer(self, name: str, rule: IntRule) -> int | None:
        """The integer parameter `name`, checked against `rule`."""
        member = name[0].lower() + name[1:]
        text = self.params.get(name)
        if text is None:
            return None
        try:
            value = int(text)
        except ValueError:
            self._fail(text, member, "Member must be a number")
            return None
        if value < rule.minimum:
            self._fail(
                text, member, f"Member must have value greater than or equal to {rule.minimum}"
            )
        elif value > rule.maximum:
            self._fail(text, member, f"Member must have value less than or equal to {rule.maximum}")
        return value

    def check(self) -> None:
        """Raise ValidationError naming every violation found so far."""
        count = len(self.problems)
        if count:
            noun = "error" if count == 1 else "errors"
            detail = "; ".join(self.problems)
            raise errors.ValidationError(f"{count} validation {noun} detected: {detail}")
