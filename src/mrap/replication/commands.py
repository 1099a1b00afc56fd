"""`mrap replicate` and `mrap replication status`: the command-line side of replication."""

from __future__ import annotations

import asyncio
import sys

from mrap import errors
from mrap.config import Settings
from mrap.replication.access_point import replicate_access_point
from mrap.replication.backlog import backlog
from mrap.replication.metrics import status_lines
from mrap.replication.progress import wait_for_backlog
from mrap.services import Services


def replicate_command(settings: Settings, account_id: str, name: str, wait: bool = True) -> int:
    """Make an access point's buckets replicate to each other and, unless `wait` is False,
    show the backlog (the versions already there included) until it drains; exit status."""
    services = Services.open(settings)
    try:
        try:
            configured = asyncio.run(replicate_access_point(services, account_id, name))
        except errors.S3Error as exc:
            print(f"mrap: {exc.code}: {exc.message}", file=sys.stderr)
            return 1
        if not configured:
            print(f"{name}: one bucket, nothing to replicate to")
        for bucket in configured:
            others = [b for b in configured if b != bucket]
            print(f"{bucket} -> {', '.join(others)}", flush=True)
        if wait and configured:
            try:
                wait_for_backlog(services, name, configured, sys.stdout)
            except KeyboardInterrupt:
                print(f"\n{name}: stopped waiting; the gateway goes on replicating")
                return 130
        return 0
    finally:
        services.close()


def status_command(settings: Settings, account_id: str, name: str) -> int:
    """Print the replication figures and the backlog of an access point's buckets; exit
    status."""
    services = Services.open(settings)
    try:
        point = services.mraps.get(account_id, name)
        if point is None:
            print(f"mrap: no access point {name!r} in account {account_id}", file=sys.stderr)
            return 1
        total, figures, running = backlog(services, {region.bucket for region in point.regions})
    finally:
        services.close()
    lines = status_lines(figures)
    lines += [f"backfill {b.bucket} ({b.region}): {b.remaining} versions left" for b in running]
    lines.append(total.describe())
    print("\n".join(lines))
    return 0
