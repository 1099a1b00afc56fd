"""SigV4A's key pair and signature check: ECDSA P-256 keys derived from a secret key.

AWS derives a P-256 key pair from the secret access key with one round of NIST SP 800-108's
counter-mode KDF (HMAC-SHA256). The signer keeps the private key; the server, which knows the
secret too, derives the same public key and verifies with it. Derivation costs a scalar
multiplication, so public keys are cached per (access key id, secret).
"""

from __future__ import annotations

import hmac
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "AWS4-ECDSA-P256-SHA256"
# The order of the P-256 group: a private scalar must lie in [1, N-1].
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
MAX_COUNTER = 254
# DER SEQUENCE{INTEGER r, INTEGER s} of P-256 is at most 72 bytes.
MAX_SIGNATURE_HEX = 144
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def derive_private_scalar(access_key_id: str, secret: str) -> int:
    """The private scalar d that AWS derives for a key pair (ValueError if none qualifies)."""
    key = b"AWS4A" + secret.encode()
    # Fixed input: block index 1, label, a zero byte, context (key id and counter), and the
    # output length in bits (256), all as AWS's signer lays them out.
    head = b"\x00\x00\x00\x01" + ALGORITHM.encode() + b"\x00" + access_key_id.encode()
    for counter in range(1, MAX_COUNTER + 1):
        k0 = int.from_bytes(
            hmac.digest(key, head + bytes((counter,)) + b"\x00\x00\x01\x00", "sha256"), "big"
        )
        # d = k0 + 1 must stay below N; a larger k0 is rejected, not reduced, to keep it uniform.
        if k0 <= P256_ORDER - 2:
            return k0 + 1
    raise ValueError(f"no counter up to {MAX_COUNTER} gives a P-256 key for {access_key_id}")


@lru_cache(maxsize=1024)
def public_key(access_key_id: str, secret: str) -> ec.EllipticCurvePublicKey:
    """The public key of the pair derived from `secret`; cached, as derivation is costly."""
    scalar = derive_private_scalar(access_key_id, secret)
    return ec.derive_private_key(scalar, ec.SECP256R1()).public_key()


def signature_valid(key: ec.EllipticCurvePublicKey, message: str, signature: str) -> bool:
    """Whether `signature` (DER, lowercase hex) is `key`'s ECDSA-SHA256 signature of `message`.

    ECDSA hashes the message itself: the string to sign is passed as is, not pre-hashed.
    """
    if len(signature) > MAX_SIGNATURE_HEX or not _LOWER_HEX.fullmatch(signature):
        return False
    try:
        key.verify(bytes.fromhex(signature), message.encode(), _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True
