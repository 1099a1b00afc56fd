"""The AWS operations the console performs, each one signed request through `GatewayClient`.

Each function names the AWS operation it sends, and returns plain records for the templates.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, tostring

import aiohttp

from mrap.console.client import (
    Answer,
    ApiError,
    Credentials,
    GatewayClient,
    parse_xml,
    quote_path,
)

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
CONTROL_NAMESPACE = "http://awss3control.amazonaws.com/doc/2018-08-20/"
# AWS serves Multi-Region Access Point management only from us-west-2 (AWS-NOTES §2).
MANAGEMENT_REGION = "us-west-2"
PUBLIC_ACCESS_BLOCK = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


@dataclass(frozen=True)
class Caller:
    """STS GetCallerIdentity's answer."""

    account: str
    arn: str
    user_id: str


@dataclass(frozen=True)
class RegionBucket:
    """One region of a Multi-Region Access Point."""

    region: str
    bucket: str


@dataclass(frozen=True)
class AccessPoint:
    """A MultiRegionAccessPointReport."""

    name: str
    alias: str
    status: str
    created: str
    regions: list[RegionBucket]
    public_access_block: dict[str, bool]

    def arn(self, account: str) -> str:
        """The ARN clients use as the bucket name."""
        return f"arn:aws:s3::{account}:accesspoint/{self.alias}"


@dataclass(frozen=True)
class Operation:
    """An `AsyncOperation` of DescribeMultiRegionAccessPointOperation."""

    operation: str
    status: str
    name: str
    created: str
    regions: list[tuple[str, str]]
    token: str = ""
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class Bucket:
    """A bucket of ListBuckets with its region."""

    name: str
    created: str
    region: str = ""


@dataclass(frozen=True)
class ObjectEntry:
    """One key of ListObjectsV2."""

    key: str
    size: int
    modified: str
    storage_class: str


@dataclass
class Listing:
    """One page of ListObjectsV2 with `/` as delimiter."""

    prefixes: list[str] = field(default_factory=list)
    objects: list[ObjectEntry] = field(default_factory=list)
    truncated: bool = False


class Calls:
    """The operations, made as the principal whose credentials are given."""

    def __init__(self, client: GatewayClient, credentials: Credentials, account: str = "") -> None:
        self.client = client
        self.credentials = credentials
        self.account = account
        self._regions: dict[str, str] = {}

    # STS

    async def get_caller_identity(self) -> Caller:
        """STS GetCallerIdentity: who these credentials belong to."""
        root = await self.query("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        return Caller(
            root.findtext(".//Account") or "",
            root.findtext(".//Arn") or "",
            root.findtext(".//UserId") or "",
        )

    async def query(self, service: str, params: dict[str, str], host: str = "") -> Element:
        """One Query-protocol request (STS, IAM), form-encoded; its parsed answer."""
        body = "&".join(
            f"{k}={v}" for k, v in ((k, _form_quote(v)) for k, v in sorted(params.items()))
        ).encode()
        answer = await self.client.request(
            self.credentials,
            "POST",
            "/",
            headers=[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body=body,
            host=host,
            service=service,
        )
        return parse_xml(answer.body)

    # S3 Control

    def _control_host(self) -> str:
        port = self.client.address.rpartition(":")[2]
        return f"{self.account}.s3-control.{self.client.domain}:{port}"

    async def control(
        self,
        method: str,
        path: str,
        body: Element | None = None,
        region: str = MANAGEMENT_REGION,
    ) -> Element | None:
        """One S3 Control request (`path` under `/v20180820/`) for the caller's account; its
        parsed answer, or None for an empty one."""
        data = b"" if body is None else tostring(body, encoding="utf-8", xml_declaration=True)
        headers = [("x-amz-account-id", self.account)]
        if body is not None:
            headers.append(("content-type", "application/xml"))
        answer = await self.client.request(
            self.credentials,
            method,
            "/v20180820/" + path,
            headers=headers,
            body=data,
            host=self._control_host(),
            region=region,
        )
        return parse_xml(answer.body) if answer.body.strip() else None

    async def list_multi_region_access_points(self) -> list[AccessPoint]:
        """S3 Control ListMultiRegionAccessPoints, every page."""
        points: list[AccessPoint] = []
        token = ""
        while True:
            path = "mrap/instances" + (f"?nextToken={quote_path(token)}" if token else "")
            root = await self.control("GET", path)
            assert root is not None
            points += [_access_point(e) for e in root.iter("AccessPoint")]
            token = root.findtext("NextToken") or ""
            if not token:
                return points

    async def get_multi_region_access_point(self, name: str) -> AccessPoint:
        """S3 Control GetMultiRegionAccessPoint."""
        root = await self.control("GET", "mrap/instances/" + quote_path(name))
        assert root is not None
        report = root.find("AccessPoint")
        assert report is not None
        return _access_point(report)

    async def create_multi_region_access_point(
        self, name: str, buckets: list[str], block: dict[str, bool]
    ) -> str:
        """S3 Control CreateMultiRegionAccessPoint; the operation's request token ARN."""
        doc = _request("CreateMultiRegionAccessPointRequest")
        details = SubElement(doc, "Details")
        SubElement(details, "Name").text = name
        flags = SubElement(details, "PublicAccessBlock")
        for setting in PUBLIC_ACCESS_BLOCK:
            SubElement(flags, setting).text = "true" if block.get(setting) else "false"
        regions = SubElement(details, "Regions")
        for bucket in buckets:
            SubElement(SubElement(regions, "Region"), "Bucket").text = bucket
        return await self._async("create", doc)

    async def delete_multi_region_access_point(self, name: str) -> str:
        """S3 Control DeleteMultiRegionAccessPoint; the operation's request token ARN."""
        doc = _request("DeleteMultiRegionAccessPointRequest")
        SubElement(SubElement(doc, "Details"), "Name").text = name
        return await self._async("delete", doc)

    async def put_multi_region_access_point_policy(self, name: str, policy: str) -> str:
        """S3 Control PutMultiRegionAccessPointPolicy; the operation's request token ARN."""
        doc = _request("PutMultiRegionAccessPointPolicyRequest")
        details = SubElement(doc, "Details")
        SubElement(details, "Name").text = name
        SubElement(details, "Policy").text = policy
        return await self._async("put-policy", doc)

    async def _async(self, kind: str, doc: Element) -> str:
        root = await self.control("POST", "async-requests/mrap/" + kind, doc)
        assert root is not None
        return root.findtext("RequestTokenARN") or ""

    async def describe_multi_region_access_point_operation(self, token_arn: str) -> Operation:
        """S3 Control DescribeMultiRegionAccessPointOperation."""
        root = await self.control("GET", "async-requests/mrap/" + quote_path(token_arn))
        assert root is not None
        op = root.find("AsyncOperation")
        assert op is not None
        return _operation(op)

    async def list_multi_region_access_point_operations(self, name: str) -> list[Operation]:
        """The mrap extension to S3 Control (not an AWS operation): every asynchronous
        operation of the access point name, newest first."""
        root = await self.control("GET", f"mrap/instances/{quote_path(name)}/operations")
        assert root is not None
        return [_operation(op) for op in root.iterfind("AsyncOperation")]

    async def get_multi_region_access_point_policy(self, name: str) -> tuple[str, str]:
        """S3 Control GetMultiRegionAccessPointPolicy: (established, proposed) texts."""
        root = await self.control("GET", f"mrap/instances/{quote_path(name)}/policy")
        assert root is not None
        return (
            root.findtext("Policy/Established/Policy") or "",
            root.findtext("Policy/Proposed/Policy") or "",
        )

    async def get_multi_region_access_point_policy_status(self, name: str) -> bool:
        """S3 Control GetMultiRegionAccessPointPolicyStatus: whether the policy is public."""
        root = await self.control("GET", f"mrap/instances/{quote_path(name)}/policystatus")
        assert root is not None
        return (root.findtext("Established/IsPublic") or "").lower() == "true"

    # S3

    async def s3(
        self,
        method: str,
        bucket: str = "",
        key: str = "",
        query: list[tuple[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        region: str = "us-east-1",
    ) -> Element | None:
        """One S3 request with a small body; its parsed answer, or None for an empty one."""
        answer = await self.s3_answer(method, bucket, key, query, headers, body, region)
        return parse_xml(answer.body) if answer.body.strip() else None

    async def s3_answer(
        self,
        method: str,
        bucket: str = "",
        key: str = "",
        query: list[tuple[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        region: str = "us-east-1",
    ) -> Answer:
        """One S3 request with a small body; its whole answer, headers included."""
        path = "/" + quote_path(bucket) + ("/" + quote_path(key) if key else "") if bucket else "/"
        return await self.client.request(
            self.credentials,
            method,
            path,
            query=query or [],
            headers=headers or [],
            body=body,
            region=region,
        )

    async def list_buckets(self) -> list[Bucket]:
        """S3 ListBuckets."""
        root = await self.s3("GET")
        assert root is not None
        return [
            Bucket(b.findtext("Name") or "", b.findtext("CreationDate") or "")
            for b in root.iterfind("Buckets/Bucket")
        ]

    async def get_bucket_location(self, bucket: str) -> str:
        """S3 GetBucketLocation (an empty constraint is us-east-1)."""
        root = await self.s3("GET", bucket, query=[("location", "")])
        return (root.text if root is not None else "") or "us-east-1"

    async def region_of(self, bucket: str) -> str:
        """The bucket's region, which a bucket's requests must be signed for."""
        if bucket not in self._regions:
            try:
                self._regions[bucket] = await self.get_bucket_location(bucket)
            except ApiError:
                # The operation itself then answers with the error the caller should see.
                self._regions[bucket] = "us-east-1"
        return self._regions[bucket]

    async def create_bucket(
        self, bucket: str, region: str, object_lock: bool = False, ownership: str = ""
    ) -> None:
        """S3 CreateBucket in `region`, with Object Lock enabled when asked and the Object
        Ownership setting when given (the gateway checks its value)."""
        body = b""
        if region != "us-east-1":
            doc = Element("CreateBucketConfiguration", xmlns=S3_NAMESPACE)
            SubElement(doc, "LocationConstraint").text = region
            body = tostring(doc, encoding="utf-8")
        headers = [("x-amz-bucket-object-lock-enabled", "true")] if object_lock else []
        if ownership:
            headers.append(("x-amz-object-ownership", ownership))
        await self.s3("PUT", bucket, headers=headers, body=body, region=region)

    async def delete_bucket(self, bucket: str) -> None:
        """S3 DeleteBucket."""
        await self.s3("DELETE", bucket, region=await self.region_of(bucket))

    async def list_objects(self, bucket: str, prefix: str) -> Listing:
        """S3 ListObjectsV2 of one folder level (delimiter `/`), up to 1000 entries."""
        root = await self.s3(
            "GET",
            bucket,
            query=[("list-type", "2"), ("delimiter", "/"), ("prefix", prefix)],
            region=await self.region_of(bucket),
        )
        assert root is not None
        listing = Listing(truncated=(root.findtext("IsTruncated") or "") == "true")
        listing.prefixes = [p.findtext("Prefix") or "" for p in root.iterfind("CommonPrefixes")]
        listing.objects = [
            ObjectEntry(
                c.findtext("Key") or "",
                int(c.findtext("Size") or 0),
                c.findtext("LastModified") or "",
                c.findtext("StorageClass") or "",
            )
            for c in root.iterfind("Contents")
        ]
        return listing

    async def get_object(
        self, bucket: str, key: str, version_id: str = ""
    ) -> aiohttp.ClientResponse:
        """S3 GetObject (of one version if given), unread: the caller streams the body on."""
        return await self.client.open(
            self.credentials,
            "GET",
            "/" + quote_path(bucket) + "/" + quote_path(key),
            query=[("versionId", version_id)] if version_id else [],
            region=await self.region_of(bucket),
        )

    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> None:
        """S3 DeleteObject: a delete marker where versioning is on, or one version for good."""
        query = [("versionId", version_id)] if version_id else []
        await self.s3("DELETE", bucket, key, query=query, region=await self.region_of(bucket))


def _request(root: str) -> Element:
    doc = Element(root, xmlns=CONTROL_NAMESPACE)
    SubElement(doc, "ClientToken").text = secrets.token_hex(16)
    return doc


def _access_point(report: Element) -> AccessPoint:
    return AccessPoint(
        name=report.findtext("Name") or "",
        alias=report.findtext("Alias") or "",
        status=report.findtext("Status") or "",
        created=report.findtext("CreatedAt") or "",
        regions=[
            RegionBucket(r.findtext("Region") or "", r.findtext("Bucket") or "")
            for r in report.iterfind("Regions/Region")
        ],
        public_access_block={
            s: (report.findtext(f"PublicAccessBlock/{s}") or "").lower() == "true"
            for s in PUBLIC_ACCESS_BLOCK
        },
    )


def _operation(op: Element) -> Operation:
    return Operation(
        operation=op.findtext("Operation") or "",
        status=op.findtext("RequestStatus") or "",
        name=op.findtext(".//Name") or "",
        created=op.findtext("CreationTime") or "",
        regions=[
            (r.findtext("Name") or "", r.findtext("RequestStatus") or "")
            for r in op.iterfind("ResponseDetails/MultiRegionAccessPointDetails/Regions/Region")
        ],
        token=op.findtext("RequestTokenARN") or "",
        error_code=op.findtext("ResponseDetails/ErrorDetails/Code") or "",
        error_message=op.findtext("ResponseDetails/ErrorDetails/Message") or "",
    )


def _form_quote(value: str) -> str:
    return quote(value, safe="-_.~")


def pretty_policy(text: str) -> str:
    """A policy indented for reading; as stored if it is not JSON."""
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text
