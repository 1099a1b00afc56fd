"""The gateway's local certificate authority and the TLS contexts of proxy tunnels.

The CA (EC P-256) is created once in the data directory and reused; clients trust it through
`AWS_CA_BUNDLE`. Each tunnel's host gets a leaf certificate for exactly its name, issued on
first use: a wildcard would not do, since an MRAP alias is two labels and a TLS wildcard
covers one.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import os
import ssl
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("mrap.proxy")

CA_DIR = "ca"
CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
_CA_YEARS = 10
_LEAF_DAYS = 365
_CONTEXT_CACHE = 4096  # per process; enough for every bucket a client set touches


def ca_cert_path(data_dir: Path) -> Path:
    """Where the CA certificate (the file clients trust) lives."""
    return data_dir / CA_DIR / CA_CERT


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialize CA creation between processes started on the same data directory."""
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, replacing any previous one atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask cannot widen it, an older file's mode cannot either
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _new_ca() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a fresh CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mrap"),
            x509.NameAttribute(NameOID.COMMON_NAME, "mrap local CA"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * _CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def ensure_ca(data_dir: Path) -> Path:
    """Create the CA in the data directory unless it exists; the certificate's path."""
    folder = data_dir / CA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    with _locked(folder):
        if cert_path.exists() and key_path.exists():
            return cert_path
        cert_pem, key_pem = _new_ca()
        # The key first: a certificate on disk always has its key beside it.
        _write_private(key_path, key_pem)
        tmp = cert_path.with_name(CA_CERT + ".tmp")
        tmp.write_bytes(cert_pem)
        os.replace(tmp, cert_path)
        log.info("created certificate authority %s", cert_path)
    return cert_path


class Authority:
    """The loaded CA: issues leaf certificates and caches one TLS context per host."""

    def __init__(self, data_dir: Path) -> None:
        cert_path = ensure_ca(data_dir)
        self._cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key((data_dir / CA_DIR / CA_KEY).read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{CA_KEY} is not an EC key")
        self._key = key
        # One leaf key per process, shared by its leaves: generating it per host costs more
        # than the certificate itself, and it never leaves this process's memory.
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._leaf_key_pem = self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._contexts: OrderedDict[str, ssl.SSLContext] = OrderedDict()

    def issue(self, host: str) -> bytes:
        """PEM of a leaf certificate for exactly `host`, signed by the CA."""
        now = _now()
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self._cert.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=_LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._leaf_key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    def context_for(self, host: str) -> ssl.SSLContext:
        """The server context of tunnels to `host` (normalized); refuses any other SNI name."""
        context = self._contexts.get(host)
        if context is not None:
            self._contexts.move_to_end(host)
            return context
        context = self._build(host)
        self._contexts[host] = context
        if len(self._contexts) > _CONTEXT_CACHE:
            self._contexts.popitem(last=False)
        return context

    def _build(self, host: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])  # the tunnel speaks HTTP/1.1 only
        chain = self.issue(host) + self._cert.public_bytes(serialization.Encoding.PEM)
        # load_cert_chain reads only files: a private temporary file, gone right after.
        with tempfile.NamedTemporaryFile(prefix="mrap-leaf-", suffix=".pem") as fh:
            fh.write(chain + self._leaf_key_pem)
            fh.flush()
            context.load_cert_chain(fh.name)

        def check_sni(_sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> int | None:
            # The SNI name must be the CONNECT host: a tunnel never serves another name.
            if name is None or name.lower().rstrip(".") != host:
                log.warning("TLS for %s refused: SNI name %r", host, name)
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            return None

        context.sni_callback = check_sni
        return context
