"""Replication figures for people and for Prometheus, read from the region stores' queues
and counters (so they cover every gateway process)."""

from __future__ import annotations

from mrap.replication.backfill import backfills
from mrap.services import Services
from mrap.storage.replication_records import ReplicationFigures


def percentile(ordered: tuple[float, ...], fraction: float) -> float:
    """A percentile of sorted samples (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def all_figures(services: Services) -> list[tuple[str, ReplicationFigures]]:
    """(region, figures) of every source bucket, destination and rule, in every region
    store."""
    return [
        (region, figures)
        for region, store in sorted(services.regions.items())
        for figures in store.replication_figures()
    ]


_SERIES = (
    ("mrap_replication_pending_operations", "gauge", "Replication tasks waiting."),
    ("mrap_replication_in_flight_operations", "gauge", "Replication tasks being copied."),
    ("mrap_replication_pending_bytes", "gauge", "Bytes of the object versions not copied yet."),
    ("mrap_replication_failed_operations", "gauge", "Versions whose replication gave up."),
    ("mrap_replication_operations_total", "counter", "Copies completed."),
    ("mrap_replication_bytes_total", "counter", "Bytes copied."),
    ("mrap_replication_failures_total", "counter", "Failed copy attempts."),
    ("mrap_replication_latency_seconds", "gauge", "Seconds from a write to its copy."),
)


def _values(f: ReplicationFigures) -> list[list[tuple[str, float]]]:
    latency = [
        ('quantile="last"', f.last_latency),
        ('quantile="0.5"', percentile(f.latencies, 0.5)),
        ('quantile="0.99"', percentile(f.latencies, 0.99)),
    ]
    return [
        [("", f.pending_operations)],
        [("", f.in_flight)],
        [("", f.pending_bytes)],
        [("", f.failed_operations)],
        [("", f.operations)],
        [("", f.bytes)],
        [("", f.failures)],
        latency,
    ]


def _label(value: str) -> str:
    """A label value as the exposition format writes it (rule IDs are free text)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(services: Services) -> str:
    """Replication figures in the Prometheus text exposition format."""
    figures = all_figures(services)
    lines: list[str] = []
    for index, (name, kind, help_text) in enumerate(_SERIES):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for region, f in figures:
            labels = (
                f'region="{region}",bucket="{f.bucket}",destination="{f.destination}"'
                f',rule="{_label(f.rule)}"'
            )
            for extra, value in _values(f)[index]:
                all_labels = f"{labels},{extra}" if extra else labels
                lines.append(f"{name}{{{all_labels}}} {value:g}")
    name = "mrap_replication_backfill_versions"
    lines += [
        f"# HELP {name} Existing versions a backfill has yet to consider.",
        f"# TYPE {name} gauge",
    ]
    for running in backfills(services):
        labels = f'region="{running.region}",bucket="{running.bucket}"'
        lines.append(f"{name}{{{labels}}} {running.remaining}")
    return "\n".join(lines) + "\n"


def status_lines(figures: list[tuple[str, ReplicationFigures]]) -> list[str]:
    """A table of replication figures for `mrap replication status`."""
    lines = [
        "SOURCE\tDESTINATION\tRULE\tPENDING\tIN_FLIGHT\tPENDING_BYTES\tFAILED\tDONE\tBYTES"
        "\tFAILURES\tLAST_S\tP50_S\tP99_S"
    ]
    for region, f in figures:
        lines.append(
            f"{f.bucket} ({region})\t{f.destination}\t{' '.join(f.rule.split())}"
            f"\t{f.pending_operations}\t{f.in_flight}\t{f.pending_bytes}"
            f"\t{f.failed_operations}\t{f.operations}\t{f.bytes}\t{f.failures}"
            f"\t{f.last_latency:.3f}\t{percentile(f.latencies, 0.5):.3f}"
            f"\t{percentile(f.latencies, 0.99):.3f}"
        )
    return lines
