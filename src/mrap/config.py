"""Settings of a gateway: where it listens, where data lives, which regions it serves.

Values come, in increasing priority, from defaults, an optional TOML file (`MRAP_CONFIG`),
`MRAP_*` environment variables and command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
BOOTSTRAP_ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Settings:
    """Everything a gateway process needs to know at start."""

    host: str = "127.0.0.1"
    port: int = 9000
    # The web console's port on the same host (0: no console). Its own port, as MinIO's:
    # a path or host name on the S3 port would shadow a bucket of that name.
    console_port: int = 9001
    data_dir: Path = Path("data")
    domain: str = "localhost"
    regions: tuple[str, ...] = DEFAULT_REGIONS
    workers: int = 1
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    quiet: bool = False
    body_timeout: float = 20.0  # seconds without body bytes before RequestTimeout
    head_timeout: float = 60.0  # seconds for a request head to arrive whole, then closed
    # Bytes kept free on a region's disk: new data is refused (507 StorageFull) below this,
    # so that deletes still find room to free space.
    reserved_space: int = 64 << 20
    # Seconds a Multi-Region Access Point change takes to "propagate" to its regions: async
    # operations finish, and route submissions hold off concurrent ones, after this long.
    propagation_delay: float = 0.3
    # AWS-faithful: S3 Control MRAP management only signed for us-west-2, routes only for the
    # five failover-control regions. False accepts any signing region.
    control_region_rules: bool = True
    # RestoreObject of an archived (GLACIER, DEEP_ARCHIVE) object: seconds until its restored
    # copy is ready (the bytes are already here, so none by default), and how long a "day"
    # of the request's Days lasts (shorter in tests; a real day rounds expiry to midnight UTC).
    restore_delay: float = 0.0
    restore_day_seconds: float = 86400.0

    # Where this gateway runs: Multi-Region Access Point requests go to the active region
    # closest to it. Empty means the first of `regions`.
    region: str = ""
    # Skip regions whose store fails its health check (AWS does not: False matches it).
    automatic_failover: bool = True
    # Seconds a region health answer (store probes, operator marks) is reused by routing and
    # replication: a region that fails or is marked down is skipped within this long.
    health_interval: float = 1.0
    # Round trips in ms between regions, overriding the estimate: {"us-east-1": {"eu-west-1": 70}}.
    latency: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def home_region(self) -> str:
        """The region this gateway runs in."""
        return self.region or self.regions[0]

    def region_dir(self, region: str) -> Path:
        """Folder of one embedded region store."""
        return self.data_dir / "regions" / region

    @property
    def control_db(self) -> Path:
        """SQLite file of the global control store."""
        return self.data_dir / "control.sqlite3"


def _flag(value: str) -> bool:
    """An on/off environment value: 0, false, no and off are off."""
    return value.strip().lower() not in ("0", "false", "no", "off")


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "MRAP_HOST": ("host", str),
    "MRAP_PORT": ("port", int),
    "MRAP_CONSOLE_PORT": ("console_port", int),
    "MRAP_DATA_DIR": ("data_dir", Path),
    "MRAP_DOMAIN": ("domain", str),
    "MRAP_WORKERS": ("workers", int),
    "MRAP_BODY_TIMEOUT": ("body_timeout", float),
    "MRAP_HEAD_TIMEOUT": ("head_timeout", float),
    "MRAP_RESERVED_SPACE": ("reserved_space", int),
    "MRAP_PROPAGATION_DELAY": ("propagation_delay", float),
    "MRAP_REGION": ("region", str),
    "MRAP_AUTOMATIC_FAILOVER": ("automatic_failover", _flag),
    "MRAP_HEALTH_INTERVAL": ("health_interval", float),
    "MRAP_CONTROL_REGION_RULES": ("control_region_rules", _flag),
    "MRAP_RESTORE_DELAY": ("restore_delay", float),
    "MRAP_RESTORE_DAY_SECONDS": ("restore_day_seconds", float),
    "MRAP_ROOT_ACCESS_KEY_ID": ("root_access_key_id", str),
    "MRAP_ROOT_SECRET_ACCESS_KEY": ("root_secret_access_key", str),
}


def load_settings(overrides: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the TOML file, the environment and explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = env.get("MRAP_CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            values.update(tomllib.load(fh))
    for name, (attr, convert) in _ENV.items():
        if env.get(name):
            values[attr] = convert(env[name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])
    if "regions" in values:
        values["regions"] = tuple(values["regions"])
    settings = replace(Settings(), **values)
    if not 0 <= settings.console_port <= 65535:
        raise ValueError("console_port must be a port number, or 0 for no console")
    if settings.workers < 1:
        raise ValueError("workers must be at least 1")
    if settings.region and settings.region not in settings.regions:
        raise ValueError(f"region {settings.region} is not one of the regions {settings.regions}")
    if settings.reserved_space < 0:
        raise ValueError("reserved_space must not be negative")
    if settings.health_interval < 0:
        raise ValueError("health_interval must not be negative")
    if settings.propagation_delay < 0:
        raise ValueError("propagation_delay must not be negative")
    if settings.restore_delay < 0 or settings.restore_day_seconds <= 0:
        raise ValueError("restore_delay must not be negative, restore_day_seconds positive")
    return settings
