"""Server-side encryption headers, which this server does not implement yet.

A request asking for SSE-S3, SSE-KMS or SSE-C (or to read an SSE-C copy source) must not
succeed as if it had been honoured: it is answered 501 NotImplemented before anything is
read or written, naming the header.
"""

from __future__ import annotations

from multidict import CIMultiDictProxy

from mrap import errors

_PREFIXES = ("x-amz-server-side-encryption", "x-amz-copy-source-server-side-encryption")


def refuse_encryption(headers: CIMultiDictProxy[str]) -> None:
    """NotImplemented when the request carries any server-side encryption header."""
    for name in headers:
        if name.lower().startswith(_PREFIXES):
            raise errors.S3NotImplemented(Header=name)
