"""Every operation of every API (S3, S3 Control, IAM, STS) says what the caller must be
allowed before its handler runs, and the pipeline, not the handler, makes that decision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mrap.api.control.table import OPERATIONS as CONTROL_OPERATIONS
from mrap.api.iam.table import OPERATIONS as IAM_OPERATIONS
from mrap.api.s3.table import OPERATIONS as S3_OPERATIONS
from mrap.api.sts.table import OPERATIONS as STS_OPERATIONS
from mrap.iam.aws_actions import IAM_ACTIONS, STS_ACTIONS
from mrap.operation import Declared, Rule

API = Path(__file__).resolve().parent.parent / "src" / "mrap" / "api"
OPERATIONS: list[tuple[str, str, Declared]] = [
    *(("s3", op.name, op) for op in S3_OPERATIONS if op.handler is not None),
    *(("s3control", route.name, route) for route in CONTROL_OPERATIONS),
    *(("iam", route.name, route) for route in IAM_OPERATIONS.values()),
    *(("sts", route.name, route) for route in STS_OPERATIONS.values()),
]
# Handlers that ask for second decisions through mrap.authz.access (see their declarations'
# notes): another account's bucket of a new access point, each bucket of `mrap replicate`,
# DeleteObjects' keys, a copy's source, Object Lock settings and bypass, PutObjectTagging's
# requested tags. AssumeRole's parser binds the trust decision that the pipeline makes.
SECOND_DECISIONS = {
    "control/mraps.py": "authorize",
    "control/replicate.py": "authorize",
    "s3/delete_objects.py": "authorize",
    "s3/objects.py": "other_bucket",
    "s3/object_lock.py": "authorize",
    "s3/tagging.py": "authorize, request_tag_keys",
}
_S3_ACTION = re.compile(r"s3:[A-Z][A-Za-z]+")


@pytest.mark.parametrize(
    ("api", "name", "operation"), OPERATIONS, ids=[f"{a}:{n}" for a, n, _ in OPERATIONS]
)
def test_every_operation_declares_its_access(api: str, name: str, operation: Declared) -> None:
    access = operation.access
    if access.rule is Rule.NONE:
        assert access.note, "an operation that checks nothing says why"
        assert not access.actions
        return
    assert access.actions or access.note, "nothing checked up front needs a note naming why"
    for action in (*access.actions, *(a for a, _ in access.also)):
        service, _, short = action.partition(":")
        if api == "iam":
            assert service == "iam" and short in IAM_ACTIONS and short == name
        elif api == "sts":
            assert service == "sts" and short in STS_ACTIONS
        else:
            assert _S3_ACTION.fullmatch(action), action
    if api == "s3":
        assert access.rule in (Rule.BUCKET, Rule.IDENTITY)
    else:
        assert not access.owner_only and not access.region_on_denial


def test_the_tables_declare_what_s3_documents() -> None:
    by_name = {name: op.access for api, name, op in OPERATIONS if api == "s3"}
    assert by_name["ListBuckets"].rule is Rule.IDENTITY
    assert by_name["ListBuckets"].actions == ("s3:ListAllMyBuckets",)
    assert by_name["HeadObject"].actions == ("s3:GetObject",)
    assert by_name["DeleteBucketTagging"].actions == ("s3:PutBucketTagging",)
    assert by_name["GetBucketPolicy"].owner_only and by_name["PutBucketRequestPayment"].owner_only
    assert by_name["HeadBucket"].region_on_denial
    # Decided by the handler once the body is read: the keys, the requested tags.
    assert by_name["DeleteObjects"].actions == () and "each key" in by_name["DeleteObjects"].note
    assert by_name["PutObjectTagging"].actions == ()
    assert "copy source" in by_name["CopyObject"].note
    assert "copy source" in by_name["UploadPartCopy"].note
    assert "BypassGovernanceRetention" in by_name["DeleteObject"].note
    assert len(IAM_OPERATIONS) == 46 and len(STS_OPERATIONS) == 3
    assert len({route.name for route in CONTROL_OPERATIONS}) == len(CONTROL_OPERATIONS) == 15
    assert CONTROL_OPERATIONS[0].access.also == (("s3:ListAllMyBuckets", "*"),)


@pytest.mark.parametrize("folder", ["s3", "control", "iam", "sts"])
def test_handlers_do_not_authorize_themselves(folder: str) -> None:
    for path in sorted((API / folder).glob("*.py")):
        text = path.read_text()
        relative = f"{folder}/{path.name}"
        assert "mrap.authz.declared" not in text, relative
        assert "authorize_identity" not in text, relative
        imported = re.findall(r"from mrap\.authz\.access import ([^\n]+)", text)
        decisions = {n.strip() for line in imported for n in line.split(",")} & {
            "authorize", "other_bucket", "find_bucket", "request_tag_keys"
        }  # fmt: skip
        allowed = set(SECOND_DECISIONS.get(relative, "").replace(" ", "").split(",")) - {""}
        assert decisions <= allowed, relative
