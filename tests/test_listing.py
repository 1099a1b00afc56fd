"""Listing through boto3 against the running gateway: ListObjectsV2 and ListObjects (v1).

Prefix, delimiter and common prefixes, max-keys and pages (continuation token, start-after,
marker), fetch-owner, encoding-type=url and UTF-8 byte order of keys.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_plus

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway

TREE = [
    "docs/readme.md",
    "photos/2006/feb/b.jpg",
    "photos/2006/jan/a.jpg",
    "photos/2007/x.jpg",
    "photos/top.jpg",
    "photos2/other.jpg",
    "root.txt",
    "zeta",
]


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(code, HTTP status) of a ClientError."""
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def put_all(s3: BaseClient, bucket: str, keys: Iterable[str], workers: int = 16) -> None:
    """Create empty objects, several at a time."""

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, keys))


def keys_of(page: dict[str, Any]) -> list[str]:
    return [o["Key"] for o in page.get("Contents", [])]


def prefixes_of(page: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in page.get("CommonPrefixes", [])]


def utf8_sorted(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode())


@pytest.fixture
def tree(s3: BaseClient, bucket: str) -> str:
    """The test's bucket holding TREE."""
    put_all(s3, bucket, TREE)
    return bucket


# ListObjectsV2


def test_v2_whole_bucket(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree)
    assert keys_of(page) == TREE
    assert page["KeyCount"] == len(TREE)
    assert page["IsTruncated"] is False
    assert page["MaxKeys"] == 1000
    assert page["Name"] == tree
    assert page["Prefix"] == ""
    assert "NextContinuationToken" not in page
    first = page["Contents"][0]
    assert first["Size"] == 0
    assert first["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert first["StorageClass"] == "STANDARD"
    assert "Owner" not in first
    assert first["LastModified"]


def test_v2_empty_bucket(s3: BaseClient, bucket: str) -> None:
    page = s3.list_objects_v2(Bucket=bucket)
    assert page["KeyCount"] == 0
    assert "Contents" not in page
    assert page["IsTruncated"] is False


def test_v2_prefix(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree, Prefix="photos/2006/")
    assert keys_of(page) == ["photos/2006/feb/b.jpg", "photos/2006/jan/a.jpg"]
    assert page["Prefix"] == "photos/2006/"
    assert s3.list_objects_v2(Bucket=tree, Prefix="nothing")["KeyCount"] == 0
    assert keys_of(s3.list_objects_v2(Bucket=tree, Prefix="zeta")) == ["zeta"]


def test_v2_delimiter(s3: BaseClient, tree: str) -> None:
    top = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert keys_of(top) == ["root.txt", "zeta"]
    assert prefixes_of(top) == ["docs/", "photos/", "photos2/"]
    assert top["KeyCount"] == 5  # keys and common prefixes both count
    assert top["Delimiter"] == "/"

    photos = s3.list_objects_v2(Bucket=tree, Prefix="photos/", Delimiter="/")
    assert keys_of(photos) == ["photos/top.jpg"]
    assert prefixes_of(photos) == ["photos/2006/", "photos/2007/"]

    partial = s3.list_objects_v2(Bucket=tree, Prefix="photos/20", Delimiter="/")
    assert keys_of(partial) == []
    assert prefixes_of(partial) == ["photos/2006/", "photos/2007/"]


def test_empty_delimiter_is_not_echoed(s3: BaseClient, tree: str) -> None:
    # AWS leaves an empty `delimiter=` out of the result instead of echoing <Delimiter/>.
    sent: list[str] = []
    s3.meta.events.register("before-send.s3.*", lambda request, **_: sent.append(request.url))
    pages = [
        s3.list_objects_v2(Bucket=tree, Delimiter=""),
        s3.list_objects(Bucket=tree, Delimiter=""),
        s3.list_object_versions(Bucket=tree, Delimiter=""),
        s3.list_multipart_uploads(Bucket=tree, Delimiter=""),
    ]
    assert len(sent) == len(pages)
    assert all("delimiter=" in url for url in sent)
    for page in pages:
        assert "Delimiter" not in page
        assert "CommonPrefixes" not in page
    assert keys_of(pages[0]) == TREE
    assert keys_of(pages[1]) == TREE


def test_v2_other_delimiters(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree, Delimiter="o")
    assert prefixes_of(page) == ["do", "pho", "ro"]
    assert keys_of(page) == ["zeta"]
    page = s3.list_objects_v2(Bucket=tree, Prefix="photos/", Delimiter=".jpg")
    assert prefixes_of(page) == [
        "photos/2006/feb/b.jpg",
        "photos/2006/jan/a.jpg",
        "photos/2007/x.jpg",
        "photos/top.jpg",
    ]
    assert keys_of(page) == []
    page = s3.list_objects_v2(Bucket=tree, Delimiter="/2006/")
    assert prefixes_of(page) == ["photos/2006/"]
    assert keys_of(page) == [k for k in TREE if "/2006/" not in k]


def test_v2_max_keys_and_continuation(s3: BaseClient, tree: str) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"Bucket": tree, "MaxKeys": 3}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        pages += 1
        assert page["MaxKeys"] == 3
        assert page["KeyCount"] == len(page.get("Contents", []))
        assert page["KeyCount"] <= 3
        if token:
            assert page["ContinuationToken"] == token
        seen += keys_of(page)
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        assert page["KeyCount"] == 3
        token = page["NextContinuationToken"]
    assert seen == TREE
    assert pages == 3


def test_v2_pages_with_delimiter_count_prefixes(s3: BaseClient, tree: str) -> None:
    first = s3.list_objects_v2(Bucket=tree, Delimiter="/", MaxKeys=2)
    assert prefixes_of(first) == ["docs/", "photos/"]
    assert keys_of(first) == []
    assert first["KeyCount"] == 2
    assert first["IsTruncated"] is True
    second = s3.list_objects_v2(
        Bucket=tree, Delimiter="/", MaxKeys=2, ContinuationToken=first["NextContinuationToken"]
    )
    # The page after a common prefix skips every key under it.
    assert prefixes_of(second) == ["photos2/"]
    assert keys_of(second) == ["root.txt"]
    third = s3.list_objects_v2(
        Bucket=tree, Delimiter="/", MaxKeys=2, ContinuationToken=second["NextContinuationToken"]
    )
    assert keys_of(third) == ["zeta"]
    assert prefixes_of(third) == []
    assert third["IsTruncated"] is False


def test_v2_max_keys_zero(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree, MaxKeys=0)
    assert page["KeyCount"] == 0
    assert "Contents" not in page


def test_v2_max_keys_is_capped(s3: BaseClient, bucket: str) -> None:
    put_all(s3, bucket, (f"k{i:04d}" for i in range(1001)))
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert page["KeyCount"] == 1000
    assert page["IsTruncated"] is True
    rest = s3.list_objects_v2(Bucket=bucket, ContinuationToken=page["NextContinuationToken"])
    assert keys_of(rest) == ["k1000"]


def test_v2_start_after(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree, StartAfter="photos/2007/x.jpg")
    assert keys_of(page) == ["photos/top.jpg", "photos2/other.jpg", "root.txt", "zeta"]
    assert page["StartAfter"] == "photos/2007/x.jpg"
    # A start-after that is not a key starts just after where it would sort.
    assert keys_of(s3.list_objects_v2(Bucket=tree, StartAfter="q")) == ["root.txt", "zeta"]
    assert s3.list_objects_v2(Bucket=tree, StartAfter="zzz")["KeyCount"] == 0
    page = s3.list_objects_v2(Bucket=tree, Prefix="photos/", StartAfter="photos/2006/jan")
    assert keys_of(page) == ["photos/2006/jan/a.jpg", "photos/2007/x.jpg", "photos/top.jpg"]
    # With a delimiter, a start-after at or inside a common prefix means that prefix was
    # already listed: the listing resumes after it (as S3 and RGW do).
    page = s3.list_objects_v2(Bucket=tree, Delimiter="/", StartAfter="photos/")
    assert prefixes_of(page) == ["photos2/"]
    page = s3.list_objects_v2(Bucket=tree, Delimiter="/", StartAfter="photos/2006/")
    assert prefixes_of(page) == ["photos2/"]
    assert keys_of(page) == ["root.txt", "zeta"]
    page = s3.list_objects_v2(Bucket=tree, Delimiter="/", StartAfter="photo")
    assert prefixes_of(page) == ["photos/", "photos2/"]


def test_v2_continuation_token_wins_over_start_after(s3: BaseClient, tree: str) -> None:
    first = s3.list_objects_v2(Bucket=tree, MaxKeys=2)
    second = s3.list_objects_v2(
        Bucket=tree, MaxKeys=2, StartAfter="zeta", ContinuationToken=first["NextContinuationToken"]
    )
    assert keys_of(second) == TREE[2:4]


def test_v2_bad_continuation_token(s3: BaseClient, tree: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=tree, ContinuationToken="!!not a token!!")
    assert error_of(exc) == ("InvalidArgument", 400)


def test_v2_fetch_owner(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects_v2(Bucket=tree, FetchOwner=True, MaxKeys=2)
    owners = [o["Owner"] for o in page["Contents"]]
    assert len(owners) == 2
    assert all(o["ID"] and o["ID"] == owners[0]["ID"] for o in owners)
    assert owners[0]["ID"] == s3.list_buckets()["Owner"]["ID"]
    page = s3.list_objects_v2(Bucket=tree, FetchOwner=False, MaxKeys=2)
    assert all("Owner" not in o for o in page["Contents"])


SPECIAL = [
    "a b",
    "a+b",
    "a%2Bb",
    "100%",
    "dir/sub dir/é.txt",
    "tab\there",
    "amp&lt;",
    "<tag>",
    "中文/键",
    "emoji😀",
    "q?x=1#f",
]


def test_v2_special_keys_round_trip(s3: BaseClient, bucket: str) -> None:
    put_all(s3, bucket, SPECIAL)
    # boto3 asks for encoding-type=url by itself and decodes the answer.
    page = s3.list_objects_v2(Bucket=bucket)
    assert keys_of(page) == utf8_sorted(SPECIAL)
    page = s3.list_objects_v2(Bucket=bucket, Delimiter=" ", Prefix="dir/")
    assert prefixes_of(page) == ["dir/sub "]


def test_v2_encoding_type_url(s3: BaseClient, bucket: str) -> None:
    put_all(s3, bucket, SPECIAL)
    # Asked for explicitly, boto3 leaves the answer as sent.
    page = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Prefix="dir/", Delimiter="/")
    assert page["EncodingType"] == "url"
    [common] = prefixes_of(page)
    assert " " not in common and unquote_plus(common) == "dir/sub dir/"
    assert page["Prefix"] == "dir/"
    page = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    raw = keys_of(page)
    for key in raw:
        assert key.isascii()
        assert " " not in key and "<" not in key and "&" not in key and "\t" not in key
    assert [unquote_plus(k) for k in raw] == utf8_sorted(SPECIAL)
    assert "a%2Bb" in raw  # a literal plus is encoded, so it cannot read as a space
    page = s3.list_objects_v2(Bucket=bucket, EncodingType="url", StartAfter="a b")
    assert " " not in page["StartAfter"] and unquote_plus(page["StartAfter"]) == "a b"


def test_v2_bad_encoding_type(s3: BaseClient, bucket: str) -> None:
    def swap(request: Any, **_: object) -> None:
        request.url = request.url.replace("encoding-type=url", "encoding-type=base64")

    s3.meta.events.register("before-sign.s3.ListObjectsV2", swap)
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket)
    assert error_of(exc) == ("InvalidArgument", 400)


def test_utf8_byte_order(s3: BaseClient, bucket: str) -> None:
    keys = ["z", "Z", "a", "A", "é", "e", "\u4e2d", "\uff21", "😀", "~", "0", "-", "a/b", "a-b"]
    put_all(s3, bucket, keys)
    expected = utf8_sorted(keys)
    # UTF-16 order (what a naive sort of some languages gives) differs for 😀 and U+FF21.
    assert expected.index("\uff21") < expected.index("😀")
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == expected
    assert keys_of(s3.list_objects(Bucket=bucket)) == expected
    paged = [
        key
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 3}
        )
        for key in keys_of(page)
    ]
    assert paged == expected
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="é")
    assert keys_of(after) == expected[expected.index("é") + 1 :]


def test_paginator_over_many_keys(s3: BaseClient, bucket: str) -> None:
    keys = [f"dir{i % 3}/key-{i:05d}" for i in range(2500)]
    put_all(s3, bucket, keys)
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket))
    assert [p["KeyCount"] for p in pages] == [1000, 1000, 500]
    assert [k for p in pages for k in keys_of(p)] == sorted(keys)
    pages = list(paginator.paginate(Bucket=bucket, Prefix="dir1/"))
    assert sum(p["KeyCount"] for p in pages) == len([k for k in keys if k.startswith("dir1/")])
    top = list(paginator.paginate(Bucket=bucket, Delimiter="/"))
    assert [prefixes_of(p) for p in top] == [["dir0/", "dir1/", "dir2/"]]
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket))
    assert [k for p in v1 for k in keys_of(p)] == sorted(keys)
    assert len(v1) == 3


def _seed(gateway: Gateway, bucket: str, keys: Iterable[str]) -> None:
    """Add listing rows straight to the region store's index (no data files: list only)."""
    meta = json.dumps(
        {
            "content_type": "binary/octet-stream",
            "headers": {},
            "user_metadata": {},
            "checksums": {},
            "parts_count": 0,
        }
    )
    db = gateway.data_dir / "regions" / "us-east-1" / "db.sqlite3"
    conn = sqlite3.connect(db, timeout=30)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO objects(bucket, key, size, etag, last_modified, file, meta)"
                " VALUES (?, ?, 0, 'd41d8cd98f00b204e9800998ecf8427e', ?, 'none', ?)",
                ((bucket, key.encode(), time.time(), meta) for key in keys),
            )
    finally:
        conn.close()


def test_pages_anywhere_in_a_large_bucket(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    # What a page costs at the start and at the end is measured by bench/listing.py;
    # here, that pages deep in a 100,000-key bucket and rolled-up prefixes are right.
    count = 100_000
    _seed(gateway, bucket, (f"big/{i:06d}" for i in range(count)))
    _seed(gateway, bucket, ["zz-last"])
    last = f"big/{count - 1:06d}"

    assert keys_of(s3.list_objects_v2(Bucket=bucket, MaxKeys=1000))[0] == "big/000000"
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1000, StartAfter=f"big/{count - 1000:06d}")
    assert keys_of(page)[-2:] == [last, "zz-last"]
    page = s3.list_objects(Bucket=bucket, MaxKeys=1000, Marker=f"big/{count - 1000:06d}")
    assert keys_of(page)[-1] == "zz-last"
    # Every key but one rolls up into one prefix: answered by jumping over them.
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert prefixes_of(page) == ["big/"]
    assert keys_of(page) == ["zz-last"]


# ListObjects (v1)


def test_v1_whole_bucket(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects(Bucket=tree)
    assert keys_of(page) == TREE
    assert page["IsTruncated"] is False
    assert page["Marker"] == ""
    assert page["MaxKeys"] == 1000
    assert "NextMarker" not in page
    assert all(o["Owner"]["ID"] for o in page["Contents"])


def test_v1_marker_without_delimiter(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects(Bucket=tree, MaxKeys=3)
    assert keys_of(page) == TREE[:3]
    assert page["IsTruncated"] is True
    assert "NextMarker" not in page  # only given with a delimiter; the last key is the marker
    page = s3.list_objects(Bucket=tree, MaxKeys=3, Marker=TREE[2])
    assert page["Marker"] == TREE[2]
    assert keys_of(page) == TREE[3:6]
    page = s3.list_objects(Bucket=tree, Marker=TREE[5])
    assert keys_of(page) == TREE[6:]
    assert page["IsTruncated"] is False


def test_v1_next_marker_with_delimiter(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=2)
    assert prefixes_of(page) == ["docs/", "photos/"]
    assert page["IsTruncated"] is True
    assert page["NextMarker"] == "photos/"
    page = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=2, Marker=page["NextMarker"])
    assert prefixes_of(page) == ["photos2/"]
    assert keys_of(page) == ["root.txt"]
    assert page["NextMarker"] == "root.txt"
    page = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=2, Marker=page["NextMarker"])
    assert keys_of(page) == ["zeta"]
    assert page["IsTruncated"] is False
    assert "NextMarker" not in page


def test_v1_prefix_and_delimiter(s3: BaseClient, tree: str) -> None:
    page = s3.list_objects(Bucket=tree, Prefix="photos/", Delimiter="/")
    assert keys_of(page) == ["photos/top.jpg"]
    assert prefixes_of(page) == ["photos/2006/", "photos/2007/"]
    assert page["Prefix"] == "photos/"
    assert page["Delimiter"] == "/"


def test_v1_encoding_type_url(s3: BaseClient, bucket: str) -> None:
    put_all(s3, bucket, SPECIAL)
    assert keys_of(s3.list_objects(Bucket=bucket)) == utf8_sorted(SPECIAL)
    page = s3.list_objects(Bucket=bucket, EncodingType="url", Delimiter="/", MaxKeys=3)
    assert page["EncodingType"] == "url"
    assert [unquote_plus(k) for k in keys_of(page) + prefixes_of(page)] == utf8_sorted(SPECIAL)[:3]
    assert unquote_plus(page["NextMarker"]) == utf8_sorted(SPECIAL)[2]


def test_listing_does_not_see_other_buckets(s3: BaseClient, tree: str, bucket: str) -> None:
    other = "other-" + secrets.token_hex(6)
    s3.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    put_all(s3, other, ["docs/elsewhere", "photos/elsewhere"])
    assert keys_of(s3.list_objects_v2(Bucket=tree)) == TREE
    assert keys_of(s3.list_objects_v2(Bucket=other)) == ["docs/elsewhere", "photos/elsewhere"]


def test_bad_max_keys(s3: BaseClient, bucket: str) -> None:
    def swap(request: Any, **_: object) -> None:
        request.url = request.url.replace("max-keys=5", "max-keys=-5")

    s3.meta.events.register("before-sign.s3.ListObjectsV2", swap)
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket, MaxKeys=5)
    assert error_of(exc) == ("InvalidArgument", 400)
