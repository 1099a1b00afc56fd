"""The routing decision: which of an access point's buckets serves the next request.

AWS sends a request to the closest bucket whose traffic dial is 100. This gateway does the
same, measuring closeness from its own region with a `LatencyTable`, and, unless automatic
failover is off, also skips regions whose store fails its health check: when every active
region is down it falls back to the closest healthy passive one, so a region outage does not
take the access point down. With failover off (AWS's behaviour) an unhealthy active region
still gets its requests, and they fail there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from mrap.routing.latency import LatencyTable


class Route(Protocol):
    """What routing needs to know of one bucket of an access point."""

    @property
    def region(self) -> str: ...

    @property
    def dial(self) -> int: ...


R = TypeVar("R", bound=Route)


def choose(
    routes: Sequence[R],
    home: str,
    latency: LatencyTable,
    healthy: Callable[[str], bool],
    *,
    failover: bool = True,
) -> R | None:
    """The route that serves a request arriving at a gateway in region `home`.

    None only when the access point has no bucket at all; ties go to the region name that
    sorts first, so every gateway process decides alike.
    """

    def nearest(candidates: Sequence[R]) -> R | None:
        return min(candidates, key=lambda r: (latency.ms(home, r.region), r.region), default=None)

    active = [r for r in routes if r.dial > 0]
    if not failover:
        return nearest(active)
    return (
        nearest([r for r in active if healthy(r.region)])
        or nearest([r for r in routes if healthy(r.region)])
        or nearest(active)
    )
