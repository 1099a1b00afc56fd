"""SigV4A cost: µs per key derivation and per verification, beside SigV4 for scale.

Uses AWS's test vector (tests/vectors/sigv4a.json) with the clock it was signed at.

    python bench/sigv4a.py [--seconds 1]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from multidict import CIMultiDict, CIMultiDictProxy

from mrap.auth import ecdsa, sigv4
from mrap.auth.canonical import SignedRequest
from mrap.store.control_records import AccessKey

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "sigv4a.json"
SIGNED_AT = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


def per_call_us(fn: Callable[[], object], seconds: float) -> float:
    """Mean µs per call of `fn`, run for about `seconds`."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn()
        calls += 50
    return elapsed / calls * 1e6


def sigv4_request(key: AccessKey, host: str, path: str) -> SignedRequest:
    """The same GET signed with SigV4 (HMAC) by botocore, at the vector's time."""
    request = AWSRequest(method="GET", url=f"https://{host}{path}", headers={"Host": host})
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        S3SigV4Auth(Credentials(key.access_key_id, key.secret), "s3", "us-east-1").add_auth(request)
    headers = CIMultiDictProxy(CIMultiDict(request.headers.items()))
    return SignedRequest("GET", path, [], headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    seconds = parser.parse_args().seconds
    data = json.loads(VECTORS.read_text())
    creds = data["credentials"]
    key = AccessKey(
        access_key_id=creds["access_key_id"],
        secret=creds["secret_access_key"],
        account_id="111122223333",
        principal_arn="arn:aws:iam::111122223333:root",
        active=True,
    )
    vector = next(v for v in data["vectors"] if v["auth"] == "header")
    headers = CIMultiDictProxy(CIMultiDict([(k, v) for k, v in vector["headers"]]))
    sigv4a_req = SignedRequest("GET", vector["path"], [], headers)
    v4_req = sigv4_request(key, vector["host"], vector["path"])

    def lookup(_: str) -> AccessKey:
        return key

    public = ecdsa.public_key(key.access_key_id, key.secret)
    figures = {
        "key derivation (KDF + d*G, uncached)": per_call_us(
            lambda: ecdsa.public_key.__wrapped__(key.access_key_id, key.secret), seconds
        ),
        "ECDSA verify only (cached key)": per_call_us(
            lambda: ecdsa.signature_valid(
                public, vector["string_to_sign"], vector["signatures"][0]
            ),
            seconds,
        ),
        "SigV4A authenticate (cached key)": per_call_us(
            lambda: sigv4.authenticate(sigv4a_req, lookup, SIGNED_AT), seconds
        ),
        "SigV4 authenticate (for scale)": per_call_us(
            lambda: sigv4.authenticate(v4_req, lookup, SIGNED_AT), seconds
        ),
    }
    for name, us in figures.items():
        print(f"{name:40s} {us:9.1f} µs")


if __name__ == "__main__":
    main()
