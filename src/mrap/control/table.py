"""S3 Control operations by method and path (under `/v20180820`)."""

from __future__ import annotations

from collections.abc import Mapping

from mrap import errors
from mrap.operation import Route

CONTROL_NAMESPACE = "http://awss3control.amazonaws.com/doc/2018-08-20/"


def resolve(method: str, raw_path: str, headers: Mapping[str, str]) -> tuple[Route, dict[str, str]]:
    """The operation a request is for and its named parameters (path labels, AccountId)."""
    raise errors.S3NotImplemented(
        f"S3 Control {method} {raw_path} is not implemented by this server."
    )
