"""The Condition element: every operator, `IfExists`, `ForAnyValue:` / `ForAllValues:`.

Semantics, as the IAM User Guide documents them:
- several operators in a block, and several keys under one operator, must all hold (AND);
- several values for one key: any may match (OR); a negated operator (`StringNotEquals`,
  `NotIpAddress`…) holds when the request value matches none of them;
- a key missing from the request: the condition is false, except that negated operators are
  then true, `…IfExists` is true, `ForAllValues:` is true and `ForAnyValue:` is false; `Null`
  tests presence itself;
- with `ForAnyValue:` / `ForAllValues:` each request value is tested against the policy values
  and any / every request value must pass; a request key with several values and no set
  qualifier is treated like `ForAnyValue:` (negated: no request value may match).
Policy variables are expanded in String, Arn and Bool values only (AWS does not expand them in
Numeric, Date, Binary, IP or Null values).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mrap.iam.variables import Lookup, Segment, Template, parse_template, segments_to_regex
from mrap.iam.wildcard import compiled

Predicate = Callable[[str], bool]
"""True when a request value matches at least one policy value (the positive sense)."""

# base operator name -> (family, negated)
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string_ic", False),
    "StringNotEqualsIgnoreCase": ("string_ic", True),
    "StringLike": ("like", False),
    "StringNotLike": ("like", True),
    "NumericEquals": ("numeric_eq", False),
    "NumericNotEquals": ("numeric_eq", True),
    "NumericLessThan": ("numeric_lt", False),
    "NumericLessThanEquals": ("numeric_le", False),
    "NumericGreaterThan": ("numeric_gt", False),
    "NumericGreaterThanEquals": ("numeric_ge", False),
    "DateEquals": ("date_eq", False),
    "DateNotEquals": ("date_eq", True),
    "DateLessThan": ("date_lt", False),
    "DateLessThanEquals": ("date_le", False),
    "DateGreaterThan": ("date_gt", False),
    "DateGreaterThanEquals": ("date_ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}
_COMPARE = {"eq": operator.eq, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
            "ge": operator.ge}  # fmt: skip
_VARIABLE_FAMILIES = frozenset({"string", "string_ic", "like", "arn", "bool"})
_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


class ConditionError(ValueError):
    """A Condition element the grammar refuses: reason is operator, shape, date or ip."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True, slots=True)
class OperatorName:
    """A parsed operator name such as `ForAnyValue:StringLikeIfExists`."""

    base: str
    qualifier: str | None  # "ForAnyValue" / "ForAllValues"
    if_exists: bool


def parse_operator(name: str) -> OperatorName | None:
    """Split an operator name into its parts; None when it is not a known operator."""
    qualifier = None
    rest = name
    for q in _QUALIFIERS:
        if rest.startswith(q):
            qualifier, rest = q[:-1], rest[len(q) :]
            break
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    if if_exists:
        rest = rest[: -len("IfExists")]
    if rest not in OPERATORS or (rest == "Null" and if_exists):
        return None
    return OperatorName(rest, qualifier, if_exists)


_EPOCH_MAX = 2**63 - 1
_ISO = re.compile(
    r"^(-?\d+)(?:-(\d{1,2})(?:-(\d{1,2}))?)?"  # year, month, day
    r"(?:T(\d{1,2})?(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?"  # hour, minute, second
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?$",  # zone
    re.IGNORECASE,
)


def parse_date(text: str) -> float | None:
    """Seconds since the epoch for a Date condition value; None if IAM would refuse it.

    IAM accepts epoch seconds (0 to 2**63-1) and a lenient ISO 8601: `2020`, `2020-01`,
    `2020-01-01`, `01T`, `2016-12-13t2:00:00.593194+23`, negative years. Dates without a zone
    are UTC. Out-of-range parts (month 13, second 60, a 10-digit fraction) are refused.
    """
    s = text.strip()
    if s.isdigit():
        n = int(s)
        return float(n) if n <= _EPOCH_MAX else None
    m = _ISO.match(s)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    y, mo, d = int(year), int(month or 1), int(day or 1)
    h, mi, sec = int(hour or 0), int(minute or 0), int(second or 0)
    if not (-292275054 <= y <= 292278993 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    if h > 23 or mi > 59 or sec > 59:
        return None
    offset = 0
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        zh, zm = int(digits[:2]), int(digits[2:] or 0)
        if zh > 23 or zm > 59:
            return None
        offset = sign * (zh * 3600 + zm * 60)
    # Days from the epoch by the proleptic Gregorian calendar, valid for any year (datetime
    # stops at 1..9999); an over-long month (Feb 31) simply runs into the next one.
    a = (14 - mo) // 12
    yy, mm = y + 4800 - a, mo + 12 * a - 3
    jdn = d + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
    days = jdn - 2440588
    frac = float("0." + fraction) if fraction else 0.0
    return days * 86400 + h * 3600 + mi * 60 + sec + frac - offset


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)  # a bare address means /32, /128
    except ValueError:
        return None


def _arn_regex(segments: tuple[Segment, ...]) -> str | None:
    """Regex for an Arn pattern: the first five `:`-separated parts match one by one."""
    out: list[str] = []
    part = 0
    for text, wild in segments:
        for ch in text:
            if ch == ":" and part < 5:
                part += 1
                out.append(":")
            elif wild and ch == "*":
                out.append("[^:]*" if part < 5 else ".*")
            elif wild and ch == "?":
                out.append("[^:]" if part < 5 else ".")
            else:
                out.append(re.escape(ch))
    return "".join(out) if part == 5 else None


def _any_regex(sources: list[str]) -> Predicate:
    if not sources:
        return lambda _: False
    rx = compiled("(?:" + "|".join(sources) + ")")
    return lambda v: rx.fullmatch(v) is not None


def _build(family: str, values: list[str], segments: list[tuple[Segment, ...]]) -> Predicate:
    """The positive-sense predicate for already-rendered policy values."""
    if family == "string":
        exact = frozenset(values)
        return exact.__contains__
    if family == "string_ic":
        lowered = frozenset(v.lower() for v in values)
        return lambda v: v.lower() in lowered
    if family == "bool":
        flags = frozenset(v.lower() for v in values)
        return lambda v: v.lower() in flags
    if family == "like":
        return _any_regex([segments_to_regex(s) for s in segments])
    if family == "arn":
        return _any_regex([r for s in segments if (r := _arn_regex(s)) is not None])
    if family.startswith(("numeric_", "date_")):
        kind, op = family.split("_")
        parse = _number if kind == "numeric" else parse_date
        bounds = [b for v in values if (b := parse(v)) is not None]
        cmp = _COMPARE[op]

        def ordered(v: str) -> bool:
            x = parse(v)
            return x is not None and any(cmp(x, b) for b in bounds)

        return ordered
    if family == "binary":
        blobs = frozenset(_decode(v) for v in values)
        return lambda v: _decode(v) in blobs
    if family == "ip":
        nets = [n for v in values if (n := _network(v)) is not None]

        def inside(v: str) -> bool:
            try:
                addr = ipaddress.ip_address(v.strip())
            except ValueError:
                return False
            return any(addr.version == n.version and addr in n for n in nets)

        return inside
    raise AssertionError(family)


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    """One (operator, key) pair with its policy values, compiled."""

    operator: str
    key: str  # lower case
    family: str
    negated: bool
    if_exists: bool
    qualifier: str | None
    templates: tuple[Template, ...]
    static: Predicate | None  # set when no value uses a variable

    def predicate(self, lookup: Lookup) -> Predicate:
        """The positive-sense predicate, rendering policy variables if there are any."""
        if self.static is not None:
            return self.static
        values: list[str] = []
        segments: list[tuple[Segment, ...]] = []
        for t in self.templates:
            segs = t.segments(lookup)
            if segs is None:
                continue  # an unresolved variable: this value matches nothing
            segments.append(segs)
            values.append("".join(text for text, _ in segs))
        return _build(self.family, values, segments)

    def holds(self, lookup: Lookup) -> bool:
        """Evaluate the condition against the request context."""
        raw = lookup(self.key)
        if self.family == "null":
            present = raw is not None and (isinstance(raw, str) or len(raw) > 0)
            flags = {t.source.lower() for t in self.templates}
            return ("false" in flags) if present else ("true" in flags)
        if raw is None or (not isinstance(raw, str) and not raw):
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.negated
        match = self.static or self.predicate(lookup)
        if isinstance(raw, str):  # the common case: one value, one call
            return match(raw) != self.negated
        if self.qualifier == "ForAllValues":
            return all(match(v) != self.negated for v in raw)
        if self.qualifier == "ForAnyValue":
            return any(match(v) != self.negated for v in raw)
        if self.negated:
            return not any(match(v) for v in raw)
        return any(match(v) for v in raw)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ConditionError("shape")


def compile_condition(
    name: str, op: OperatorName, key: str, raw: Any, variables: bool
) -> Condition:
    """Compile one key of an operator block; raises ConditionError on bad values."""
    family, negated = OPERATORS[op.base]
    items = raw if isinstance(raw, list) else [raw]
    texts = [_scalar(v) for v in items]
    if family.startswith("date_") and any(parse_date(t) is None for t in texts):
        raise ConditionError("date", name)
    if family == "ip" and any(_network(t) is None for t in texts):
        raise ConditionError("ip", name)
    expand = variables and family in _VARIABLE_FAMILIES
    templates = tuple(parse_template(t, expand) for t in texts)
    static: Predicate | None = None
    if family != "null" and all(t.is_static for t in templates):
        segs = [s for t in templates if (s := t.segments(_no_lookup)) is not None]
        static = _build(family, ["".join(x for x, _ in s) for s in segs], segs)
    return Condition(
        name, key.lower(), family, negated, op.if_exists, op.qualifier, templates, static
    )


def _no_lookup(_: str) -> None:
    return None


def compile_block(raw: Any, variables: bool, allow_unknown_empty: bool) -> tuple[Condition, ...]:
    """Compile a statement's Condition element (a JSON object of operator blocks).

    `allow_unknown_empty`: IAM accepts an unknown operator whose block is empty; S3 does not.
    """
    if not isinstance(raw, dict):
        raise ConditionError("shape")
    out: list[Condition] = []
    for name, block in raw.items():
        op = parse_operator(name)
        if not isinstance(block, dict):
            raise ConditionError("shape" if op is not None else "operator", name)
        if op is None:
            if allow_unknown_empty and not block:
                continue
            raise ConditionError("operator", name)
        for key, value in block.items():
            if isinstance(value, dict) or (
                isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
            ):
                raise ConditionError("shape", name)
            out.append(compile_condition(name, op, key, value, variables))
    # Cheap, static conditions first so a failing one stops the rest early.
    out.sort(key=lambda c: c.static is None)
    return tuple(out)
