"""The asynchronous operations the console started, remembered per access point.

S3 Control has no operation that lists an access point's operations (only
DescribeMultiRegionAccessPointOperation of a known request token), so the Operations tab shows
the ones started from this console since the gateway started: create, policy changes, delete.
Each is described afresh, as the signed-in user, when the tab is shown.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from mrap.console.calls import Calls, Operation
from mrap.console.client import ApiError

_PER_ACCESS_POINT = 50  # the most recent operations kept for each access point


@dataclass(frozen=True)
class Described:
    """An operation's request token with its description, or the error describing it gave."""

    token: str
    operation: Operation | None
    error: ApiError | None


class OperationLog:
    """Request tokens by (account, access point name), newest last."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], deque[str]] = {}

    def record(self, account: str, name: str, token: str) -> None:
        """Remember an operation this console started."""
        if token:
            tokens = self._tokens.setdefault((account, name), deque(maxlen=_PER_ACCESS_POINT))
            tokens.append(token)

    def tokens(self, account: str, name: str) -> list[str]:
        """The remembered tokens of one access point, newest first."""
        return list(reversed(self._tokens.get((account, name), ())))


async def describe_all(api: Calls, tokens: list[str]) -> list[Described]:
    """DescribeMultiRegionAccessPointOperation of each token, side by side."""

    async def describe(token: str) -> Described:
        try:
            return Described(
                token, await api.describe_multi_region_access_point_operation(token), None
            )
        except ApiError as exc:
            return Described(token, None, exc)

    return list(await asyncio.gather(*(describe(t) for t in tokens)))
