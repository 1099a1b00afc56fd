"""Get/Put/DeleteBucketReplication against the real gateway, with boto3, the aws CLI and raw
HTTP for documents boto3 would not send."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rawhttp
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_iam_api import ACCOUNT, iam_client

S3_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def versioned(s3: BaseClient, region: str | None = None, enable: bool = True) -> str:
    """A new bucket (in `region`), with versioning enabled unless told otherwise."""
    name = "repl-" + secrets.token_hex(6)
    if region is None:
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if enable:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


REPLICATE_ANYWHERE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                    "s3:ReplicateObject",
                    "s3:ReplicateDelete",
                    "s3:ReplicateTags",
                ],
                "Resource": "arn:aws:s3:::*/*",
            }
        ],
    }
)


def make_role(gateway: Gateway, allowed: bool = True) -> str:
    """The ARN of a new IAM role that S3 may assume, allowed to replicate unless told not."""
    name = "replication-" + secrets.token_hex(4)
    iam = iam_client(gateway)
    made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=S3_TRUST)
    if allowed:
        iam.put_role_policy(
            RoleName=name, PolicyName="replicate", PolicyDocument=REPLICATE_ANYWHERE
        )
    return str(made["Role"]["Arn"])


@pytest.fixture
def role(gateway: Gateway) -> str:
    """The ARN of a new IAM role allowed to replicate."""
    return make_role(gateway)


def rule(destination: str, **extra: Any) -> dict[str, Any]:
    """A V2 rule replicating everything to `destination`."""
    return {
        "ID": "all",
        "Priority": 1,
        "Filter": {},
        "Status": "Enabled",
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        **extra,
    }


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def refused(s3: BaseClient, source: str, config: dict[str, Any]) -> tuple[str, int, str]:
    """Put a configuration that must fail; check nothing was stored; return the error."""
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_replication(Bucket=source)
    assert error(missing)[0] == "ReplicationConfigurationNotFoundError"
    return error(exc)


def test_full_v2_configuration_round_trips(s3: BaseClient, role: str) -> None:
    source, east, west = versioned(s3), versioned(s3, "us-west-2"), versioned(s3, "eu-west-1")
    config = {
        "Role": role,
        "Rules": [
            {
                "ID": "logs",
                "Priority": 2,
                "Filter": {
                    "And": {
                        "Prefix": "logs/",
                        "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "p"}],
                    }
                },
                "Status": "Enabled",
                "SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}},
                "ExistingObjectReplication": {"Status": "Disabled"},
                "Destination": {
                    "Bucket": f"arn:aws:s3:::{east}",
                    "Account": ACCOUNT,
                    "StorageClass": "STANDARD_IA",
                    "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                    "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                },
                "DeleteMarkerReplication": {"Status": "Disabled"},
            },
            {
                "ID": "tagged",
                "Priority": 1,
                "Filter": {"Tag": {"Key": "copy", "Value": "yes"}},
                "Status": "Disabled",
                "Destination": {"Bucket": f"arn:aws:s3:::{west}"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
            },
            rule(west, ID="prefix", Priority=3, Filter={"Prefix": "p/"}),
        ],
    }
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    got = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]
    assert got == config

    assert s3.delete_bucket_replication(Bucket=source)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert error(exc) == (
        "ReplicationConfigurationNotFoundError",
        404,
        "The replication configuration was not found",
    )
    assert exc.value.response["Error"]["BucketName"] == source
    # Deleting what is not there is not an error.
    assert s3.delete_bucket_replication(Bucket=source)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_v1_rule_with_prefix_and_generated_id(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    config = {
        "Role": role,
        "Rules": [
            {
                "Prefix": "docs/",
                "Status": "Enabled",
                "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
            }
        ],
    }
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    (got,) = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    assert got["Prefix"] == "docs/" and "Filter" not in got and "Priority" not in got
    assert got["ID"]  # S3 names rules that come without an ID


def test_a_put_replaces_the_configuration_and_a_refused_one_changes_nothing(
    s3: BaseClient, role: str
) -> None:
    source, first, second = versioned(s3), versioned(s3, "us-west-2"), versioned(s3, "eu-west-1")
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule(first)]}
    )
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule(second)]}
    )
    with pytest.raises(ClientError):
        s3.put_bucket_replication(
            Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule(source)]}
        )
    rules = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    assert [r["Destination"]["Bucket"] for r in rules] == [f"arn:aws:s3:::{second}"]


def test_versioning_must_be_enabled_on_the_source(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3, enable=False), versioned(s3, "us-west-2")
    assert refused(s3, source, {"Role": role, "Rules": [rule(destination)]}) == (
        "InvalidRequest",
        400,
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    )
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Suspended"})
    assert refused(s3, source, {"Role": role, "Rules": [rule(destination)]})[0] == "InvalidRequest"


def test_destination_must_exist_and_be_versioned(s3: BaseClient, role: str) -> None:
    source = versioned(s3)
    missing = "repl-missing-" + secrets.token_hex(4)
    assert refused(s3, source, {"Role": role, "Rules": [rule(missing)]}) == (
        "InvalidRequest",
        400,
        "Destination bucket must exist.",
    )
    plain = versioned(s3, "us-west-2", enable=False)
    assert refused(s3, source, {"Role": role, "Rules": [rule(plain)]}) == (
        "InvalidRequest",
        400,
        "Destination bucket must have versioning enabled.",
    )


def test_a_rule_pointing_at_its_own_bucket(s3: BaseClient, role: str) -> None:
    source = versioned(s3)
    assert refused(s3, source, {"Role": role, "Rules": [rule(source)]}) == (
        "InvalidRequest",
        400,
        "Destination bucket cannot be the same as the source bucket.",
    )


def test_clashing_priorities_and_duplicate_ids(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    same_priority = [rule(destination, ID="a"), rule(destination, ID="b", Filter={"Prefix": "b"})]
    assert refused(s3, source, {"Role": role, "Rules": same_priority}) == (
        "InvalidRequest",
        400,
        "Found duplicate priority 1.",
    )
    same_id = [rule(destination), rule(destination, Priority=2)]
    assert refused(s3, source, {"Role": role, "Rules": same_id}) == (
        "InvalidArgument",
        400,
        "Rule Id must be unique",
    )


def test_schema_rules_of_v2_and_v1(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    no_marker = rule(destination)
    del no_marker["DeleteMarkerReplication"]
    code, status, message = refused(s3, source, {"Role": role, "Rules": [no_marker]})
    assert (code, status) == ("InvalidRequest", 400)
    assert message.startswith(
        "DeleteMarkerReplication must be specified for this version of Cross Region Replication"
    )
    v1_with_priority = {
        "Prefix": "",
        "Priority": 1,
        "Status": "Enabled",
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }
    code, _, message = refused(s3, source, {"Role": role, "Rules": [v1_with_priority]})
    assert code == "InvalidRequest" and message.startswith("Priority cannot be used")
    tag_markers = rule(
        destination,
        Filter={"Tag": {"Key": "k", "Value": "v"}},
        DeleteMarkerReplication={"Status": "Enabled"},
    )
    code, _, message = refused(s3, source, {"Role": role, "Rules": [tag_markers]})
    assert code == "InvalidRequest"
    assert message.startswith("Delete marker replication is not supported if any Tag filter")


def test_role_must_be_a_role_of_the_account(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    for bad in (f"arn:aws:iam::{ACCOUNT}:role/no-such-role-{secrets.token_hex(3)}", "role"):
        code, status, message = refused(s3, source, {"Role": bad, "Rules": [rule(destination)]})
        assert (code, status, message) == (
            "InvalidArgument",
            400,
            "Invalid Role specified in replication configuration",
        )


def _raw_put(gateway: Gateway, bucket: str, body: bytes) -> rawhttp.Reply:
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return rawhttp.request(
        gateway, "PUT", f"/{bucket}?replication", body=body, headers={"Content-MD5": md5}
    )


@pytest.mark.parametrize(
    "document",
    [
        b"<ReplicationConfiguration><Role>",  # not well-formed
        b"<ReplicationConfiguration><Role>{role}</Role></ReplicationConfiguration>",  # no rule
        b"<ReplicationConfiguration><Rule><Status>Enabled</Status><Prefix/>"
        b"<Destination><Bucket>arn:aws:s3:::{dest}</Bucket></Destination></Rule>"
        b"</ReplicationConfiguration>",  # no role
        b"<ReplicationConfiguration><Role>{role}</Role><Rule><Status>On</Status><Prefix/>"
        b"<Destination><Bucket>arn:aws:s3:::{dest}</Bucket></Destination></Rule>"
        b"</ReplicationConfiguration>",  # bad status
        b"<ReplicationConfiguration><Role>{role}</Role><Rule><Status>Enabled</Status><Prefix/>"
        b"<Destination><Bucket>arn:aws:s3:::{dest}</Bucket><Colour>red</Colour></Destination>"
        b"</Rule></ReplicationConfiguration>",  # unknown element
        b"<ReplicationConfiguration><Role>{role}</Role><Rule><Status>Enabled</Status>"
        b"<Priority>1</Priority><DeleteMarkerReplication><Status>Disabled</Status>"
        b"</DeleteMarkerReplication><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>"
        b"</Tag></Filter><Destination><Bucket>arn:aws:s3:::{dest}</Bucket></Destination></Rule>"
        b"</ReplicationConfiguration>",  # Prefix and Tag without And
    ],
)
def test_malformed_documents(gateway: Gateway, s3: BaseClient, role: str, document: bytes) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    body = document.replace(b"{role}", role.encode()).replace(b"{dest}", destination.encode())
    reply = _raw_put(gateway, source, body)
    assert reply.status == 400 and reply.error["Code"] == "MalformedXML"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert error(exc)[0] == "ReplicationConfigurationNotFoundError"


def test_the_aws_cli_puts_and_gets(
    aws: Callable[..., str], s3: BaseClient, role: str, tmp_path: Path
) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    path = tmp_path / "replication.json"
    path.write_text(json.dumps({"Role": role, "Rules": [rule(destination)]}))
    aws("s3api", "put-bucket-replication", "--bucket", source,
        "--replication-configuration", f"file://{path}")  # fmt: skip
    got = json.loads(aws("s3api", "get-bucket-replication", "--bucket", source))
    assert got["ReplicationConfiguration"]["Rules"] == [rule(destination)]
    assert got["ReplicationConfiguration"]["Role"] == role


def test_versioning_cannot_be_suspended_under_a_configuration(s3: BaseClient, role: str) -> None:
    source, destination = versioned(s3), versioned(s3, "us-west-2")
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule(destination)]}
    )
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Suspended"})
    code, http_status, message = error(exc)
    assert (code, http_status) == ("InvalidBucketState", 409)
    assert message.startswith("A replication configuration is present on this bucket")
    assert s3.get_bucket_versioning(Bucket=source)["Status"] == "Enabled"
    s3.delete_bucket_replication(Bucket=source)
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=source)["Status"] == "Suspended"
