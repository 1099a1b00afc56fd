"""Reading IAM Query parameters with the constraints of IAM's model, and IAM's wording.

IAM checks every parameter of a request against its shape and reports all violations at once:
`2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member
must not be null; Value …`. Lists arrive flattened (`Tags.member.1.Key`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mrap import errors


@dataclass(frozen=True)
class Text:
    """A string shape: length bounds, an optional pattern (Java syntax IAM states), or an enum."""

    min: int = 0
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_regex", re.compile(self.pattern, re.ASCII))

    def problem(self, value: str) -> str | None:
        """What is wrong with `value` in IAM's words, or None."""
        if self.enum and value not in self.enum:
            return f"Member must satisfy enum value set: [{', '.join(self.enum)}]"
        if len(value) < self.min:
            return f"Member must have length greater than or equal to {self.min}"
        if self.max is not None and len(value) > self.max:
            return f"Member must have length less than or equal to {self.max}"
        if self._regex is not None and not self._regex.fullmatch(value):
            return f"Member must satisfy regular expression pattern: {self.pattern}"
        return None


_NAME = r"[\w+=,.@-]+"
USER_NAME = Text(1, 64, _NAME)
EXISTING_USER_NAME = Text(1, 128, _NAME)
GROUP_NAME = Text(1, 128, _NAME)
ROLE_NAME = Text(1, 64, _NAME)
POLICY_NAME = Text(1, 128, _NAME)
PATH = Text(1, 512, r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)")
PATH_PREFIX = Text(1, 512, r"\u002F[\u0021-\u007F]*")
POLICY_PATH = Text(1, 512, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")
POLICY_DOCUMENT = Text(1, 131072, r"[\u0009\u000A\u000D\u0020-\u00FF]+")
ACCESS_KEY_ID = Text(16, 128, r"[\w]+")
STATUS = Text(enum=("Active", "Inactive", "Expired"))
MARKER = Text(1, 320, r"[\u0020-\u00FF]+")
ARN = Text(20, 2048)
VERSION_ID = Text(pattern=r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
ROLE_DESCRIPTION = Text(0, 1000, r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*")
POLICY_DESCRIPTION = Text(0, 1000)
TAG_KEY = Text(1, 128)
TAG_VALUE = Text(0, 256)
ENTITY_TYPE = Text(enum=("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"))
POLICY_SCOPE = Text(enum=("All", "AWS", "Local"))
MAX_TAGS = 50


def _member(name: str) -> str:
    """IAM names a parameter in messages with a lower-case first letter (`userName`)."""
    return name[:1].lower() + name[1:]


class Params:
    """The parameters of one request; collect values, then `check()` raises what was wrong."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw
        self._problems: list[str] = []

    def _report(self, at: str, value: str | None, problem: str) -> None:
        shown = "null" if value is None else f"'{value}'"
        self._problems.append(f"Value {shown} at '{at}' failed to satisfy constraint: {problem}")

    def text(self, name: str, shape: Text) -> str | None:
        """An optional string parameter (None when absent)."""
        value = self.raw.get(name)
        if value is not None and (problem := shape.problem(value)):
            self._report(_member(name), value, problem)
        return value

    def required(self, name: str, shape: Text) -> str:
        """A required string parameter ("" stands in when absent, and is reported)."""
        value = self.text(name, shape)
        if value is None:
            self._report(_member(name), None, "Member must not be null")
            return ""
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        """An optional integer parameter within [low, high]."""
        value = self.raw.get(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise errors.ValidationError(f"Invalid value {value!r} for parameter {name}.") from None
        if number < low:
            self._report(
                _member(name), value, f"Member must have value greater than or equal to {low}"
            )
        elif number > high:
            self._report(
                _member(name), value, f"Member must have value less than or equal to {high}"
            )
        return number

    def boolean(self, name: str) -> bool | None:
        """An optional boolean parameter ("true"/"false")."""
        value = self.raw.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise errors.ValidationError(f"Invalid value {value!r} for parameter {name}.")
        return value.lower() == "true"

    def members(self, name: str) -> list[str]:
        """A list of strings: `Name.member.1`, `Name.member.2`, … in order."""
        found: list[tuple[int, str]] = []
        prefix = f"{name}.member."
        for key, value in self.raw.items():
            if key.startswith(prefix) and key[len(prefix) :].isdigit():
                found.append((int(key[len(prefix) :]), value))
        return [value for _, value in sorted(found)]

    def tags(self) -> tuple[tuple[str, str], ...]:
        """`Tags.member.N.Key` / `.Value` pairs, checked as IAM checks them."""
        keys: dict[int, dict[str, str]] = {}
        for param, text in self.raw.items():
            parts = param.split(".")
            if len(parts) == 4 and parts[:2] == ["Tags", "member"] and parts[2].isdigit():
                keys.setdefault(int(parts[2]), {})[parts[3]] = text
        tags: list[tuple[str, str]] = []
        for n in sorted(keys):
            entry = keys[n]
            key, value = entry.get("Key"), entry.get("Value")
            if key is None:
                self._report(f"tags.{n}.member.key", None, "Member must not be null")
            elif problem := TAG_KEY.problem(key):
                self._report(f"tags.{n}.member.key", key, problem)
            if value is None:
                self._report(f"tags.{n}.member.value", None, "Member must not be null")
            elif problem := TAG_VALUE.problem(value):
                self._report(f"tags.{n}.member.value", value, problem)
            tags.append((key or "", value or ""))
        if len(tags) > MAX_TAGS:
            self._report("tags", None, f"Member must have length less than or equal to {MAX_TAGS}")
        if len({k.lower() for k, _ in tags}) != len(tags):
            raise errors.InvalidInput("Duplicate tag keys found. Please note that Tag keys are "
                                      "case insensitive.")  # fmt: skip
        return tuple(tags)

    def unsupported(self, *names: str) -> None:
        """Refuse parameters this server does not implement rather than silently ignore them."""
        for param in names:
            if param in self.raw:
                raise errors.S3NotImplemented(f"{param} is not implemented by this server.")

    def check(self) -> None:
        """Raise ValidationError listing every violation found so far."""
        problems = self._problems
        if problems:
            count = len(problems)
            noun = "error" if count == 1 else "errors"
            raise errors.ValidationError(
                f"{count} validation {noun} detected: {'; '.join(problems)}"
            )
