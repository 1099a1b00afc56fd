"""`mrap replicate` and `mrap replication status`: the command-line side of replication."""

from __future__ import annotations

import asyncio
import sys

from mrap import errors
from mrap.config import Settings
from mrap.replication.access_point import replicate_access_point
from mrap.replication.metrics import all_figures, status_lines
from mrap.services import Services


def replicate_command(settings: Settings, account_id: str, name: str) -> int:
    """Make an access point's buckets replicate to each other; exit status."""
    services = Services.open(settings)
    try:
        configured = asyncio.run(replicate_access_point(services, account_id, name))
    except errors.S3Error as exc:
        print(f"mrap: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        services.close()
    if not configured:
        print(f"{name}: one bucket, nothing to replicate to")
    for bucket in configured:
        others = [b for b in configured if b != bucket]
        print(f"{bucket} -> {', '.join(others)}")
    return 0


def status_command(settings: Settings, account_id: str, name: str) -> int:
    """Print the replication figures of an access point's buckets; exit status."""
    services = Services.open(settings)
    try:
        point = services.mraps.get(account_id, name)
        if point is None:
            print(f"mrap: no access point {name!r} in account {account_id}", file=sys.stderr)
            return 1
        buckets = {region.bucket for region in point.regions}
        figures = [(r, f) for r, f in all_figures(services) if f.bucket in buckets]
    finally:
        services.close()
    print("\n".join(status_lines(figures)))
    return 0
