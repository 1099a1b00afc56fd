"""Template filters: sizes and times as people read them."""

from __future__ import annotations

import jinja2
from markupsafe import Markup, escape

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_size(size: int) -> str:
    """Bytes in the largest unit that keeps the number at least 1 (1024-based, as AWS's console)."""
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def time_tag(iso: str) -> Markup:
    """A `<time>` element: UTC in the page, turned into the browser's zone by console.js."""
    if not iso:
        return Markup("")
    text = iso.replace("T", " ").replace("Z", " UTC").replace("+00:00", " UTC")
    return Markup('<time datetime="{}">{}</time>').format(escape(iso), escape(text))


def install(env: jinja2.Environment) -> None:
    """Register the filters on the console's template environment."""
    env.filters["size"] = human_size
    env.filters["time"] = time_tag
