"""`aws-chunked` request bodies: framing, chunk-signature chaining and trailers.

An aws-chunked body is a series of chunks, `<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`,
ended by a zero-size chunk and then, in the `-TRAILER` modes, trailing headers
(`name:value` lines, for us `x-amz-checksum-*`, plus `x-amz-trailer-signature` when signed)
and a blank line. It may travel inside HTTP chunked framing or with a Content-Length; HTTP
chunks need not line up with aws-chunks, so the decoder here is fed arbitrary pieces of the
raw body and hands back the payload bytes as they come: nothing is held whole.

Signed modes chain signatures: each chunk's string to sign names the previous signature
(the request's own, the seed, for the first chunk), so a chunk cannot be dropped, replaced
or reordered. `ChunkVerifier` is that chain; `HmacChunkVerifier` is SigV4's and
`EcdsaChunkVerifier` SigV4A's: ECDSA signatures are randomized, so it verifies each one with
the public key instead of recomputing it, and strips the `*` padding they are sent with.

Nothing here knows about HTTP libraries; the edge feeds bytes in and reads payload out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from mrap import errors
from mrap.auth import ecdsa

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MIN_CHUNK_SIZE = 8192  # every chunk but the last must be at least this big
MAX_LINE = 4096  # a chunk header or trailer line longer than this is not one
MAX_TRAILER_BYTES = 16 * 1024
TRAILER_SIGNATURE = "x-amz-trailer-signature"
_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class Mode(Enum):
    """The streaming payload modes, by their `x-amz-content-sha256` value."""

    SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
    ECDSA_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

    @property
    def signed(self) -> bool:
        """Whether chunks carry signatures."""
        return self is not Mode.UNSIGNED_TRAILER

    @property
    def trailer(self) -> bool:
        """Whether trailing headers may follow the last chunk."""
        return self.value.endswith("-TRAILER")


def streaming_mode(content_sha256: str | None) -> Mode | None:
    """The streaming mode an `x-amz-content-sha256` value names, None for other values."""
    try:
        return Mode(content_sha256)
    except ValueError:
        return None


class ChunkVerifier(Protocol):
    """The signature chain of a signed aws-chunked body."""

    def verify_chunk(self, signature: str, data_sha256: str) -> None:
        """Check the next chunk's signature (SignatureDoesNotMatch) and chain it."""

    def verify_trailer(self, signature: str, canonical_trailer: bytes) -> None:
        """Check the trailer signature, which chains on the last chunk's."""


@dataclass
class HmacChunkVerifier:
    """SigV4 (`AWS4-HMAC-SHA256`) chunk and trailer signatures.

    `previous` starts as the seed (the Authorization signature) and moves along the chain.
    """

    key: bytes  # the request's derived signing key
    amz_date: str
    scope: str
    previous: str

    def _expected(self, algorithm: str, digest: str) -> str:
        sts = f"{algorithm}\n{self.amz_date}\n{self.scope}\n{self.previous}\n{digest}"
        return hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()

    def _check(self, expected: str, signature: str) -> None:
        if not hmac.compare_digest(expected, signature):
            raise errors.SignatureDoesNotMatch()
        self.previous = signature

    def verify_chunk(self, signature: str, data_sha256: str) -> None:
        """Check one chunk: the string to sign chains the previous signature."""
        digest = f"{EMPTY_SHA256}\n{data_sha256}"
        self._check(self._expected("AWS4-HMAC-SHA256-PAYLOAD", digest), signature)

    def verify_trailer(self, signature: str, canonical_trailer: bytes) -> None:
        """Check the trailer: the string to sign hashes the canonical trailing headers."""
        digest = hashlib.sha256(canonical_trailer).hexdigest()
        self._check(self._expected("AWS4-HMAC-SHA256-TRAILER", digest), signature)


@dataclass
class EcdsaChunkVerifier:
    """SigV4A (`AWS4-ECDSA-P256-SHA256`) chunk and trailer signatures.

    Chunk and trailer signatures come right-padded with `*` to 144 characters (the longest
    DER signature) so that frame sizes are known in advance; the chain uses them unpadded.
    """

    public_key: EllipticCurvePublicKey
    amz_date: str
    scope: str
    previous: str

    def _check(self, algorithm: str, digest: str, signature: str) -> None:
        unpadded = signature.rstrip("*")
        sts = f"{algorithm}\n{self.amz_date}\n{self.scope}\n{self.previous}\n{digest}"
        if not ecdsa.signature_valid(self.public_key, sts, unpadded):
            raise errors.SignatureDoesNotMatch()
        self.previous = unpadded

    def verify_chunk(self, signature: str, data_sha256: str) -> None:
        """Check one chunk: the string to sign chains the previous signature."""
        digest = f"{EMPTY_SHA256}\n{data_sha256}"
        self._check("AWS4-ECDSA-P256-SHA256-PAYLOAD", digest, signature)

    def verify_trailer(self, signature: str, canonical_trailer: bytes) -> None:
        """Check the trailer: the string to sign hashes the canonical trailing headers."""
        digest = hashlib.sha256(canonical_trailer).hexdigest()
        self._check("AWS4-ECDSA-P256-SHA256-TRAILER", digest, signature)


@dataclass(frozen=True)
class Seed:
    """A verified request signature that a signed aws-chunked body chains on."""

    algorithm: str  # the Authorization algorithm, e.g. AWS4-HMAC-SHA256
    key: bytes  # SigV4: the derived signing key (SigV4A: empty)
    amz_date: str
    scope: str
    signature: str
    public_key: EllipticCurvePublicKey | None = None  # SigV4A: the signer's public key


def verifier_for(mode: Mode, seed: Seed | None) -> ChunkVerifier | None:
    """The signature chain of a body in `mode` (None when its chunks are unsigned).

    Anonymous requests have no seed, so they may only stream unsigned chunks.
    """
    if not mode.signed:
        return None
    if seed is None:
        raise errors.InvalidRequest(
            "Anonymous requests don't support this x-amz-content-sha256 value. Please use "
            "UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER."
        )
    if mode in (Mode.ECDSA, Mode.ECDSA_TRAILER):
        if seed.algorithm != ecdsa.ALGORITHM or seed.public_key is None:
            # ECDSA chunk signatures cannot match an HMAC-signed request's chain.
            raise errors.SignatureDoesNotMatch()
        return EcdsaChunkVerifier(seed.public_key, seed.amz_date, seed.scope, seed.signature)
    if seed.algorithm != "AWS4-HMAC-SHA256":
        raise errors.SignatureDoesNotMatch()
    return HmacChunkVerifier(seed.key, seed.amz_date, seed.scope, seed.signature)


def _incomplete() -> errors.S3Error:
    return errors.IncompleteBody("The request body terminated unexpectedly")


def _malformed_trailer() -> errors.S3Error:
    return errors.MalformedTrailerError()


class _State(Enum):
    HEADER = 1  # reading a chunk header line
    DATA = 2  # passing chunk data through
    DATA_END = 3  # expecting the CRLF after chunk data
    TRAILER = 4  # reading trailing header lines up to the blank line
    DONE = 5


class AwsChunkedDecoder:
    """Decodes one aws-chunked body fed in arbitrary pieces.

    `feed` returns the payload bytes found so far; `finish`, at the end of the raw body,
    checks that the body was complete and returns the trailing headers (lowercase names).
    Signed chunks are passed on before their signature is checked (the check needs the
    whole chunk, which may be large): callers must not keep anything unless `finish`
    succeeds, which is how an upload with a bad chunk stores nothing.
    """

    def __init__(
        self,
        *,
        mode: Mode | None,
        decoded_length: int,
        verifier: ChunkVerifier | None = None,
        trailer_names: Sequence[str] = (),
    ) -> None:
        if mode is not None and mode.signed and verifier is None:
            raise ValueError("a signed aws-chunked body needs a verifier")
        self._mode = mode
        self._verifier = verifier if mode is not None and mode.signed else None
        self._declared = decoded_length
        self._expected_trailers = {name.lower() for name in trailer_names}
        self._state = _State.HEADER
        self._line = bytearray()
        self._remaining = 0
        self._received = 0  # payload bytes announced by chunk headers so far
        self._chunks = 0
        self._last_size = -1
        self._signature = ""
        self._digest: hashlib._Hash | None = None
        self._trailers: dict[str, str] = {}
        self._trailer_bytes = 0
        self._blank_skipped = False

    @property
    def trailers(self) -> dict[str, str]:
        """The trailing headers (empty until the body is complete)."""
        return self._trailers

    def feed(self, data: bytes) -> list[bytes]:
        """Consume a piece of the raw body; return the payload bytes it carried."""
        out: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state is _State.DATA:
                take = min(self._remaining, end - pos)
                piece = data[pos : pos + take]
                if self._digest is not None:
                    self._digest.update(piece)
                out.append(piece)
                pos += take
                self._remaining -= take
                if not self._remaining:
                    self._state = _State.DATA_END
            elif state is _State.DATA_END:
                take = min(2 - len(self._line), end - pos)
                self._line += data[pos : pos + take]
                pos += take
                if len(self._line) == 2:
                    if self._line != b"\r\n":
                        raise _incomplete()
                    self._line.clear()
                    self._end_chunk()
                    self._state = _State.HEADER
            elif state is _State.DONE:
                # Only stray line ends may follow the final blank line.
                if data[pos:].strip(b"\r\n"):
                    raise _malformed_trailer() if self._mode_has_trailer() else _incomplete()
                pos = end
            else:
                newline = data.find(b"\n", pos)
                if newline < 0:
                    self._line += data[pos:]
                    if len(self._line) > MAX_LINE:
                        raise _malformed_trailer() if state is _State.TRAILER else _incomplete()
                    pos = end
                    continue
                self._line += data[pos:newline]
                pos = newline + 1
                line = bytes(self._line).removesuffix(b"\r")
                self._line.clear()
                if state is _State.HEADER:
                    self._on_header(line)
                else:
                    self._on_trailer_line(line)
        return out

    def finish(self) -> dict[str, str]:
        """The raw body ended: IncompleteBody unless it held a whole aws-chunked body."""
        if self._state is _State.TRAILER and self._blank_skipped and not self._line:
            # The blank line taken for the last chunk's own CRLF ended the body: there
            # was no trailer at all.
            self._end_trailer()
        if self._state is not _State.DONE:
            raise _incomplete()
        return self._trailers

    def _mode_has_trailer(self) -> bool:
        return self._mode is None or self._mode.trailer

    def _on_header(self, line: bytes) -> None:
        if len(line) > MAX_LINE:
            raise _incomplete()
        size_text, _, extensions = line.partition(b";")
        size_text = size_text.strip()
        if not _SIZE.fullmatch(size_text):
            raise _incomplete()
        size = int(size_text, 16)
        self._chunks += 1
        # Only the last chunk may be small, so a small chunk followed by data is refused.
        if size and 0 <= self._last_size < MIN_CHUNK_SIZE:
            raise errors.InvalidChunkSizeError(
                Chunk=str(self._chunks), BadChunkSize=str(self._last_size)
            )
        if self._received + size > self._declared:
            raise errors.IncompleteBody(
                NumberBytesExpected=str(self._declared),
                NumberBytesProvided=str(self._received + size),
            )
        self._last_size = size
        self._received += size
        if self._verifier is not None:
            self._signature = _chunk_signature(extensions)
            self._digest = hashlib.sha256()
        if size:
            self._remaining = size
            self._state = _State.DATA
            return
        if self._received != self._declared:
            raise errors.IncompleteBody(
                NumberBytesExpected=str(self._declared),
                NumberBytesProvided=str(self._received),
            )
        self._end_chunk()
        self._state = _State.TRAILER

    def _end_chunk(self) -> None:
        if self._verifier is not None and self._digest is not None:
            self._verifier.verify_chunk(self._signature, self._digest.hexdigest())
            self._digest = None

    def _on_trailer_line(self, line: bytes) -> None:
        self._trailer_bytes += len(line) + 2
        if self._trailer_bytes > MAX_TRAILER_BYTES:
            raise _malformed_trailer()
        if not line:
            if not self._trailers and self._expected_trailers and not self._blank_skipped:
                # Some clients end the last chunk with its own CRLF before the trailer.
                self._blank_skipped = True
                return
            self._end_trailer()
            return
        if not self._mode_has_trailer():
            raise _malformed_trailer()
        name, colon, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if not colon or not name or name in self._trailers:
            raise _malformed_trailer()
        self._trailers[name] = value.strip()

    def _end_trailer(self) -> None:
        signature = self._trailers.pop(TRAILER_SIGNATURE, None)
        if set(self._trailers) != self._expected_trailers:
            raise _malformed_trailer()
        mode = self._mode
        if mode is not None and mode.signed and mode.trailer and self._verifier is not None:
            if signature is not None:
                self._verifier.verify_trailer(signature, canonical_trailer(self._trailers))
            elif self._trailers:
                raise _malformed_trailer()
        elif signature is not None:
            raise _malformed_trailer()
        self._state = _State.DONE


def _chunk_signature(extensions: bytes) -> str:
    # The verifier judges the value (HMAC hex here; padded DER for SigV4A).
    for extension in extensions.split(b";"):
        name, _, value = extension.partition(b"=")
        if name.strip() == b"chunk-signature" and value.strip():
            return value.strip().decode("latin-1")
    raise errors.SignatureDoesNotMatch()


def canonical_trailer(trailers: dict[str, str]) -> bytes:
    """The trailing headers as their signature covers them: sorted `name:value\\n` lines."""
    return "".join(f"{name}:{trailers[name]}\n" for name in sorted(trailers)).encode()
