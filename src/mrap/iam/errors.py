"""Errors raised when a policy document is refused at put time, and the size limits.

IAM and S3 reject the same mistakes with different codes and wordings: IAM answers
`MalformedPolicyDocument` ("Syntax errors in policy."), S3 answers `MalformedPolicy`
("Invalid policy syntax."). The parser raises one of the two subclasses below; the operation
layer turns it into the service's error document. Nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import ClassVar

# Size limits are checked by the caller (they depend on where the policy is attached), but the
# numbers live here so every caller uses the same ones.
BUCKET_POLICY_MAX_BYTES = 20 * 1024
"""A bucket policy may be at most 20 KB (bytes of the document as sent)."""
ACCESS_POINT_POLICY_MAX_BYTES = 20 * 1024
"""Access point and Multi-Region Access Point policies share the bucket policy limit."""
MANAGED_POLICY_MAX_CHARS = 6144
"""A customer managed policy: 6,144 characters, white space not counted."""
INLINE_USER_POLICY_MAX_CHARS = 2048
"""All inline policies of one user together: 2,048 characters, white space not counted."""
INLINE_GROUP_POLICY_MAX_CHARS = 5120
"""All inline policies of one group together: 5,120 characters, white space not counted."""
INLINE_ROLE_POLICY_MAX_CHARS = 10240
"""All inline policies of one role together: 10,240 characters, white space not counted."""
TRUST_POLICY_MAX_CHARS = 2048
"""A role trust policy: 2,048 characters by default, white space not counted."""


def non_whitespace_length(text: str) -> int:
    """The length IAM counts against its quotas: characters other than white space."""
    return sum(1 for ch in text if not ch.isspace())


class PolicyError(Exception):
    """A policy document that the service refuses to store; `code` and `message` as AWS sends."""

    code: ClassVar[str] = "MalformedPolicyDocument"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class MalformedPolicyDocument(PolicyError):
    """IAM's refusal (CreatePolicy, PutUserPolicy, CreateRole…)."""

    code = "MalformedPolicyDocument"


class MalformedPolicy(PolicyError):
    """S3's refusal (PutBucketPolicy, PutAccessPointPolicy, PutMultiRegionAccessPointPolicy)."""

    code = "MalformedPolicy"
