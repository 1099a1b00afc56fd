"""The mrap extension that lists an access point's asynchronous operations (not an AWS
operation): `GET /v20180820/mrap/instances/{name}/operations`, as signed raw S3 Control
requests; each `AsyncOperation` is read with botocore's own parser for
DescribeMultiRegionAccessPointOperation's answer and compared with what boto3 describes."""

from __future__ import annotations

import json
import secrets
from typing import Any
from xml.etree import ElementTree

import botocore.session
from botocore.client import BaseClient
from botocore.parsers import RestXMLParser
from conftest import Gateway
from test_mrap_control import (
    ACCOUNT,
    ROOT,
    Keys,
    control,
    create,
    describe,
    make_bucket,
    mark_region,
    mrap_policy,
    new_account,
    raw,
    unique_name,
    wait,
)

_NS = "{http://awss3control.amazonaws.com/doc/2018-08-20/}"
_MODEL = botocore.session.get_session().get_service_model("s3control")
_DESCRIBED = _MODEL.operation_model("DescribeMultiRegionAccessPointOperation").output_shape


def listed(
    gateway: Gateway, name: str, *, account: str = ACCOUNT, keys: Keys | None = None
) -> list[dict[str, Any]]:
    """The operations the extension lists, each parsed as Describe's `AsyncOperation`."""
    reply = raw(
        gateway,
        "GET",
        f"/v20180820/mrap/instances/{name}/operations",
        account=account,
        keys=ROOT if keys is None else keys,
    )
    assert reply.status == 200, reply.body
    root = ElementTree.fromstring(reply.body)
    assert root.tag == f"{_NS}ListMultiRegionAccessPointOperationsResult"
    found = []
    for element in root:
        assert element.tag == f"{_NS}AsyncOperation"
        wrapped = ElementTree.Element(f"{_NS}DescribeMultiRegionAccessPointOperationResult")
        wrapped.append(element)
        answer = {"body": ElementTree.tostring(wrapped), "headers": {}, "status_code": 200}
        found.append(RestXMLParser().parse(answer, _DESCRIBED)["AsyncOperation"])
    return found


def test_every_operation_of_a_name_newest_first_as_described(
    gateway: Gateway, s3: BaseClient
) -> None:
    ctl = control(gateway)
    name, created = create(ctl, [make_bucket(s3, "us-east-1"), make_bucket(s3, "eu-west-1")])
    alias = ctl.get_multi_region_access_point(AccountId=ACCOUNT, Name=name)["AccessPoint"]["Alias"]
    put = ctl.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, Details={"Name": name, "Policy": mrap_policy(alias)}
    )["RequestTokenARN"]
    assert wait(ctl, put)["RequestStatus"] == "SUCCEEDED"
    deleted = ctl.delete_multi_region_access_point(AccountId=ACCOUNT, Details={"Name": name})[
        "RequestTokenARN"
    ]
    assert wait(ctl, deleted)["RequestStatus"] == "SUCCEEDED"

    # The access point is gone; its history is not.
    operations = listed(gateway, name)
    assert [op["RequestTokenARN"] for op in operations] == [deleted, put, created]
    assert operations == [describe(ctl, token) for token in (deleted, put, created)]
    assert [op["Operation"] for op in operations] == [
        "DeleteMultiRegionAccessPoint",
        "PutMultiRegionAccessPointPolicy",
        "CreateMultiRegionAccessPoint",
    ]
    request = operations[1]["RequestParameters"]["PutMultiRegionAccessPointPolicyRequest"]
    assert json.loads(request["Policy"]) == json.loads(mrap_policy(alias))


def test_a_failed_operation_shows_its_error(gateway: Gateway, s3: BaseClient) -> None:
    ctl = control(gateway)
    name = unique_name()
    details = {"Name": name, "Regions": [{"Bucket": make_bucket(s3, "eu-west-1")}]}
    mark_region(gateway, "down", "eu-west-1")
    try:
        token = ctl.create_multi_region_access_point(AccountId=ACCOUNT, Details=details)[
            "RequestTokenARN"
        ]
        failed = wait(ctl, token)
    finally:
        mark_region(gateway, "up", "eu-west-1")
    assert failed["RequestStatus"] == "FAILED"
    assert listed(gateway, name) == [failed]
    error = failed["ResponseDetails"]["ErrorDetails"]
    assert error["Code"] == "ServiceUnavailable" and "eu-west-1" in error["Message"]


def test_an_unknown_name_is_an_empty_list(gateway: Gateway) -> None:
    assert listed(gateway, unique_name()) == []
    assert listed(gateway, "Not_A_Valid_Name") == []


def test_another_accounts_name_is_not_listed(gateway: Gateway, s3: BaseClient) -> None:
    name, _ = create(control(gateway), [make_bucket(s3, "us-east-1")])
    other = new_account(gateway)
    assert listed(gateway, name, account=other.account, keys=other) == []
    # Asking in the other account's name is refused, as for every S3 Control operation.
    reply = raw(gateway, "GET", f"/v20180820/mrap/instances/{name}/operations", keys=other)
    assert (reply.status, reply.code) == (403, "AccessDenied")


def _user(gateway: Gateway, actions: list[str]) -> Keys:
    iam = gateway.client("iam")
    user = "ops-" + secrets.token_hex(4)
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Keys(ACCOUNT, key["AccessKeyId"], key["SecretAccessKey"])


def test_iam_users_need_describe_and_list_all_my_buckets(gateway: Gateway, s3: BaseClient) -> None:
    name, token = create(control(gateway), [make_bucket(s3, "us-east-1")])
    path = f"/v20180820/mrap/instances/{name}/operations"
    for actions in (
        ["s3:ListAllMyBuckets"],
        ["s3:DescribeMultiRegionAccessPointOperation"],
        ["s3:GetMultiRegionAccessPoint", "s3:ListAllMyBuckets"],
    ):
        reply = raw(gateway, "GET", path, keys=_user(gateway, actions))
        assert (reply.status, reply.code) == (403, "AccessDenied"), actions
    allowed = _user(gateway, ["s3:DescribeMultiRegionAccessPointOperation", "s3:ListAllMyBuckets"])
    assert [op["RequestTokenARN"] for op in listed(gateway, name, keys=allowed)] == [token]


def test_only_in_us_west_2(gateway: Gateway) -> None:
    reply = raw(gateway, "GET", f"/v20180820/mrap/instances/{unique_name()}/operations",
                region="us-east-1")  # fmt: skip
    assert (reply.status, reply.code) == (301, "PermanentRedirect")
    refused = raw(gateway, "DELETE", f"/v20180820/mrap/instances/{unique_name()}/operations")
    assert (refused.status, refused.code) == (405, "MethodNotAllowed")
