"""The README's Multi-Region Access Point walkthrough, run command by command as a newcomer would.

A fresh gateway, no policy of any kind, the account's root: the block under
`<!-- walkthrough -->` runs in bash from a folder holding the project's `.venv`, with only the
gateway's data directory and port set (as `make serve` would have them).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import make_gateway
from tunnel import VENV_BIN, clean_env

README = Path(__file__).resolve().parent.parent / "README.md"


def walkthrough() -> list[str]:
    """The README's walkthrough commands, one per line."""
    text = README.read_text()
    match = re.search(r"<!-- walkthrough -->\n```sh\n(.*?)```", text, re.S)
    assert match, "README has no walkthrough block"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_the_readme_walkthrough_runs_verbatim(tmp_path: Path) -> None:
    gateway = make_gateway(tmp_path, MRAP_PROPAGATION_DELAY="0.1")
    gateway.start()
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(VENV_BIN.parent)
    empty = tmp_path / "aws-empty-config"
    empty.write_text("")
    env = clean_env(
        MRAP_DATA_DIR=str(gateway.data_dir),
        MRAP_PORT=str(gateway.port),
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
    )
    # The PATH holds no venv: the walkthrough's own first line must provide mrap and aws.
    env["PATH"] = env["PATH"].replace(f"{VENV_BIN}:", "")
    commands = walkthrough()
    assert commands[0] == ". .venv/bin/activate"
    # One shell, so variables carry from line to line; each line is traced and the first
    # failing one stops the run.
    script = "set -euo pipefail\n" + "".join(
        f"echo '>>> {n}'\n{c}\n" for n, c in enumerate(commands)
    )
    try:
        done = subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=240,
        )
        log = gateway.log()
    finally:
        gateway.stop()
    steps = re.findall(r">>> (\d+)", done.stdout)
    last = commands[int(steps[-1])] if steps else "(none)"
    assert done.returncode == 0, f"failed at: {last}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert len(steps) == len(commands)
    hello = "hello through the access point\n"
    assert (work / "hello-back.txt").read_text() == hello
    assert (work / "hello-after-failover.txt").read_text() == hello
    assert (work / "before-after-failover.txt").read_text() == "written before the access point\n"
    assert '"hello.txt"' in done.stdout and "walk-eu-west-1" in done.stdout
    # After the route update the access point's reads were served by eu-west-1.
    reads = [line for line in log.splitlines() if line.startswith("GET ") and "region=" in line]
    assert all("region=eu-west-1" in line for line in reads[-2:]), reads[-2:]
