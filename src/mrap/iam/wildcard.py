"""`*` and `?` patterns, compiled once into the cheapest matcher that does the job.

Policies are parsed once and evaluated on every request, so each pattern is turned at parse
time into: a constant (`*`), a string comparison (no wildcard), a prefix test (`abc*`), or a
regular expression (anything else). Sets of patterns collapse into one hash lookup plus at most
one alternation regex, so matching an action against a 20-statement policy costs two calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

Matcher = Callable[[str], object]
"""Returns a truthy value when the string matches (a bool, or a regex match object)."""


def has_wildcard(text: str) -> bool:
    """True when `text` contains `*` or `?`."""
    return "*" in text or "?" in text


def glob_to_regex(pattern: str) -> str:
    """Regex source for a policy pattern: `*` is any run of characters, `?` exactly one."""
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            if not out or out[-1] != ".*":  # `**` means the same as `*`; keep the regex linear
                out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def compiled(source: str) -> re.Pattern[str]:
    """Compile regex source once; DOTALL because object keys may contain new lines."""
    return re.compile(source, re.DOTALL)


def _always(_: str) -> bool:
    return True


def _never(_: str) -> bool:
    return False


def compile_glob(pattern: str) -> Matcher:
    """A matcher for one pattern (case-sensitive; callers lower-case both sides if needed)."""
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        return pattern.__eq__
    body = pattern[:-1]
    if pattern.endswith("*") and not has_wildcard(body):
        return lambda s: s.startswith(body)
    return compiled(glob_to_regex(pattern)).fullmatch


class PatternSet:
    """Many patterns matched at once: any of them matching makes the set match.

    Exact patterns go in a frozenset, `prefix*` patterns in a tuple for `str.startswith`, and
    everything else into one alternation regex: at most three C-level calls per match.
    """

    __slots__ = ("_any", "_exact", "_prefixes", "_regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        exact: set[str] = set()
        prefixes: set[str] = set()
        wild: set[str] = set()
        self._any = False
        for p in patterns:
            if p and p.strip("*") == "":
                self._any = True
            elif not has_wildcard(p):
                exact.add(p)
            elif p.endswith("*") and not has_wildcard(p[:-1]):
                prefixes.add(p[:-1])
            else:
                wild.add(glob_to_regex(p))
        self._exact = frozenset(exact)
        self._prefixes = tuple(sorted(prefixes))
        self._regex: Matcher | None = (
            compiled("(?:" + "|".join(sorted(wild)) + ")").fullmatch if wild else None
        )

    def matches(self, value: str) -> bool:
        """True when any pattern of the set matches `value`."""
        if self._any or value in self._exact:
            return True
        if self._prefixes and value.startswith(self._prefixes):
            return True
        return self._regex is not None and bool(self._regex(value))
