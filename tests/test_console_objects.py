"""The web console's buckets and objects over HTTP: several files in one upload (multipart
above 16 MiB), versions, object details, and the bucket's and the account's permissions,
each checked with boto3."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from html import unescape
from urllib.parse import quote

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from consolehttp import ConsoleBrowser
from test_console import s3control

ACCOUNT = "111122223333"
MIB = 1 << 20


@pytest.fixture
def bucket(gw: Gateway) -> str:
    name = f"objects-{secrets.token_hex(4)}"
    gw.client().create_bucket(Bucket=name)
    return name


def test_several_files_in_one_upload_the_large_one_multipart(
    browser: ConsoleBrowser, gw: Gateway, bucket: str
) -> None:
    small = secrets.token_bytes(1000)
    large = secrets.token_bytes(33 * MIB)  # three parts of 16, 16 and 1 MiB
    page = browser.get(f"/buckets/{bucket}")
    assert 'type="file" multiple' in page.text and "<progress" in page.text
    done = browser.upload_files(
        f"/buckets/{bucket}/upload", page.csrf(), "in/", [("a.txt", small), ("big.bin", large)]
    )
    assert done.status == 303
    s3 = gw.client()
    assert s3.get_object(Bucket=bucket, Key="in/a.txt")["Body"].read() == small
    big = s3.get_object(Bucket=bucket, Key="in/big.bin")
    assert big["Body"].read() == large
    assert big["ETag"].endswith('-3"')  # CompleteMultipartUpload of three parts
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    listing = browser.get(done.location)
    assert "Uploaded 2 files: in/a.txt, in/big.bin" in unescape(listing.text)
    assert "33.0 MB" in listing.text


def test_versions_show_download_and_delete_one(
    browser: ConsoleBrowser, gw: Gateway, bucket: str
) -> None:
    s3 = gw.client()
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"first")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"second")["VersionId"]
    plain = browser.get(f"/buckets/{bucket}")
    assert plain.text.count("doc.txt</a>") == 1 and first not in plain.text
    page = browser.get(f"/buckets/{bucket}?versions=on")
    rows = re.findall(r'<tr class="version">(.*?)</tr>', page.text, re.S)
    assert len(rows) == 2
    assert second in rows[0] and "(current)" in rows[0] and first in rows[1]
    old = browser.get(f"/buckets/{bucket}/download?key=doc.txt&versionId={quote(first)}")
    assert old.status == 200 and old.body == b"first"
    deleted = browser.post(
        f"/buckets/{bucket}/objects/delete",
        {"csrf": page.csrf(), "key": "doc.txt", "versionId": first},
    )
    assert deleted.status == 303 and "versions=on" in deleted.location
    left = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in left] == [second]
    after = browser.get(deleted.location)
    assert len(re.findall(r'<tr class="version">', after.text)) == 1


def test_object_details_show_metadata_tags_checksums_and_storage_class(
    browser: ConsoleBrowser, gw: Gateway, bucket: str
) -> None:
    body = b"details"
    gw.client().put_object(
        Bucket=bucket,
        Key="d/e.txt",
        Body=body,
        Metadata={"owner": "<b>ana</b>"},
        Tagging="team=blue&cost=1",
        ChecksumAlgorithm="SHA256",
        StorageClass="STANDARD_IA",
    )
    page = browser.get(f"/buckets/{bucket}/object?key=d%2Fe.txt")
    assert page.status == 200
    assert "x-amz-meta-owner</td><td>&lt;b&gt;ana&lt;/b&gt;</td>" in page.text
    assert re.search(r'id="storage-class">STANDARD_IA<', page.text)
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() in page.text
    assert "<b>ana" not in page.text
    tags = re.findall(r'<tr class="tag"><td>(.*?)</td><td>(.*?)</td></tr>', page.text)
    assert sorted(tags) == [("cost", "1"), ("team", "blue")]
    missing = browser.get(f"/buckets/{bucket}/object?key=nope")
    assert missing.status == 404 and "Traceback" not in missing.text


def test_bucket_permissions_block_public_access_policy_and_requester_pays(
    browser: ConsoleBrowser, gw: Gateway, bucket: str
) -> None:
    s3: BaseClient = gw.client()
    tab = browser.get(f"/buckets/{bucket}?tab=permissions")
    assert tab.status == 200 and "No bucket policy" in tab.text
    saved = browser.post(
        f"/buckets/{bucket}/public-access-block",
        {"csrf": tab.csrf(), "BlockPublicPolicy": "on", "IgnorePublicAcls": "on"},
    )
    assert saved.status == 303
    flags = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert flags == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }

    bad = browser.submit(
        f"/buckets/{bucket}/policy", f"/buckets/{bucket}/policy", {"policy": '{"Version": 1}'}
    )
    assert bad.status == 400 and "MalformedPolicy" in bad.text
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    public = {"Version": "2012-10-17", "Statement": [statement]}
    refused = browser.submit(
        f"/buckets/{bucket}/policy", f"/buckets/{bucket}/policy", {"policy": json.dumps(public)}
    )
    assert refused.status == 403 and "AccessDenied" in refused.text  # BlockPublicPolicy
    statement["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    good = browser.submit(
        f"/buckets/{bucket}/policy", f"/buckets/{bucket}/policy", {"policy": json.dumps(public)}
    )
    assert good.status == 303
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == public

    payer = browser.post(
        f"/buckets/{bucket}/request-payment", {"csrf": tab.csrf(), "payer": "Requester"}
    )
    assert payer.status == 303
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    after = browser.get(payer.location)
    assert 'id="payer-requester" name="payer" value="Requester" checked' in after.text
    assert "Not public" in after.text

    emptied = browser.submit(
        f"/buckets/{bucket}/policy", f"/buckets/{bucket}/policy", {"policy": ""}
    )
    assert emptied.status == 303
    with pytest.raises(ClientError) as gone:
        s3.get_bucket_policy(Bucket=bucket)
    assert gone.value.response["Error"]["Code"] == "NoSuchBucketPolicy"


def test_account_block_public_access_page(browser: ConsoleBrowser, gw: Gateway) -> None:
    page = browser.get("/account/public-access-block")
    assert page.status == 200 and ACCOUNT in page.text
    saved = browser.post(
        "/account/public-access-block", {"csrf": page.csrf(), "RestrictPublicBuckets": "on"}
    )
    assert saved.status == 303
    try:
        flags = s3control(gw).get_public_access_block(AccountId=ACCOUNT)
        assert flags["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
        assert flags["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
        again = browser.get(saved.location)
        assert 'id="RestrictPublicBuckets" name="RestrictPublicBuckets" checked' in again.text
        assert "Block Public Access settings saved." in again.text
    finally:
        s3control(gw).delete_public_access_block(AccountId=ACCOUNT)
