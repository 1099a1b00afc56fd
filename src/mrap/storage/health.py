"""Which region stores are healthy right now, as routing asks many times a second.

A region is unhealthy when an operator has marked it down (`mrap region down NAME`, kept in
the control store so every gateway process sees it) or when its store fails its own probe.
Answers are cached for a second (`health_interval`): a probe per request would cost more than
the request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from mrap.storage.base import RegionStore


class Health:
    """Cached health of the region stores of one gateway process."""

    def __init__(
        self,
        stores: Mapping[str, RegionStore],
        marked_down: Callable[[], frozenset[str]],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`interval`: seconds an answer is reused; a failing region is skipped within it."""
        self._stores = stores
        self._marked_down = marked_down
        self._interval = interval
        self._clock = clock
        self._checked = -interval
        self._down: frozenset[str] = frozenset()

    def healthy(self, region: str) -> bool:
        """Whether requests may be routed to `region`."""
        now = self._clock()
        if now - self._checked >= self._interval:
            marked = self._marked_down()
            failing = {name for name, store in self._stores.items() if not store.healthy()}
            self._down = marked | failing
            self._checked = now
        return region in self._stores and region not in self._down
