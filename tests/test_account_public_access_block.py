"""Account-level Block Public Access through S3 Control.

Get, Put and Delete on `/v20180820/configuration/publicAccessBlock` for `x-amz-account-id`.
Each test uses a fresh account: the settings are per account and would leak between tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from test_mrap_control import (
    Keys,
    control,
    create,
    error,
    make_bucket,
    mrap_policy,
    new_account,
    raw,
    s3_client,
    wait,
)

ALL_OFF = {
    "BlockPublicAcls": False,
    "IgnorePublicAcls": False,
    "BlockPublicPolicy": False,
    "RestrictPublicBuckets": False,
}


@pytest.fixture
def account(gateway: Gateway) -> Keys:
    return new_account(gateway)


@pytest.fixture
def ctl(gateway: Gateway, account: Keys) -> BaseClient:
    # Account settings are not MRAP operations: any signing region serves them.
    return control(gateway, "us-east-1", keys=account)


def test_get_put_delete(ctl: BaseClient, account: Keys) -> None:
    with pytest.raises(ClientError) as caught:
        ctl.get_public_access_block(AccountId=account.account)
    assert error(caught) == ("NoSuchPublicAccessBlockConfiguration", 404)
    settings = {**ALL_OFF, "BlockPublicPolicy": True, "IgnorePublicAcls": True}
    ctl.put_public_access_block(AccountId=account.account, PublicAccessBlockConfiguration=settings)
    got = ctl.get_public_access_block(AccountId=account.account)
    assert got["PublicAccessBlockConfiguration"] == settings
    # A put replaces every setting; the ones left out are off.
    ctl.put_public_access_block(
        AccountId=account.account, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True}
    )
    got = ctl.get_public_access_block(AccountId=account.account)
    assert got["PublicAccessBlockConfiguration"] == {**ALL_OFF, "RestrictPublicBuckets": True}
    ctl.delete_public_access_block(AccountId=account.account)
    with pytest.raises(ClientError) as caught:
        ctl.get_public_access_block(AccountId=account.account)
    assert error(caught) == ("NoSuchPublicAccessBlockConfiguration", 404)
    ctl.delete_public_access_block(AccountId=account.account)  # nothing there: still fine


def test_settings_are_per_account(gateway: Gateway, ctl: BaseClient, account: Keys) -> None:
    ctl.put_public_access_block(
        AccountId=account.account, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    other = new_account(gateway)
    with pytest.raises(ClientError) as caught:
        control(gateway, keys=other).get_public_access_block(AccountId=other.account)
    assert error(caught) == ("NoSuchPublicAccessBlockConfiguration", 404)


def test_only_the_account_itself(gateway: Gateway, ctl: BaseClient, account: Keys) -> None:
    ctl.put_public_access_block(
        AccountId=account.account, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    intruder = control(gateway)  # the bootstrap account's root
    calls: tuple[Callable[[], object], ...] = (
        lambda: intruder.get_public_access_block(AccountId=account.account),
        lambda: intruder.delete_public_access_block(AccountId=account.account),
        lambda: intruder.put_public_access_block(
            AccountId=account.account, PublicAccessBlockConfiguration=ALL_OFF
        ),
    )
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        assert error(caught) == ("AccessDenied", 403)
    got = ctl.get_public_access_block(AccountId=account.account)
    assert got["PublicAccessBlockConfiguration"] == {**ALL_OFF, "BlockPublicAcls": True}


@pytest.mark.parametrize(
    "body",
    [
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>",
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>"
        b"</PublicAccessBlockConfiguration>",
        b"<PublicAccessBlockConfiguration><Colour>red</Colour></PublicAccessBlockConfiguration>",
        b"<Other><BlockPublicAcls>true</BlockPublicAcls></Other>",
    ],
)
def test_malformed_settings_change_nothing(
    gateway: Gateway, ctl: BaseClient, account: Keys, body: bytes
) -> None:
    reply = raw(
        gateway,
        "PUT",
        "/v20180820/configuration/publicAccessBlock",
        body,
        account=account.account,
        keys=account,
    )
    assert (reply.status, reply.code) == (400, "MalformedXML"), reply.body
    with pytest.raises(ClientError) as caught:
        ctl.get_public_access_block(AccountId=account.account)
    assert error(caught) == ("NoSuchPublicAccessBlockConfiguration", 404)


def test_block_public_policy_of_the_account_covers_its_access_points(
    gateway: Gateway, account: Keys
) -> None:
    ctl = control(gateway, keys=account)
    bucket = make_bucket(s3_client(gateway, account), "us-west-2")
    name, _ = create(ctl, [bucket], account=account.account, PublicAccessBlock=ALL_OFF)
    ctl.put_public_access_block(
        AccountId=account.account, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    public = mrap_policy("x.mrap", principal="*")
    with pytest.raises(ClientError) as caught:
        ctl.put_multi_region_access_point_policy(
            AccountId=account.account, Details={"Name": name, "Policy": public}
        )
    assert error(caught) == ("AccessDenied", 403)
    policy = ctl.get_multi_region_access_point_policy(AccountId=account.account, Name=name)
    assert policy["Policy"] == {}
    ctl.delete_public_access_block(AccountId=account.account)
    token = ctl.put_multi_region_access_point_policy(
        AccountId=account.account, Details={"Name": name, "Policy": public}
    )["RequestTokenARN"]
    assert wait(ctl, token, account.account)["RequestStatus"] == "SUCCEEDED"


def test_block_public_policy_of_the_account_covers_bucket_policies(
    gateway: Gateway, account: Keys
) -> None:
    ctl = control(gateway, keys=account)
    s3 = s3_client(gateway, account)
    bucket = make_bucket(s3, "us-east-1")
    s3.delete_public_access_block(Bucket=bucket)
    ctl.put_public_access_block(
        AccountId=account.account, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public))
    assert error(caught) == ("AccessDenied", 403)
