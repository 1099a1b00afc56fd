"""Figures only the gateway has, for `bench/core.py`: small objects under policies and
through a Multi-Region Access Point, each beside the direct figure of the same run.

- **policies**: an IAM user whose inline policy allows GetObject reads a bucket that has a
  20-statement bucket policy (issue 5's figure: at most 5% slower than without policies).
- **access point**: the same objects through an access point over that bucket and one in
  eu-west-1, signed with SigV4A (`{alias}.accesspoint.s3-global.localhost`, the gateway's own
  name for the global endpoint) and, for clients without SigV4A, with SigV4 and the alias as
  bucket name (issue 7's figure: at least 80% of direct).

wrk drives presigned URLs; for the SigV4A ones the Host header names the access point while
the connection goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.auth import BaseSigner
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.crt.auth import CrtS3SigV4AsymQueryAuth

ACCOUNT = "111122223333"
KEYS = 500
SMALL = 4096


def _client(endpoint: str, service: str, key: str, secret: str, **config: object) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-west-2" if service == "s3control" else "us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", retries={"max_attempts": 2}, **config),
    )


def _bucket_policy(bucket: str, user_arn: str, mrap_arn: str) -> str:
    """20 statements: 18 that do not apply to the benchmark's requests, and the two that do."""
    resource = f"arn:aws:s3:::{bucket}/*"
    statements: list[dict[str, object]] = [
        {
            "Sid": f"Other{n}",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{100000000000 + n}:root"},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/team{n}/*",
            "Condition": {"IpAddress": {"aws:SourceIp": f"10.{n}.0.0/16"}},
        }
        for n in range(17)
    ]
    statements.append(
        {
            "Sid": "DenyInsecureOthers",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resource,
            "Condition": {"StringEquals": {"aws:SourceIp": "203.0.113.7"}},
        }
    )
    statements.append(
        {
            "Sid": "Reader",
            "Effect": "Allow",
            "Principal": {"AWS": user_arn},
            "Action": "s3:GetObject",
            "Resource": resource,
        }
    )
    statements.append(
        {
            "Sid": "DelegateToTheAccessPoint",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": [f"arn:aws:s3:::{bucket}", resource],
            "Condition": {"StringEquals": {"s3:DataAccessPointArn": mrap_arn}},
        }
    )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _targets(urls: list[str]) -> str:
    return "\n".join("/" + url.split("/", 3)[3] for url in urls)


class GatewayPaths:
    """Buckets, a user, an access point and the URL lists for the gateway-only figures."""

    def __init__(self, endpoint: str, credentials: tuple[str, str], work: Path) -> None:
        key, secret = credentials
        port = endpoint.rsplit(":", 1)[1]
        root = _client(endpoint, "s3", key, secret)
        iam = _client(endpoint, "iam", key, secret)
        control = _client(
            f"http://localhost:{port}", "s3control", key, secret, proxies={"http": endpoint}
        )
        self.bucket, far = "bench-policies", "bench-policies-far"
        root.create_bucket(Bucket=self.bucket)
        root.create_bucket(
            Bucket=far, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        body = os.urandom(SMALL)
        keys = [f"small/{i:05d}" for i in range(KEYS)]
        for name in keys:
            root.put_object(Bucket=self.bucket, Key=name, Body=body)

        user = iam.create_user(UserName="bench-reader")["User"]
        iam.put_user_policy(
            UserName="bench-reader",
            PolicyName="read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [
                                f"arn:aws:s3:::{self.bucket}",
                                f"arn:aws:s3:::{self.bucket}/*",
                            ],
                        }
                    ],
                }
            ),
        )
        access = iam.create_access_key(UserName="bench-reader")["AccessKey"]
        reader = _client(endpoint, "s3", access["AccessKeyId"], access["SecretAccessKey"])

        token = control.create_multi_region_access_point(
            AccountId=ACCOUNT,
            Details={"Name": "bench", "Regions": [{"Bucket": self.bucket}, {"Bucket": far}]},
        )["RequestTokenARN"]
        self._wait(control, token)
        alias = control.get_multi_region_access_point(AccountId=ACCOUNT, Name="bench")[
            "AccessPoint"
        ]["Alias"]
        mrap_arn = f"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}"
        point_policy = {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{mrap_arn}/object/*",
            },
        }
        token = control.put_multi_region_access_point_policy(
            AccountId=ACCOUNT, Details={"Name": "bench", "Policy": json.dumps(point_policy)}
        )["RequestTokenARN"]
        self._wait(control, token)
        root.put_bucket_policy(
            Bucket=self.bucket, Policy=_bucket_policy(self.bucket, user["Arn"], mrap_arn)
        )

        self.host = f"{alias}.accesspoint.s3-global.localhost:{port}"
        put_keys = [f"put/{i:05d}" for i in range(KEYS)]
        self.files: dict[str, Path] = {}

        def write(name: str, urls: list[str]) -> None:
            self.files[name] = work / f"gateway-{name}.txt"
            self.files[name].write_text(_targets(urls))

        def presign(client: BaseClient, op: str, bucket: str, names: list[str]) -> list[str]:
            return [
                client.generate_presigned_url(
                    op, Params={"Bucket": bucket, "Key": n}, ExpiresIn=3600
                )
                for n in names
            ]

        write("policies GET", presign(reader, "get_object", self.bucket, keys))
        write("alias GET", presign(root, "get_object", alias, keys))
        write("alias PUT", presign(root, "put_object", alias, put_keys))
        sigv4a = _sigv4a_presigner(key, secret)
        write("SigV4A GET", [sigv4a("GET", f"http://{self.host}/{n}") for n in keys])
        write("SigV4A PUT", [sigv4a("PUT", f"http://{self.host}/{n}") for n in put_keys])

    @staticmethod
    def _wait(control: BaseClient, token: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            op = control.describe_multi_region_access_point_operation(
                AccountId=ACCOUNT, RequestTokenARN=token
            )["AsyncOperation"]
            if op["RequestStatus"] in ("SUCCEEDED", "FAILED"):
                if op["RequestStatus"] == "FAILED":
                    raise RuntimeError(f"access point operation failed: {op}")
                return
            time.sleep(0.1)
        raise RuntimeError("access point operation did not finish")

    def runs(self) -> list[tuple[str, str, Path, str | None]]:
        """(figure name, method, targets file, Host header or None) for each wrk run."""
        return [
            ("GET 4KiB policies", "GET", self.files["policies GET"], None),
            ("GET 4KiB MRAP alias SigV4", "GET", self.files["alias GET"], None),
            ("PUT 4KiB MRAP alias SigV4", "PUT", self.files["alias PUT"], None),
            ("GET 4KiB MRAP SigV4A", "GET", self.files["SigV4A GET"], self.host),
            ("PUT 4KiB MRAP SigV4A", "PUT", self.files["SigV4A PUT"], self.host),
        ]


def _sigv4a_presigner(key: str, secret: str) -> Callable[[str, str], str]:
    """Presign a URL with SigV4A (region set `*`), as botocore does for access point ARNs."""
    signer: BaseSigner = CrtS3SigV4AsymQueryAuth(Credentials(key, secret), "s3", "*", expires=3600)

    def presign(method: str, url: str) -> str:
        request = AWSRequest(method=method, url=url)
        signer.add_auth(request)
        return str(request.url)

    return presign
