"""The README's compatibility table tells the truth about the operation table."""

from __future__ import annotations

import re
from pathlib import Path

from mrap.api.s3.table import OPERATIONS

README = Path(__file__).resolve().parent.parent / "README.md"


def _rows(status: str) -> set[str]:
    """Operation names in the README's compatibility rows with `status`."""
    names: set[str] = set()
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[1].startswith(status):
            continue
        for item in cells[0].split(","):
            item = item.strip()
            match = re.fullmatch(r"((?:Get|Put|Delete)(?:/(?:Get|Put|Delete))*)(\w+)", item)
            if match and "/" in match.group(1):
                names.update(verb + match.group(2) for verb in match.group(1).split("/"))
            else:
                names.add(item)
    return names


def test_every_unimplemented_operation_is_listed_as_not_implemented() -> None:
    listed = _rows("not implemented")
    missing = {op.name for op in OPERATIONS if op.handler is None} - listed
    assert not missing, f"README does not list as not implemented: {sorted(missing)}"


def test_no_implemented_operation_is_listed_as_not_implemented() -> None:
    listed = _rows("not implemented")
    wrong = {op.name for op in OPERATIONS if op.handler is not None} & listed
    assert not wrong, f"README lists implemented operations as not implemented: {sorted(wrong)}"


def test_every_implemented_operation_is_listed_as_implemented() -> None:
    listed = _rows("implemented")
    missing = {op.name for op in OPERATIONS if op.handler is not None} - listed
    assert not missing, f"README does not list as implemented: {sorted(missing)}"
