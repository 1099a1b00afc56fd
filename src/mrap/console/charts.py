"""Line charts drawn server-side as inline SVG: no script, no chart library, no other host."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from mrap.console.replication_history import HOUR

_WIDTH, _HEIGHT = 600, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 10, 12, 28  # room for the axes' labels
_TICKS = ((HOUR, "60 min ago"), (HOUR / 2, "30 min ago"), (0.0, "now"))


def _nice_ceiling(value: float) -> float:
    """The y axis's top: the smallest of 1, 2 or 5 times a power of ten at least `value`."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    while scale > value:
        scale /= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def line_chart(
    points: list[tuple[float, float]],
    now: float,
    title: str,
    show: Callable[[float], str],
) -> Markup:
    """An SVG of `(time, value)` points over the hour before `now`, labelled for screen
    readers with its title and latest value; `show` formats a value."""
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    top = _nice_ceiling(max((v for _, v in points), default=0.0))

    def x(at: float) -> float:
        return _LEFT + plot_w * (1 - min(max(now - at, 0.0), HOUR) / HOUR)

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - value / top)

    latest = show(points[-1][1]) if points else "no sample yet"
    label = f"{title} over the last hour; now {latest}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - _RIGHT}" '
        f'y2="{_TOP + plot_h}"/>',
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}"/>',
        f'<line class="grid" x1="{_LEFT}" y1="{_TOP}" x2="{_WIDTH - _RIGHT}" y2="{_TOP}"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end">{escape(show(top))}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end">{escape(show(0))}</text>',
    ]
    for ago, text in _TICKS:
        anchor = "start" if ago == HOUR else "end" if ago == 0 else "middle"
        parts.append(
            f'<text x="{x(now - ago):.1f}" y="{_HEIGHT - 8}" text-anchor="{anchor}">{text}</text>'
        )
    if len(points) == 1:
        at, value = points[0]
        parts.append(f'<circle class="line" cx="{x(at):.1f}" cy="{y(value):.1f}" r="3"/>')
    elif points:
        path = " ".join(f"{x(at):.1f},{y(value):.1f}" for at, value in points)
        parts.append(f'<polyline class="line" points="{path}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
