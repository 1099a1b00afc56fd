"""The contract between the edge and the operations.

The edge turns an HTTP request into an `OpRequest` and renders the `OpResponse` an operation
returns. Operations see neither aiohttp nor XML text: request bodies arrive parsed, response
documents leave as `XmlDoc` trees that the edge encodes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol, Union
from xml.etree.ElementTree import Element

from multidict import CIMultiDictProxy, MultiDictProxy

from mrap import errors
from mrap.auth.principal import Principal
from mrap.iam import Caller, PolicyDocument
from mrap.storage.base import RegionStore
from mrap.store.control_records import BucketRecord

if TYPE_CHECKING:
    from mrap.services import Services

# What a request addresses: the service (ListBuckets), a bucket, or an object.
Level = Literal["service", "bucket", "object"]

# A document is a root name and its children, in order. A child value is text (str, int,
# bool, datetime), a nested list of children, or None (the element is left out).
XmlValue = Union[str, int, bool, datetime, None, "XmlChildren"]
XmlChildren = Sequence[tuple[str, XmlValue]]


@dataclass(frozen=True)
class XmlDoc:
    """An XML response document."""

    root: str
    children: XmlChildren = ()
    namespace: str | None = "http://s3.amazonaws.com/doc/2006-03-01/"
    text: str | None = None  # for the rare root that holds text (LocationConstraint)


@dataclass(frozen=True)
class FileBody:
    """A range of an open file, sent with sendfile where possible; the edge closes it."""

    file: BinaryIO
    offset: int
    length: int


class Body(Protocol):
    """A request body as it streams in, already checked against its declared hash/length."""

    def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks; the last iteration verifies the body's integrity."""

    async def read_xml(
        self, max_size: int = 1 << 20, verify: Callable[[bytes], None] | None = None
    ) -> Element | None:
        """Read a small XML body, `verify` it, and parse it (None when empty)."""

    async def read_all(self, max_size: int) -> bytes:
        """Read a small body whole."""

    @property
    def trailers(self) -> Mapping[str, str]:
        """Trailing headers of an aws-chunked body (lowercase names), once it is read."""


@dataclass(frozen=True)
class AccessPointRef:
    """The Multi-Region Access Point a request came through, and where it was routed."""

    arn: str  # arn:aws:s3::{account}:accesspoint/{alias}
    account_id: str
    policy: str | None  # the established access point policy
    public_access_block: str  # four "0"/"1" flags, as for buckets
    region: str  # the region of the bucket that serves the request


@dataclass
class OpRequest:
    """An S3 request as operations see it."""

    method: str
    bucket: str
    key: str
    query: MultiDictProxy[str]
    headers: CIMultiDictProxy[str]
    body: Body
    principal: Principal
    request_id: str
    content_length: int | None
    action: str = ""  # the operation's IAM action, e.g. "s3:GetObject"
    source_ip: str = ""  # the client's address, for aws:SourceIp
    secure: bool = False  # whether the request came over TLS, for aws:SecureTransport
    # Named parameters of the non-S3 APIs: S3 Control path labels and `x-amz-account-id`
    # (as "AccountId"), or the decoded parameters of an IAM / STS Query request.
    params: Mapping[str, str] = field(default_factory=dict)
    # The principal as the policy engine sees it, and its identity policies (the edge looks
    # them up once per request).
    caller: Caller = field(default_factory=Caller.anonymous)
    policies: tuple[PolicyDocument, ...] = ()
    tls_version: str = ""  # "1.2" or "1.3" over TLS, for s3:TlsVersion
    access_point: AccessPointRef | None = None  # set when addressed through an access point
    # An account's Block Public Access flags (S3 Control's account-level setting), on demand.
    account_public_access_block: Callable[[str], str | None] = lambda _account: None
    # The account a Requester Pays bucket charges for this request (set by authorization
    # once the requester has agreed to pay); empty when the bucket owner pays.
    charged_to: str = ""
    # The bucket an S3 request acts on and its region's store, set by the pipeline once the
    # bucket is found and the caller authorized (`authorized_bucket`).
    bucket_record: BucketRecord | None = None
    bucket_store: RegionStore | None = None

    def authorized_bucket(self) -> tuple[BucketRecord, RegionStore]:
        """The request's bucket and its store, as the pipeline found and authorized them."""
        if self.bucket_record is None or self.bucket_store is None:
            raise errors.InternalError()  # an operation declared without a bucket
        return self.bucket_record, self.bucket_store


@dataclass
class OpResponse:
    """What an operation answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | FileBody | XmlDoc | None = None


Handler = Callable[["Services", OpRequest], Awaitable[OpResponse]]


class Rule(Enum):
    """Who decides whether the caller may perform an operation."""

    IDENTITY = "identity"  # the caller's identity policies (its own account's root: always)
    IAM = "iam"  # the same, answered with IAM's AccessDenied messages
    TRUST = "trust"  # a role's trust policy with the caller's identity policies (AssumeRole)
    # S3: the request's bucket must exist (NoSuchBucket first); then identity ∧ access point
    # ∧ bucket policy, Block Public Access, ACLs, Requester Pays (`mrap.authz.access`).
    BUCKET = "bucket"
    NONE = "none"  # no permission is needed (AWS documents none): `Access.note` says why


@dataclass(frozen=True)
class Access:
    """An operation's declaration: what the caller must be allowed before its handler runs.

    Each of `actions` is checked on the resource the request names (its `Endpoint`), then
    each `also` pair (action, resource). `note` names what the rule leaves to the handler:
    the narrow second decisions it asks for (per key, per bucket), or why nothing is checked.
    """

    rule: Rule
    actions: tuple[str, ...] = ()
    also: tuple[tuple[str, str], ...] = ()
    note: str = ""
    owner_only: bool = False  # S3: only the bucket owner's account (bucket policy, payer)
    region_on_denial: bool = False  # S3: AccessDenied names the bucket's region (HeadBucket)


@dataclass(frozen=True)
class Resource:
    """What a request acts on, as authorization sees it: an ARN and the account owning it."""

    arn: str
    account: str


@dataclass(frozen=True)
class Endpoint:
    """A request parsed for its operation (its parameters checked): the resource it must be
    allowed on (None: nothing to check, as the declaration says) and the call serving it.

    `decide` is the decision of a rule that needs what parsing found (the trust rule: the
    role and its trust policy), bound to it.
    """

    resource: Resource | None
    invoke: Callable[[], Awaitable[OpResponse]]
    decide: Callable[[], None] | None = None


# Parses a request for one operation: checks its parameters (their errors come first) and
# binds them, typed, to the resource and the handler.
Parser = Callable[["Services", OpRequest], Endpoint]


class Declared(Protocol):
    """An operation as the pipeline runs it: its declaration and its parser."""

    @property
    def access(self) -> Access:
        """What the caller must be allowed before the handler runs."""

    @property
    def parse(self) -> Parser:
        """Checks the request's parameters and binds them to the resource and the handler."""


@dataclass(frozen=True)
class Route:
    """An operation of S3 Control, IAM or STS: its AWS name, declaration and parser."""

    name: str
    access: Access
    parse: Parser

    @property
    def action(self) -> str:
        """The operation's own IAM action (the first it declares)."""
        return self.access.actions[0] if self.access.actions else ""


def query_response(
    namespace: str, action: str, result: XmlChildren | None, request_id: str
) -> OpResponse:
    """The answer of an IAM or STS (Query protocol) operation: `{Action}Response` holding
    `{Action}Result` (left out when None, as for actions that return nothing) and the request id.
    """
    children: list[tuple[str, XmlValue]] = []
    if result is not None:
        children.append((f"{action}Result", result))
    children.append(("ResponseMetadata", [("RequestId", request_id)]))
    return OpResponse(body=XmlDoc(f"{action}Response", children, namespace=namespace))
