"""The long-lived objects every operation uses: settings, the control store, region stores."""

from __future__ import annotations

from dataclasses import dataclass

from mrap.config import Settings
from mrap.storage.base import RegionStore
from mrap.storage.local.store import LocalRegionStore
from mrap.store.control import ControlStore


@dataclass
class Services:
    """Shared state of one gateway process."""

    settings: Settings
    control: ControlStore
    regions: dict[str, RegionStore]

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the control store and every embedded region store."""
        control = ControlStore(settings.control_db)
        regions: dict[str, RegionStore] = {
            name: LocalRegionStore(name, settings.region_dir(name)) for name in settings.regions
        }
        return cls(settings, control, regions)

    def close(self) -> None:
        """Close every store."""
        for store in self.regions.values():
            store.close()
        self.control.close()
