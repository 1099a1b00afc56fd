"""The wiring: the long-lived objects of a gateway process, built once here and shared by every
operation, worker and router (settings, the control store and its repositories, the region
stores, operator marks and region health)."""

from __future__ import annotations

from dataclasses import dataclass

from mrap.config import Settings
from mrap.storage.base import RegionStore
from mrap.storage.health import Health
from mrap.storage.local.store import LocalRegionStore
from mrap.store.control import ControlStore
from mrap.store.identities import IdentityStore
from mrap.store.mraps import MrapStore
from mrap.store.regions import RegionMarks
from mrap.store.usage import UsageRecorder, UsageStore


@dataclass
class Services:
    """Shared state of one gateway process."""

    settings: Settings
    control: ControlStore
    regions: dict[str, RegionStore]
    mraps: MrapStore  # Multi-Region Access Points and account Block Public Access
    identities: IdentityStore  # IAM users, groups, roles, policies; who a principal is
    usage: UsageRecorder  # requests and bytes charged to requesters (Requester Pays)
    marks: RegionMarks  # regions an operator took out of service (`mrap region down`)
    health: Health  # which regions routing and replication may use right now

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the control store and every embedded region store."""
        control = ControlStore(settings.control_db)
        regions: dict[str, RegionStore] = {
            name: LocalRegionStore(name, settings.region_dir(name), settings.reserved_space)
            for name in settings.regions
        }
        mraps = MrapStore(*control.shared_connection())
        usage = UsageRecorder(UsageStore(*control.shared_connection()))
        marks = RegionMarks(*control.shared_connection())
        health = Health(regions, marks.marked_down, settings.health_interval)
        return cls(
            settings,
            control,
            regions,
            mraps,
            IdentityStore(control),
            usage=usage,
            marks=marks,
            health=health,
        )

    def close(self) -> None:
        """Close every store (after flushing the usage counts)."""
        self.usage.close()
        for store in self.regions.values():
            store.close()
        self.control.close()
