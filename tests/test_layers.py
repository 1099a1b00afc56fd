"""The packages of src/mrap import only downward (README, Layout): no circle, no arrow back
up, the policy engine pure, the backend known only to storage/ and the wiring, HTTP only in
the edge and the console. Read from the code's own imports, so a new arrow fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# Higher rooms may import lower ones, never the other way; equal ranks may not meet.
RANKS = {
    "__main__": 11,
    "cli": 10,
    "edge": 9,
    "console": 8,
    "api": 7,
    "replication": 6,
    "authz": 5,
    "routing": 5,
    "operation": 4,
    "services": 3,
    "account_commands": 3,
    "auth": 2,
    "storage": 2,
    "store": 2,
    "names": 2,
    "iam": 1,
    "db": 1,
    "errors": 1,
    "config": 1,
    "clients": 1,
}
WIRING = {"cli", "services"}  # the only rooms outside storage/ that name a backend


def _imports() -> Iterator[tuple[str, str, str]]:
    """(importing module, its room, imported module) for every import of src/mrap."""
    for path in sorted((SRC / "mrap").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        module = ".".join(parts)
        room = parts[1] if len(parts) > 1 else "mrap"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module in ("mrap", "aiohttp"):
                    yield from ((module, room, f"{node.module}.{a.name}") for a in node.names)
                else:
                    yield module, room, node.module
            elif isinstance(node, ast.Import):
                yield from ((module, room, a.name) for a in node.names)


def test_every_import_runs_down() -> None:
    upward = []
    for module, room, imported in _imports():
        if not imported.startswith("mrap.") or room == "__init__":
            continue
        target = imported.split(".")[1]
        if target == room:
            continue
        assert room in RANKS and target in RANKS, f"give {room} or {target} a rank"
        if RANKS[target] >= RANKS[room]:
            upward.append(f"{module} -> {imported}")
    assert not upward


def test_the_policy_engine_is_pure() -> None:
    foreign = [
        f"{module} -> {imported}"
        for module, room, imported in _imports()
        if room == "iam" and imported.startswith("mrap.") and not imported.startswith("mrap.iam")
    ]
    assert not foreign


def test_only_storage_and_the_wiring_know_the_backend() -> None:
    knowing = {
        module
        for module, room, imported in _imports()
        if imported.startswith("mrap.storage.local") and room not in {"storage", *WIRING}
    }
    assert not knowing


def test_http_stays_in_the_edge_and_the_console() -> None:
    web = {
        module
        for module, room, imported in _imports()
        if imported.startswith("aiohttp") and room not in {"edge", "console", "cli"}
    }
    assert not web
