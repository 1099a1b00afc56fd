"""SigV4 against the running gateway: header and presigned forms, and every way to fail them."""

from __future__ import annotations

import hashlib
import http.client
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from conftest import Gateway
from rawhttp import host_of, presign, request, send, sign

HOUR = timedelta(hours=1)


def _exists(s3: BaseClient, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return False
    return True


def _fetch(gateway: Gateway, url: str, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    """Send a full presigned URL as boto3 produced it."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, f"{parts.path}?{parts.query}", body=body or None)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# header authentication


def test_signed_payload_hash_is_verified(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    body = b"signed payload"
    reply = request(gateway, "PUT", f"/{bucket}/good", body=body)
    assert reply.status == 200, reply.body
    headers = sign("PUT", host_of(gateway), f"/{bucket}/good", body=body)
    assert headers["X-Amz-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    assert s3.get_object(Bucket=bucket, Key="good")["Body"].read() == body


def test_tampered_body_is_refused_and_not_stored(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    headers = sign("PUT", host_of(gateway), f"/{bucket}/tampered", body=b"original body!")
    reply = send(gateway, "PUT", f"/{bucket}/tampered", headers, b"tampered body!")
    assert reply.status == 400
    error = reply.error
    assert error["Code"] == "XAmzContentSHA256Mismatch"
    assert error["ClientComputedContentSHA256"] == hashlib.sha256(b"original body!").hexdigest()
    assert error["S3ComputedContentSHA256"] == hashlib.sha256(b"tampered body!").hexdigest()
    assert not _exists(s3, bucket, "tampered")


def test_unsigned_payload(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/unsigned"
    headers = sign("PUT", host_of(gateway), target, body=b"x", unsigned_payload=True)
    assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    reply = send(gateway, "PUT", target, headers, b"any body at all")
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == b"any body at all"


def test_content_sha256_header_required_and_checked(gateway: Gateway, bucket: str) -> None:
    headers = sign("GET", host_of(gateway), f"/{bucket}")
    del headers["X-Amz-Content-SHA256"]
    reply = send(gateway, "GET", f"/{bucket}", headers)
    assert (reply.status, reply.code) == (400, "InvalidRequest")
    headers = sign("GET", host_of(gateway), f"/{bucket}")
    headers["X-Amz-Content-SHA256"] = "xyz"
    reply = send(gateway, "GET", f"/{bucket}", headers)
    assert (reply.status, reply.code) == (400, "InvalidArgument")


def test_signature_with_date_header_instead_of_x_amz_date(gateway: Gateway, bucket: str) -> None:
    # botocore signs with Date when the request already has one.
    headers = sign("GET", host_of(gateway), f"/{bucket}", headers={"Date": "placeholder"})
    assert "X-Amz-Date" not in headers
    reply = send(gateway, "GET", f"/{bucket}", headers)
    assert reply.status == 200, reply.body


def test_clock_skew_over_15_minutes(gateway: Gateway, bucket: str) -> None:
    now = datetime.now(UTC)
    for when in (now - timedelta(minutes=16), now + timedelta(minutes=16)):
        reply = request(gateway, "GET", f"/{bucket}", when=when)
        assert (reply.status, reply.code) == (403, "RequestTimeTooSkewed")
    reply = request(gateway, "GET", f"/{bucket}", when=now - timedelta(minutes=14))
    assert reply.status == 200, reply.body


def test_unknown_access_key(gateway: Gateway, bucket: str) -> None:
    reply = request(gateway, "GET", f"/{bucket}", access_key="AKIANOSUCHKEY0000000")
    assert (reply.status, reply.code) == (403, "InvalidAccessKeyId")
    assert reply.error["AWSAccessKeyId"] == "AKIANOSUCHKEY0000000"


def test_wrong_secret(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    reply = request(gateway, "PUT", f"/{bucket}/k", body=b"data", secret="not-the-secret")
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")
    assert not _exists(s3, bucket, "k")


def test_signature_over_other_request_does_not_match(gateway: Gateway, bucket: str) -> None:
    headers = sign("GET", host_of(gateway), f"/{bucket}/a")
    reply = send(gateway, "GET", f"/{bucket}/b", headers)
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")
    headers = sign("GET", host_of(gateway), f"/{bucket}?list-type=2")
    reply = send(gateway, "GET", f"/{bucket}?list-type=2&prefix=x", headers)
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")


def test_unsigned_amz_header_is_refused(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    target = f"/{bucket}/meta"
    headers = sign("PUT", host_of(gateway), target, body=b"x")
    headers["x-amz-meta-sneaky"] = "added after signing"
    reply = send(gateway, "PUT", target, headers, b"x")
    assert (reply.status, reply.code) == (403, "AccessDenied")
    assert not _exists(s3, bucket, "meta")


def test_no_authentication_on_a_bucket(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="private", Body=b"secret")
    for method, target, body in (
        ("GET", f"/{bucket}", b""),
        ("GET", f"/{bucket}/private", b""),
        ("PUT", f"/{bucket}/new", b"data"),
        ("DELETE", f"/{bucket}/private", b""),
    ):
        reply = request(gateway, method, target, body=body, signed=False)
        assert (reply.status, reply.code) == (403, "AccessDenied"), (method, target)
    assert s3.get_object(Bucket=bucket, Key="private")["Body"].read() == b"secret"
    assert not _exists(s3, bucket, "new")


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=AKIAMRAPTESTROOT0001/20240101/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIAMRAPTESTROOT0001, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIAMRAPTESTROOT0001/20240101/us-east-1/s3/wrong, "
        "SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 garbage",
    ],
)
def test_malformed_authorization_header(gateway: Gateway, bucket: str, authorization: str) -> None:
    headers = sign("GET", host_of(gateway), f"/{bucket}")
    headers["Authorization"] = authorization
    reply = send(gateway, "GET", f"/{bucket}", headers)
    assert (reply.status, reply.code) == (400, "AuthorizationHeaderMalformed")


def test_credential_date_must_match_request_date(gateway: Gateway, bucket: str) -> None:
    headers = sign("GET", host_of(gateway), f"/{bucket}")
    date = headers["X-Amz-Date"][:8]
    headers["Authorization"] = headers["Authorization"].replace(f"/{date}/", "/20200101/")
    reply = send(gateway, "GET", f"/{bucket}", headers)
    assert (reply.status, reply.code) == (400, "AuthorizationHeaderMalformed")


# presigned URLs


@pytest.fixture
def s3v4(gateway: Gateway) -> BaseClient:
    """A client that presigns with SigV4 (boto3 presigns S3 URLs with SigV2 by default)."""
    return gateway.client(signature_version="s3v4")


def test_signature_version_2_is_refused_clearly(
    gateway: Gateway, s3: BaseClient, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"})
    assert "AWSAccessKeyId=" in url
    status, body = _fetch(gateway, url)
    assert status == 400
    assert b"<Code>InvalidRequest</Code>" in body
    assert b"Please use AWS4-HMAC-SHA256." in body
    headers = {"Host": host_of(gateway), "Date": "now", "Authorization": "AWS AKIA:c2ln"}
    reply = send(gateway, "GET", f"/{bucket}/a", headers)
    assert (reply.status, reply.code) == (400, "InvalidRequest")


def test_presigned_put_and_get_from_boto3(gateway: Gateway, s3v4: BaseClient, bucket: str) -> None:
    put_url = s3v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "pre signed+key"}, ExpiresIn=300
    )
    status, body = _fetch(gateway, put_url, "PUT", b"uploaded through a presigned URL")
    assert status == 200, body
    get_url = s3v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "pre signed+key"}, ExpiresIn=300
    )
    status, body = _fetch(gateway, get_url)
    assert (status, body) == (200, b"uploaded through a presigned URL")


def test_presigned_url_with_tampered_query(gateway: Gateway, s3v4: BaseClient, bucket: str) -> None:
    s3v4.put_object(Bucket=bucket, Key="a", Body=b"a")
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"})
    status, body = _fetch(gateway, url.replace("X-Amz-Expires=3600", "X-Amz-Expires=3601"))
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body
    status, _ = _fetch(gateway, url.replace(f"/{bucket}/a?", f"/{bucket}/b?"))
    assert status == 403


def test_presigned_expires_over_a_week(gateway: Gateway, s3v4: BaseClient, bucket: str) -> None:
    url = s3v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a"}, ExpiresIn=604801
    )
    status, body = _fetch(gateway, url)
    assert status == 400
    assert b"<Code>AuthorizationQueryParametersError</Code>" in body
    assert b"604800" in body
    url = s3v4.generate_presigned_url(
        "list_objects_v2", Params={"Bucket": bucket}, ExpiresIn=604800
    )
    status, body = _fetch(gateway, url)
    assert status == 200, body


def test_expired_presigned_url(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="old", Body=b"old")
    target = presign("GET", host_of(gateway), f"/{bucket}/old", 60, when=datetime.now(UTC) - HOUR)
    reply = send(gateway, "GET", target, {"Host": host_of(gateway)})
    assert (reply.status, reply.code) == (403, "AccessDenied")
    assert reply.error["Message"] == "Request has expired"
    assert reply.error["X-Amz-Expires"] == "60"
    # Within its lifetime the same URL form works.
    target = presign("GET", host_of(gateway), f"/{bucket}/old", 7200, when=datetime.now(UTC) - HOUR)
    reply = send(gateway, "GET", target, {"Host": host_of(gateway)})
    assert (reply.status, reply.body) == (200, b"old")


def test_presigned_url_virtual_hosted(gateway: Gateway, s3: BaseClient, bucket: str) -> None:
    host = host_of(gateway, bucket)
    target = presign("PUT", host, "/vh%20key", 60)
    reply = send(gateway, "PUT", target, {"Host": host}, b"presigned virtual-hosted")
    assert reply.status == 200, reply.body
    reply = send(gateway, "GET", presign("GET", host, "/vh%20key", 60), {"Host": host})
    assert (reply.status, reply.body) == (200, b"presigned virtual-hosted")
    assert s3.get_object(Bucket=bucket, Key="vh key")["Body"].read() == reply.body


def test_presigned_url_signed_with_wrong_secret(gateway: Gateway, bucket: str) -> None:
    target = presign("GET", host_of(gateway), f"/{bucket}", 60, secret="wrong")
    reply = send(gateway, "GET", target, {"Host": host_of(gateway)})
    assert (reply.status, reply.code) == (403, "SignatureDoesNotMatch")


def test_presigned_url_with_unknown_key(gateway: Gateway, bucket: str) -> None:
    target = presign("GET", host_of(gateway), f"/{bucket}", 60, access_key="AKIANOSUCHKEY0000000")
    reply = send(gateway, "GET", target, {"Host": host_of(gateway)})
    assert (reply.status, reply.code) == (403, "InvalidAccessKeyId")


def test_presigned_url_missing_parameters(gateway: Gateway, bucket: str) -> None:
    target = presign("GET", host_of(gateway), f"/{bucket}", 60)
    path, _, query = target.partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Credential="))
    reply = send(gateway, "GET", f"{path}?{kept}", {"Host": host_of(gateway)})
    assert (reply.status, reply.code) == (400, "AuthorizationQueryParametersError")


def test_both_header_and_query_authentication(gateway: Gateway, bucket: str) -> None:
    target = presign("GET", host_of(gateway), f"/{bucket}", 60)
    headers = sign("GET", host_of(gateway), target)
    reply = send(gateway, "GET", target, headers)
    assert (reply.status, reply.code) == (400, "InvalidArgument")
