"""Every operation of the declared APIs (S3 Control, IAM, STS) says what the caller must be
allowed before its handler runs, and the pipeline, not the handler, makes that decision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mrap.api.control.table import OPERATIONS as CONTROL_OPERATIONS
from mrap.api.iam.table import OPERATIONS as IAM_OPERATIONS
from mrap.api.sts.table import OPERATIONS as STS_OPERATIONS
from mrap.iam.aws_actions import IAM_ACTIONS, STS_ACTIONS
from mrap.operation import Route, Rule

API = Path(__file__).resolve().parent.parent / "src" / "mrap" / "api"
ROUTES: list[tuple[str, Route]] = [
    *(("s3control", route) for route in CONTROL_OPERATIONS),
    *(("iam", route) for route in IAM_OPERATIONS.values()),
    *(("sts", route) for route in STS_OPERATIONS.values()),
]
# Handlers that ask for second decisions through mrap.authz.access.authorize: CreateMultiRegion-
# AccessPoint (another account's bucket) and ReplicateMultiRegionAccessPoint (each bucket).
# AssumeRole's parser binds the trust decision (mrap.authz.trust) that the pipeline makes.
SECOND_DECISIONS = {"control/mraps.py", "control/replicate.py"}


@pytest.mark.parametrize(("api", "route"), ROUTES, ids=[f"{a}:{r.name}" for a, r in ROUTES])
def test_every_operation_declares_its_access(api: str, route: Route) -> None:
    access = route.access
    if access.rule is Rule.NONE:
        assert access.note, "an operation that checks nothing says why"
        assert not access.actions
        return
    assert access.actions or access.note, "nothing to check needs a note naming the decisions"
    for action in (*access.actions, *(a for a, _ in access.also)):
        service, _, name = action.partition(":")
        if api == "iam":
            assert service == "iam" and name in IAM_ACTIONS and name == route.name
        elif api == "sts":
            assert service == "sts" and name in STS_ACTIONS
        else:
            assert service == "s3" and re.fullmatch(r"[A-Z][A-Za-z]+", name)


def test_the_tables_hold_every_declared_operation() -> None:
    assert len(IAM_OPERATIONS) == 46 and len(STS_OPERATIONS) == 3
    assert len({route.name for route in CONTROL_OPERATIONS}) == len(CONTROL_OPERATIONS) == 14
    # The IAM skeleton authorizes `iam:{Action}`; S3 Control's own names need s3: actions.
    assert CONTROL_OPERATIONS[0].access.also == (("s3:ListAllMyBuckets", "*"),)


@pytest.mark.parametrize("folder", ["control", "iam", "sts"])
def test_declared_handlers_do_not_authorize_themselves(folder: str) -> None:
    for path in sorted((API / folder).glob("*.py")):
        text = path.read_text()
        relative = f"{folder}/{path.name}"
        assert "mrap.authz.declared" not in text, relative
        if relative not in SECOND_DECISIONS:
            assert "mrap.authz.access" not in text, relative
