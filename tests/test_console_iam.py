"""The web console's IAM pages over HTTP: the seed's AppDataReader done from the browser (a
user with an access key and s3:GetObject), groups with managed policies, roles; checked with
boto3 and by signing in as the new user."""

from __future__ import annotations

import json
import re
import secrets
from html import unescape

from conftest import Gateway
from consolehttp import ConsoleBrowser
from test_console import iam

ACCOUNT = "111122223333"


def test_app_data_reader_from_the_console(
    browser: ConsoleBrowser, gw: Gateway, console_gateway: tuple[Gateway, int]
) -> None:
    bucket = f"appdata-{secrets.token_hex(3)}"
    gw.client().create_bucket(Bucket=bucket)
    gw.client().put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    user = f"AppDataReader-{secrets.token_hex(2)}"
    empty = browser.get("/iam/users")
    assert empty.status == 200
    created = browser.submit("/iam/users", "/iam/users", {"name": user})
    assert created.status == 303 and created.location == f"/iam/users/{user}"
    assert iam(gw).get_user(UserName=user)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
        ],
    }
    saved = browser.submit(
        created.location,
        f"/iam/users/{user}/inline",
        {"policy_name": "read-app-data", "document": json.dumps(policy)},
    )
    assert saved.status == 303
    stored = iam(gw).get_user_policy(UserName=user, PolicyName="read-app-data")
    assert stored["PolicyDocument"] == policy

    key_page = browser.submit(created.location, f"/iam/users/{user}/keys", {})
    assert key_page.status == 200
    key_id = re.search(r'id="new-key-id">([^<]+)<', key_page.text)
    secret = re.search(r'id="new-key-secret">([^<]+)<', key_page.text)
    assert key_id and secret
    assert "only time the secret access key can be seen" in key_page.text
    later = browser.get(created.location)
    assert key_id[1] in later.text and secret[1] not in later.text  # shown once

    reader = ConsoleBrowser(console_gateway[1])
    assert reader.sign_in(key_id[1], unescape(secret[1])).status == 303
    denied = reader.get("/buckets")
    assert denied.status == 403
    assert "AccessDenied" in denied.text and f"user/{user}" in denied.text
    assert "Traceback" not in denied.text
    allowed = reader.get(f"/buckets/{bucket}/download?key=report.csv")
    assert allowed.status == 200 and allowed.body == b"a,b\n"
    not_iam = reader.get("/iam/users")
    assert not_iam.status == 403 and "AccessDenied" in not_iam.text

    # The key can be deleted, and the user with it once its policy is gone.
    gone = browser.submit(created.location, f"/iam/users/{user}/keys/delete", {"key_id": key_id[1]})
    assert gone.status == 303
    assert iam(gw).list_access_keys(UserName=user)["AccessKeyMetadata"] == []
    browser.submit(
        created.location, f"/iam/users/{user}/inline/delete", {"policy_name": "read-app-data"}
    )
    deleted = browser.submit(created.location, f"/iam/users/{user}/delete", {})
    assert deleted.status == 303
    assert user not in [u["UserName"] for u in iam(gw).list_users()["Users"]]


def test_groups_with_managed_policies_and_roles(browser: ConsoleBrowser, gw: Gateway) -> None:
    client = iam(gw)
    suffix = secrets.token_hex(2)
    managed = client.create_policy(
        PolicyName=f"ReadAll-{suffix}",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    group, user, role = f"readers-{suffix}", f"member-{suffix}", f"app-{suffix}"
    assert browser.submit("/iam/groups", "/iam/groups", {"name": group}).status == 303
    page = browser.get(f"/iam/groups/{group}")
    assert f'<option value="{managed}">' in page.text
    attached = browser.post(
        f"/iam/groups/{group}/attach", {"csrf": page.csrf(), "arn": managed, "attach": "on"}
    )
    assert attached.status == 303
    policies = client.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in policies] == [managed]

    assert browser.submit("/iam/users", "/iam/users", {"name": user}).status == 303
    joined = browser.submit(
        f"/iam/users/{user}", f"/iam/users/{user}/groups", {"group": group, "member": "on"}
    )
    assert joined.status == 303
    assert [g["GroupName"] for g in client.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert user in browser.get(f"/iam/groups/{group}").text

    roles = browser.get("/iam/roles")
    assert "sts:AssumeRole" in unescape(roles.text)  # the trust policy is prefilled
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    made = browser.post(
        "/iam/roles", {"csrf": roles.csrf(), "name": role, "trust": json.dumps(trust)}
    )
    assert made.status == 303
    assert client.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == trust
    bad = browser.post("/iam/roles", {"csrf": roles.csrf(), "name": role, "trust": "{}"})
    assert bad.status >= 400 and "Traceback" not in bad.text
    assert re.search(r"<strong>\w+</strong>", bad.text)  # IAM's error code, in the page
