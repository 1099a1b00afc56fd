"""Policy variables: `${aws:username}`, `${s3:prefix}`, `${*}`, `${key, 'default'}`.

A string from a policy is parsed once into a `Template`: literal policy text (where `*` and
`?` keep their wildcard meaning in Like operators and in Resource), fixed characters from
`${*}`, `${?}`, `${$}` (never wildcards), and variable references. At request time a template
is rendered against the request context. A reference to a key the context does not have, or
has with several values, cannot be resolved; unless it names a default, the rendering fails and
that policy value matches nothing, which is how AWS documents "the statement does not apply".

Variables exist only in policies of Version 2012-10-17; in older policies `${...}` is literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mrap.iam.wildcard import Matcher, compile_glob, compiled, glob_to_regex

ContextValue = str | tuple[str, ...]
Lookup = Callable[[str], ContextValue | None]
"""Finds a context value by lower-case key; None when the request does not carry the key."""

SPECIAL_CHARACTERS = {"*": "*", "?": "?", "$": "$"}

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
# `key` or `key, 'default'` where a quote inside the default is doubled: `'it''s'`.
_KEY_AND_DEFAULT = re.compile(r"^\s*([^,'\s][^,']*?)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$")


@dataclass(frozen=True, slots=True)
class Fixed:
    """Text that must be matched character for character (from `${*}`, `${?}`, `${$}`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A reference to a request context key, with an optional default."""

    key: str
    default: str | None = None


Part = str | Fixed | Variable
Segment = tuple[str, bool]
"""Rendered text and whether `*` and `?` in it are wildcards."""


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string, possibly with variables, parsed once."""

    source: str
    parts: tuple[Part, ...]
    # Regex source of each part, computed once; variables are escaped at request time.
    _regex: tuple[str | Variable, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        pieces: list[str | Variable] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(glob_to_regex(part))
            elif isinstance(part, Fixed):
                pieces.append(re.escape(part.text))
            else:
                pieces.append(part)
        object.__setattr__(self, "_regex", tuple(pieces))

    @property
    def is_static(self) -> bool:
        """True when no part depends on the request (no variables)."""
        return not any(isinstance(p, Variable) for p in self.parts)

    @property
    def has_references(self) -> bool:
        """True when the string used `${...}` at all (variables or special characters)."""
        return any(not isinstance(p, str) for p in self.parts)

    def segments(self, lookup: Lookup) -> tuple[Segment, ...] | None:
        """Rendered pieces with their wildcard flag, or None if a variable is unresolved."""
        out: list[Segment] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append((part, True))
            elif isinstance(part, Fixed):
                out.append((part.text, False))
            else:
                value = resolve(part, lookup)
                if value is None:
                    return None
                out.append((value, False))  # substituted values are never patterns
        return tuple(out)

    def matcher(self, lookup: Lookup) -> Matcher | None:
        """A wildcard matcher for the rendered pattern, or None when it cannot be rendered."""
        if not self.has_references:
            return compile_glob(self.source)
        out: list[str] = []
        for piece in self._regex:
            if isinstance(piece, str):
                out.append(piece)
            else:
                value = resolve(piece, lookup)
                if value is None:
                    return None
                out.append(re.escape(value))  # substituted values are never patterns
        return compiled("".join(out)).fullmatch


def resolve(var: Variable, lookup: Lookup) -> str | None:
    """The value a variable stands for: the single context value, else its default, else None."""
    value = lookup(var.key)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and len(value) == 1:
        return value[0]
    return var.default


def segments_to_regex(segments: tuple[Segment, ...]) -> str:
    """Regex source where wildcard segments keep `*`/`?` and the others are escaped."""
    return "".join(glob_to_regex(text) if wild else re.escape(text) for text, wild in segments)


def parse_template(text: str, variables: bool = True) -> Template:
    """Parse a policy string; with `variables` False (Version 2008-10-17) it stays literal."""
    if not variables or "${" not in text:
        return Template(text, (text,))
    parts: list[Part] = []
    pos = 0
    for m in _REFERENCE.finditer(text):
        inner = m.group(1)
        part: Part
        if inner in SPECIAL_CHARACTERS:
            part = Fixed(SPECIAL_CHARACTERS[inner])
        else:
            km = _KEY_AND_DEFAULT.match(inner)
            if km is None:
                continue  # not a well-formed reference: AWS leaves such text as it is
            default = km.group(2)
            part = Variable(
                km.group(1).lower(), None if default is None else default.replace("''", "'")
            )
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        parts.append(part)
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(text, tuple(parts))
