"""SigV4A (`AWS4-ECDSA-P256-SHA256`): AWS's own signatures verify, altered ones do not.

AWS's test vectors (tests/vectors/sigv4a.json, signed by awscrt through botocore's signers)
check the key derivation and both request forms, with the clock they were signed at.
End-to-end tests sign real requests with botocore's CRT SigV4A signers and send them to the
gateway: operations through boto3, presigned URLs through urllib and http.client, and
streaming uploads raw, with chunk signatures made here (awscrt does not expose chunk
signing) from a key pair derived as AWS documents it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.crt.auth import CrtS3SigV4AsymAuth, CrtS3SigV4AsymQueryAuth
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, Gateway
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from multidict import CIMultiDict, CIMultiDictProxy
from rawhttp import Reply, host_of, send, temporary_files

from mrap import errors
from mrap.auth import ecdsa, sigv4, sigv4a
from mrap.auth.canonical import SignedRequest, canonical_request, string_to_sign
from mrap.edge.app import parse_query
from mrap.store.control_records import AccessKey

VECTORS = json.loads((Path(__file__).parent / "vectors" / "sigv4a.json").read_text())
SIGNED_AT = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
VECTOR_KEY = AccessKey(
    access_key_id=VECTORS["credentials"]["access_key_id"],
    secret=VECTORS["credentials"]["secret_access_key"],
    account_id="111122223333",
    principal_arn="arn:aws:iam::111122223333:root",
    active=True,
)
P256_ORDER = int("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
ECDSA_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"


# The test vectors, verified without a server (the clock is injected: they are from 2015)


def vector(name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in VECTORS["vectors"] if v["name"] == name)
    return found


def vector_keys(access_key_id: str) -> AccessKey | None:
    return VECTOR_KEY if access_key_id == VECTOR_KEY.access_key_id else None


def header_request(
    signature: str | None = None,
    replace: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    path: str | None = None,
) -> SignedRequest:
    """The header-signed vector as the edge would see it, with any alterations."""
    v = vector("header-auth-get-object")
    pairs: list[tuple[str, str]] = []
    for name, value in v["headers"]:
        if name.lower() in drop:
            continue
        value = (replace or {}).get(name.lower(), value)
        if name == "Authorization" and signature is not None:
            value = value.rpartition("Signature=")[0] + "Signature=" + signature
        pairs.append((name, value))
    headers = CIMultiDictProxy(CIMultiDict(pairs))
    return SignedRequest("GET", path or str(v["path"]), [], headers)


def query_request(signature: str | None = None, **params: str) -> SignedRequest:
    """The presigned vector as the edge would see it, with parameters replaced."""
    v = vector("presigned-get-object")
    query = []
    for name, value in parse_query(str(v["query"])):
        if name == "X-Amz-Signature" and signature is not None:
            value = signature
        query.append((name, params.get(name.replace("-", "_"), value)))
    headers = CIMultiDictProxy(CIMultiDict([("host", str(v["host"]))]))
    return SignedRequest("GET", str(v["path"]), query, headers)


def test_derived_key_matches_aws() -> None:
    derived = VECTORS["derived_key"]
    scalar = ecdsa.derive_private_scalar(VECTOR_KEY.access_key_id, VECTOR_KEY.secret)
    assert scalar == int(derived["private_scalar_d_hex"], 16)
    point = ecdsa.public_key(VECTOR_KEY.access_key_id, VECTOR_KEY.secret)
    encoded = point.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert encoded.hex() == derived["public_key"]["sec1_uncompressed_hex"]
    compressed = point.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    assert compressed.hex() == derived["public_key"]["sec1_compressed_hex"]


@pytest.mark.parametrize("name", [v["name"] for v in VECTORS["vectors"]])
def test_vector_string_to_sign_is_rebuilt(name: str) -> None:
    v = vector(name)
    req = header_request() if v["auth"] == "header" else query_request()
    query = [(k, val) for k, val in req.query if k != "X-Amz-Signature"]
    signed = str(v["signed_headers"]).split(";")
    creq = canonical_request(req, req.raw_path, query, signed, str(v["payload_hash"]))
    assert creq == v["canonical_request"]
    sts = string_to_sign(sigv4a.ALGORITHM, str(v["amz_date"]), str(v["credential_scope"]), creq)
    assert sts == v["string_to_sign"]


@pytest.mark.parametrize(
    ("name", "index"),
    [(v["name"], i) for v in VECTORS["vectors"] for i in range(len(v["signatures"]))],
)
def test_every_vector_signature_verifies(name: str, index: int) -> None:
    v = vector(name)
    signature = v["signatures"][index]
    req = header_request(signature) if v["auth"] == "header" else query_request(signature)
    auth = sigv4.authenticate(req, vector_keys, SIGNED_AT + timedelta(minutes=5))
    assert auth.principal.access_key_id == VECTOR_KEY.access_key_id
    assert auth.principal.account_id == VECTOR_KEY.account_id
    assert auth.region_set == ("*",)
    assert auth.content_sha256 == v["payload_hash"]
    assert auth.seed is not None and auth.seed.signature == signature
    assert auth.seed.scope == v["credential_scope"]


def flip_byte(signature: str, index: int) -> str:
    data = bytearray(bytes.fromhex(signature))
    data[index] ^= 0x01
    return data.hex()


@pytest.mark.parametrize("index", [5, 40, -1])
def test_altered_signature_does_not_match(index: int) -> None:
    v = vector("header-auth-get-object")
    bad = flip_byte(v["signatures"][0], index)
    with pytest.raises(errors.SignatureDoesNotMatch):
        sigv4.authenticate(header_request(bad), vector_keys, SIGNED_AT)
    p = vector("presigned-get-object")
    bad = flip_byte(p["signatures"][0], index)
    with pytest.raises(errors.SignatureDoesNotMatch):
        sigv4.authenticate(query_request(bad), vector_keys, SIGNED_AT)


@pytest.mark.parametrize(
    "req",
    [
        header_request(replace={"x-amz-checksum-mode": "DISABLED"}),
        header_request(replace={"host": "other.mrap.accesspoint.s3-global.amazonaws.com"}),
        header_request(path="/dir/k%202.txt"),
        header_request(replace={"x-amz-date": "20150830T123601Z"}),
        header_request(replace={"x-amz-region-set": "us-east-1"}),
        header_request(replace={"x-amz-content-sha256": hashlib.sha256(b"x").hexdigest()}),
        query_request(X_Amz_Region_Set="us-east-1"),
        query_request(X_Amz_Date="20150830T123601Z"),
        query_request(X_Amz_Expires="901"),
    ],
    ids=["header", "host", "path", "date", "region-set", "payload", "q-region", "q-date", "q-exp"],
)
def test_altered_request_does_not_match(req: SignedRequest) -> None:
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        sigv4.authenticate(req, vector_keys, SIGNED_AT)
    assert caught.value.extra["AWSAccessKeyId"] == VECTOR_KEY.access_key_id
    assert caught.value.extra["StringToSign"].startswith(sigv4a.ALGORITHM + "\n")


@pytest.mark.parametrize("value", ["", "us-east-1,,eu-west-1", "us-east-1,", "US-EAST-1", "a b"])
def test_malformed_region_set_is_refused(value: str) -> None:
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        sigv4.authenticate(
            header_request(replace={"x-amz-region-set": value}), vector_keys, SIGNED_AT
        )
    with pytest.raises(errors.AuthorizationQueryParametersError):
        sigv4.authenticate(query_request(X_Amz_Region_Set=value), vector_keys, SIGNED_AT)


def test_region_set_is_required() -> None:
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        sigv4.authenticate(header_request(drop=["x-amz-region-set"]), vector_keys, SIGNED_AT)
    v = vector("presigned-get-object")
    req = query_request()
    without = [(k, val) for k, val in req.query if k != "X-Amz-Region-Set"]
    with pytest.raises(errors.AuthorizationQueryParametersError):
        sigv4.authenticate(
            SignedRequest("GET", str(v["path"]), without, req.headers), vector_keys, SIGNED_AT
        )


def test_credential_with_a_region_is_malformed() -> None:
    v = vector("header-auth-get-object")
    authorization = dict(v["headers"])["Authorization"]
    sigv4_style = authorization.replace("/20150830/s3/", "/20150830/us-east-1/s3/")
    req = header_request(replace={"authorization": sigv4_style})
    with pytest.raises(errors.AuthorizationHeaderMalformed, match="Credential is mal-formed"):
        sigv4.authenticate(req, vector_keys, SIGNED_AT)
    with pytest.raises(errors.AuthorizationQueryParametersError):
        credential = "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request"
        sigv4.authenticate(query_request(X_Amz_Credential=credential), vector_keys, SIGNED_AT)


def test_vector_clock_rules() -> None:
    with pytest.raises(errors.RequestTimeTooSkewed):
        sigv4.authenticate(header_request(), vector_keys, SIGNED_AT + timedelta(minutes=16))
    with pytest.raises(errors.AccessDenied, match="Request has expired"):
        sigv4.authenticate(query_request(), vector_keys, SIGNED_AT + timedelta(seconds=901))
    with pytest.raises(errors.AccessDenied, match="not valid yet"):
        sigv4.authenticate(query_request(), vector_keys, SIGNED_AT - timedelta(minutes=16))
    with pytest.raises(errors.AuthorizationQueryParametersError, match="less than a week"):
        sigv4.authenticate(query_request(X_Amz_Expires="604801"), vector_keys, SIGNED_AT)


def test_vector_key_and_header_rules() -> None:
    with pytest.raises(errors.InvalidAccessKeyId):
        sigv4.authenticate(header_request(), lambda _: None, SIGNED_AT)
    other_secret = AccessKey(
        access_key_id=VECTOR_KEY.access_key_id,
        secret=VECTOR_KEY.secret[:-1] + "X",
        account_id=VECTOR_KEY.account_id,
        principal_arn=VECTOR_KEY.principal_arn,
        active=True,
    )
    with pytest.raises(errors.SignatureDoesNotMatch):
        sigv4.authenticate(header_request(), lambda _: other_secret, SIGNED_AT)
    req = header_request()
    extra = CIMultiDict(req.headers)
    extra["x-amz-meta-unsigned"] = "1"
    unsigned = SignedRequest("GET", req.raw_path, [], CIMultiDictProxy(extra))
    with pytest.raises(errors.AccessDenied, match="not signed"):
        sigv4.authenticate(unsigned, vector_keys, SIGNED_AT)


def test_region_set_membership() -> None:
    assert sigv4a.parse_region_set("*") == ("*",)
    assert sigv4a.parse_region_set("us-east-1, eu-west-1") == ("us-east-1", "eu-west-1")
    assert sigv4a.parse_region_set("us-east-1,,eu-west-1") is None
    assert sigv4a.parse_region_set("") is None
    assert sigv4a.region_set_allows(("*",), "ap-south-2")
    assert sigv4a.region_set_allows(("us-east-1", "eu-west-1"), "eu-west-1")
    assert not sigv4a.region_set_allows(("us-east-1", "eu-west-1"), "us-west-2")
    assert sigv4a.region_set_allows(("us-*",), "us-west-2")
    assert not sigv4a.region_set_allows(("us-*",), "eu-west-1")


# An independent signer for chunk signatures: AWS's key derivation and ECDSA-SHA256


def private_key(access_key_id: str, secret: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key AWS derives from a secret (NIST SP 800-108 counter-mode KDF)."""
    for counter in range(1, 255):
        fixed = (
            (1).to_bytes(4, "big")
            + b"AWS4-ECDSA-P256-SHA256\x00"
            + access_key_id.encode()
            + bytes([counter])
            + (256).to_bytes(4, "big")
        )
        k0 = int.from_bytes(hmac.new(b"AWS4A" + secret.encode(), fixed, "sha256").digest())
        if k0 <= P256_ORDER - 2:
            return ec.derive_private_key(k0 + 1, ec.SECP256R1())
    raise AssertionError("no key")


def test_test_signer_derives_the_vector_key() -> None:
    key = private_key(VECTOR_KEY.access_key_id, VECTOR_KEY.secret)
    expected = int(VECTORS["derived_key"]["private_scalar_d_hex"], 16)
    assert key.private_numbers().private_value == expected


@dataclass
class EcdsaChain:
    """A SigV4A streaming signature chain, starting at the seed signature."""

    key: ec.EllipticCurvePrivateKey
    amz_date: str
    scope: str
    previous: str

    def _sign(self, algorithm: str, digest: str) -> str:
        sts = f"{algorithm}\n{self.amz_date}\n{self.scope}\n{self.previous}\n{digest}"
        self.previous = self.key.sign(sts.encode(), ec.ECDSA(hashes.SHA256())).hex()
        return self.previous.ljust(144, "*")

    def chunk(self, data: bytes) -> str:
        digest = f"{EMPTY_SHA256}\n{hashlib.sha256(data).hexdigest()}"
        return self._sign("AWS4-ECDSA-P256-SHA256-PAYLOAD", digest)

    def trailer(self, trailers: Mapping[str, str]) -> str:
        canonical = "".join(f"{k}:{trailers[k]}\n" for k in sorted(trailers)).encode()
        return self._sign("AWS4-ECDSA-P256-SHA256-TRAILER", hashlib.sha256(canonical).hexdigest())


def encode(
    chunks: Sequence[bytes], chain: EcdsaChain, trailers: Mapping[str, str] | None = None
) -> bytes:
    """An aws-chunked body with ECDSA chunk signatures, then any signed trailers."""
    out = bytearray()
    for data in [*chunks, b""]:
        out += f"{len(data):x};chunk-signature={chain.chunk(data)}\r\n".encode()
        if data:
            out += data + b"\r\n"
    if trailers is not None:
        for name, value in trailers.items():
            out += f"{name}:{value}\r\n".encode()
        out += f"x-amz-trailer-signature:{chain.trailer(trailers)}\r\n".encode()
    return bytes(out + b"\r\n")


# Signing real requests with botocore's CRT SigV4A signers


@contextlib.contextmanager
def crt_clock(when: datetime | None) -> Iterator[None]:
    """Make botocore's CRT signers believe it is `when` (no change for None)."""
    if when is None:
        yield
        return
    with mock.patch("botocore.crt.auth.get_current_datetime", return_value=when):
        yield


class CrtStreamingSigner(CrtS3SigV4AsymAuth):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's CRT S3 SigV4A signer, signing a streaming marker as the payload hash."""

    def __init__(self, credentials: Credentials, region_set: str, marker: str) -> None:
        super().__init__(credentials, "s3", region_set)
        self._marker = marker

    def _get_existing_sha256(self, request: AWSRequest) -> str:
        return self._marker


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def crt_sign(
    method: str,
    host: str,
    target: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    region_set: str = "us-east-1",
    secret: str = SECRET_KEY,
    when: datetime | None = None,
    marker: str | None = None,
) -> dict[str, str]:
    """Headers of a request signed by botocore's CRT SigV4A header signer (with `marker`
    signed as the payload hash, if given)."""
    request = AWSRequest(
        method=method,
        url=f"http://{host}{target}",
        data=body,
        headers={"Host": host, **(headers or {})},
    )
    credentials = Credentials(ACCESS_KEY, secret)
    signer = (
        CrtS3SigV4AsymAuth(credentials, "s3", region_set)
        if marker is None
        else CrtStreamingSigner(credentials, region_set, marker)
    )
    with crt_clock(when):
        signer.add_auth(request)
    return {_text(k): _text(v) for k, v in request.headers.items()}


def crt_presign(
    method: str, host: str, target: str, expires: int, when: datetime | None = None
) -> str:
    """An origin-form target presigned by botocore's CRT SigV4A query signer."""
    request = AWSRequest(method=method, url=f"http://{host}{target}", headers={"Host": host})
    signer = CrtS3SigV4AsymQueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "*", expires)
    with crt_clock(when):
        signer.add_auth(request)
    url = urlsplit(request.url)
    return f"{url.path}?{url.query}"


# Temporary credentials: SigV4A goes through SigV4's key lookup, session tokens included

SESSION_KEY_ID = "ASIAMRAPTESTSESSION1"
SESSION_TOKEN = "session-token-for-sigv4a"


def session_key(token: str = SESSION_TOKEN, expires: float | None = None) -> AccessKey:
    return AccessKey(
        access_key_id=SESSION_KEY_ID,
        secret="session-secret",
        account_id=VECTOR_KEY.account_id,
        principal_arn=VECTOR_KEY.principal_arn,
        active=True,
        session_token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        expires=expires,
    )


def session_signed(presigned: bool) -> SignedRequest:
    """A GET signed by botocore's CRT signers with session credentials."""
    host = "127.0.0.1:9000"
    request = AWSRequest(method="GET", url=f"http://{host}/bucket/k", headers={"Host": host})
    credentials = Credentials(SESSION_KEY_ID, "session-secret", SESSION_TOKEN)
    signer = (
        CrtS3SigV4AsymQueryAuth(credentials, "s3", "*", 300)
        if presigned
        else CrtS3SigV4AsymAuth(credentials, "s3", "*")
    )
    signer.add_auth(request)
    url = urlsplit(request.url)
    pairs = [(_text(k), _text(v)) for k, v in request.headers.items()]
    return SignedRequest(
        "GET", url.path, parse_query(url.query), CIMultiDictProxy(CIMultiDict(pairs))
    )


@pytest.mark.parametrize("presigned", [False, True], ids=["header", "presigned"])
def test_session_token_is_checked(presigned: bool) -> None:
    req = session_signed(presigned)
    sent_in = [k for k, _ in req.query] if presigned else list(req.headers)
    assert any(name.lower() == "x-amz-security-token" for name in sent_in)
    now = datetime.now(UTC)
    auth = sigv4.authenticate(req, lambda _: session_key(), now)
    assert auth.principal.access_key_id == SESSION_KEY_ID and auth.region_set == ("*",)
    with pytest.raises(errors.InvalidToken):
        sigv4.authenticate(req, lambda _: session_key("another-token"), now)
    with pytest.raises(errors.ExpiredToken):
        sigv4.authenticate(req, lambda _: session_key(expires=now.timestamp() - 1), now)


@pytest.fixture
def s3v4a(gateway: Gateway) -> BaseClient:
    return gateway.client(signature_version="s3v4a")


def expect(reply: Reply, status: int, code: str) -> None:
    assert (reply.status, reply.code) == (status, code), reply.body


def assert_absent(s3: BaseClient, gateway: Gateway, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key=key)
    assert caught.value.response["Error"]["Code"] == "404"
    assert temporary_files(gateway) == []


def test_boto3_operations_signed_with_sigv4a(
    s3: BaseClient, s3v4a: BaseClient, bucket: str
) -> None:
    seen: list[str] = []
    s3v4a.meta.events.register(
        "before-send.s3.*",
        lambda request, **_: seen.append(_text(request.headers["Authorization"])),
    )
    s3v4a.put_object(Bucket=bucket, Key="dir/k 1.txt", Body=b"signed with ECDSA")
    got = s3v4a.get_object(Bucket=bucket, Key="dir/k 1.txt")["Body"].read()
    listed = s3v4a.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]
    assert got == b"signed with ECDSA"
    assert [o["Key"] for o in listed] == ["dir/k 1.txt"]
    assert len(seen) == 3 and all(a.startswith("AWS4-ECDSA-P256-SHA256 ") for a in seen)
    assert s3.get_object(Bucket=bucket, Key="dir/k 1.txt")["Body"].read() == got


def test_wrong_secret_does_not_match(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY[:-1] + "x",
        config=Config(signature_version="s3v4a", retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as caught:
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert_absent(s3, gateway, bucket, "k")


def test_presigned_get_and_put(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = host_of(gateway)
    put = crt_presign("PUT", host, f"/{bucket}/dir/k%201.txt", 300)
    assert "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256" in put and "X-Amz-Region-Set=%2A" in put
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    try:
        conn.request("PUT", put, body=b"presigned put")
        response = conn.getresponse()
        assert response.status == 200, response.read()
    finally:
        conn.close()
    get = crt_presign("GET", host, f"/{bucket}/dir/k%201.txt", 300)
    with urllib.request.urlopen(gateway.endpoint + get, timeout=10) as reply:
        assert reply.read() == b"presigned put"
    assert s3.get_object(Bucket=bucket, Key="dir/k 1.txt")["Body"].read() == b"presigned put"


def test_expired_presigned_url(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    target = crt_presign(
        "GET", host_of(gateway), f"/{bucket}/k", 60, when=datetime.now(UTC) - timedelta(hours=1)
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(gateway.endpoint + target, timeout=10)
    reply = Reply(caught.value.code, caught.value.headers, caught.value.read())
    expect(reply, 403, "AccessDenied")
    assert reply.error["Message"] == "Request has expired"
    assert reply.error["X-Amz-Expires"] == "60"


def test_presigned_url_with_bad_region_set(gateway: Gateway, bucket: str) -> None:
    target = crt_presign("GET", host_of(gateway), f"/{bucket}/k", 60)
    bad = target.replace("X-Amz-Region-Set=%2A", "X-Amz-Region-Set=us-east-1%2C%2C")
    reply = send(gateway, "GET", bad, {"Host": host_of(gateway)})
    expect(reply, 400, "AuthorizationQueryParametersError")
    other = target.replace("X-Amz-Region-Set=%2A", "X-Amz-Region-Set=eu-west-1")
    expect(send(gateway, "GET", other, {"Host": host_of(gateway)}), 403, "SignatureDoesNotMatch")


def test_bad_region_set_header(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host, target = host_of(gateway), f"/{bucket}/k"
    # Validly signed by AWS's signer, but the set itself is malformed.
    headers = crt_sign("PUT", host, target, body=b"x", region_set="us-east-1,,eu-west-1")
    expect(send(gateway, "PUT", target, headers, b"x"), 400, "AuthorizationHeaderMalformed")
    headers = crt_sign("PUT", host, target, body=b"x")
    expect(
        send(gateway, "PUT", target, {**headers, "X-Amz-Region-Set": ""}, b"x"),
        400,
        "AuthorizationHeaderMalformed",
    )
    expect(
        send(gateway, "PUT", target, {**headers, "X-Amz-Region-Set": "eu-west-1"}, b"x"),
        403,
        "SignatureDoesNotMatch",
    )
    assert_absent(s3, gateway, bucket, "k")
    assert send(gateway, "PUT", target, headers, b"x").status == 200


def test_header_rules_of_sigv4_apply(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host, target = host_of(gateway), f"/{bucket}/k"
    late = crt_sign("PUT", host, target, body=b"x", when=datetime.now(UTC) - timedelta(minutes=20))
    expect(send(gateway, "PUT", target, late, b"x"), 403, "RequestTimeTooSkewed")
    headers = crt_sign("PUT", host, target, body=b"x")
    unsigned = {**headers, "x-amz-meta-extra": "1"}
    expect(send(gateway, "PUT", target, unsigned, b"x"), 403, "AccessDenied")
    expect(send(gateway, "PUT", target, headers, b"tampered"), 400, "XAmzContentSHA256Mismatch")
    assert_absent(s3, gateway, bucket, "k")


# Streaming uploads with ECDSA chunk signatures


def streaming_seed(
    gateway: Gateway, target: str, marker: str, length: int, extra: Mapping[str, str] = {}
) -> tuple[dict[str, str], EcdsaChain]:
    """Headers signed by the CRT signer with `marker` as payload, and the chain they start."""
    headers = crt_sign(
        "PUT",
        host_of(gateway),
        target,
        marker=marker,
        headers={
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(length),
            **extra,
        },
    )
    amz_date = headers["X-Amz-Date"]
    seed = headers["Authorization"].rpartition("Signature=")[2]
    key = private_key(ACCESS_KEY, SECRET_KEY)
    return headers, EcdsaChain(key, amz_date, f"{amz_date[:8]}/s3/aws4_request", seed)


DATA = bytes(range(256)) * 40  # 10240 bytes: one full chunk and a short last one
CHUNKS = [DATA[:8192], DATA[8192:]]


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_ecdsa_signed_streaming_upload(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/streamed"
    headers, chain = streaming_seed(gateway, target, ECDSA, len(DATA))
    body = encode(CHUNKS, chain)
    assert b";chunk-signature=30" in body and b"*\r\n" in body
    expect_ok = send(gateway, "PUT", target, headers, body)
    assert expect_ok.status == 200, expect_ok.body
    assert s3.get_object(Bucket=bucket, Key="streamed")["Body"].read() == DATA


def test_ecdsa_signed_streaming_upload_with_trailer(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    target = f"/{bucket}/trailed"
    extra = {"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "CRC32"}
    headers, chain = streaming_seed(gateway, target, ECDSA_TRAILER, len(DATA), extra)
    body = encode(CHUNKS, chain, {"x-amz-checksum-crc32": crc32(DATA)})
    reply = send(gateway, "PUT", target, headers, body)
    assert reply.status == 200, reply.body
    assert reply.headers["x-amz-checksum-crc32"] == crc32(DATA)
    got = s3.get_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == DATA and got["ChecksumCRC32"] == crc32(DATA)


def test_tampered_chunk_is_refused(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/streamed"
    headers, chain = streaming_seed(gateway, target, ECDSA, len(DATA))
    body = encode(CHUNKS, chain)
    tampered = body.replace(DATA[100:116], bytes(16), 1)
    expect(send(gateway, "PUT", target, headers, tampered), 403, "SignatureDoesNotMatch")
    assert_absent(s3, gateway, bucket, "streamed")


def test_chunks_out_of_chain_are_refused(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/streamed"
    headers, chain = streaming_seed(gateway, target, ECDSA, len(DATA))
    chain.previous = "3044" + "00" * 68  # a chain not started at the seed
    expect(
        send(gateway, "PUT", target, headers, encode(CHUNKS, chain)), 403, "SignatureDoesNotMatch"
    )
    assert_absent(s3, gateway, bucket, "streamed")


def test_bad_trailer_signature_is_refused(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/trailed"
    extra = {"x-amz-trailer": "x-amz-checksum-crc32"}
    headers, chain = streaming_seed(gateway, target, ECDSA_TRAILER, len(DATA), extra)
    body = encode(CHUNKS, chain, {"x-amz-checksum-crc32": crc32(DATA)})
    forged = body.replace(crc32(DATA).encode(), crc32(b"other").encode())
    expect(send(gateway, "PUT", target, headers, forged), 403, "SignatureDoesNotMatch")
    assert_absent(s3, gateway, bucket, "trailed")


def test_hmac_chunks_under_a_sigv4a_seed_are_refused(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    target = f"/{bucket}/streamed"
    marker = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    headers, chain = streaming_seed(gateway, target, marker, len(DATA))
    expect(
        send(gateway, "PUT", target, headers, encode(CHUNKS, chain)), 403, "SignatureDoesNotMatch"
    )
    assert_absent(s3, gateway, bucket, "streamed")
