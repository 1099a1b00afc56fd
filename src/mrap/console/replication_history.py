"""The last hour of replication figures, sampled by the console from the gateway's `/metrics`.

The gateway exposes only the present (Prometheus scrapes keep history elsewhere); the console
keeps a small ring of samples in its own memory so that an access point's page can chart its
backlog and latency without any other service. A restart of the gateway empties the ring.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field

HOUR = 3600.0
SAMPLE_SECONDS = 10.0  # the background sampler's period
_KEEP = int(HOUR / SAMPLE_SECONDS) + 60  # an hour of background samples and a few on demand
_LINE = re.compile(r"^(\w+)\{(.*)\}\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_BACKLOG_SERIES = (
    "mrap_replication_pending_operations",
    "mrap_replication_in_flight_operations",
    "mrap_replication_backfill_versions",
)
_LATENCY_SERIES = "mrap_replication_latency_seconds"


@dataclass(frozen=True)
class Sample:
    """Per source bucket, at one moment: versions not yet copied, and the last copy's latency."""

    at: float  # seconds since the epoch
    backlog: dict[str, float] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One moment of an access point's chart, summed over its buckets."""

    at: float
    backlog: float
    latency: float


def parse_metrics(text: str, at: float) -> Sample:
    """A sample from the Prometheus text of `GET /metrics`."""
    sample = Sample(at)
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name, labels_text, value_text = match.groups()
        labels = dict(_LABEL.findall(labels_text))
        bucket = labels.get("bucket", "")
        try:
            value = float(value_text)
        except ValueError:
            continue
        if name in _BACKLOG_SERIES:
            sample.backlog[bucket] = sample.backlog.get(bucket, 0.0) + value
        elif name == _LATENCY_SERIES and labels.get("quantile") == "last":
            sample.latency[bucket] = max(sample.latency.get(bucket, 0.0), value)
    return sample


class History:
    """The samples of the last hour, oldest first."""

    def __init__(self) -> None:
        self._samples: deque[Sample] = deque(maxlen=_KEEP)

    def add(self, sample: Sample) -> None:
        """Keep a sample (and forget those older than an hour)."""
        self._samples.append(sample)
        while self._samples and self._samples[0].at < sample.at - HOUR:
            self._samples.popleft()

    def latest_age(self, now: float | None = None) -> float:
        """Seconds since the newest sample (infinite when there is none)."""
        if not self._samples:
            return float("inf")
        return (time.time() if now is None else now) - self._samples[-1].at

    def points(self, buckets: list[str], now: float | None = None) -> list[Point]:
        """The access point's curve over the last hour: backlog summed over its buckets,
        latency the largest of theirs."""
        cutoff = (time.time() if now is None else now) - HOUR
        return [
            Point(
                s.at,
                sum(s.backlog.get(b, 0.0) for b in buckets),
                max((s.latency.get(b, 0.0) for b in buckets), default=0.0),
            )
            for s in self._samples
            if s.at >= cutoff
        ]
