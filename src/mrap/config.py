"""Settings of a gateway: where it listens, where data lives, which regions it serves.

Values come, in increasing priority, from defaults, an optional TOML file (`MRAP_CONFIG`),
`MRAP_*` environment variables and command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
BOOTSTRAP_ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Settings:
    """Everything a gateway process needs to know at start."""

    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: Path = Path("data")
    domain: str = "localhost"
    regions: tuple[str, ...] = DEFAULT_REGIONS
    workers: int = 1
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    quiet: bool = False
    body_timeout: float = 20.0  # seconds without body bytes before RequestTimeout

    def region_dir(self, region: str) -> Path:
        """Folder of one embedded region store."""
        return self.data_dir / "regions" / region

    @property
    def control_db(self) -> Path:
        """SQLite file of the global control store."""
        return self.data_dir / "control.sqlite3"


_ENV = {
    "MRAP_HOST": ("host", str),
    "MRAP_PORT": ("port", int),
    "MRAP_DATA_DIR": ("data_dir", Path),
    "MRAP_DOMAIN": ("domain", str),
    "MRAP_WORKERS": ("workers", int),
    "MRAP_BODY_TIMEOUT": ("body_timeout", float),
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
    if settings.workers < 1:
        raise ValueError("workers must be at least 1")
    return settings
