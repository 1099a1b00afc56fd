"""Files `mrap env` hands to clients that cannot be configured by variables alone."""

from __future__ import annotations

from pathlib import Path

NODE_PROXY_PRELOAD = Path(__file__).resolve().parent / "node_proxy.cjs"
