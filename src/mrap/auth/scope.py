"""The credential scope a signature was made for, and the checks AWS makes on it.

A SigV4 scope names a region and a service (`<date>/<region>/<service>/aws4_request`); a
SigV4A scope names only the service, its regions travel in the signed region set. AWS refuses
a signature made for another region or service than the one that serves the request. The
region error names the right region (`<Region>` and `x-amz-bucket-region`), which is what
botocore and the other SDKs read to re-sign and retry ("S3 region redirect").

Choices where the gateway differs from AWS's one-endpoint-per-region layout (AWS-NOTES style):
- One gateway endpoint serves every region. A request that names no existing bucket
  (ListBuckets, a bucket that does not exist) has no region of its own: any signing region is
  accepted there, as each of AWS's regional endpoints accepts its own.
- CreateBucket: the LocationConstraint decides the bucket's region and the signing region must
  be that region. A signature for us-east-1 (or botocore's `aws-global`) may create a bucket in
  any region, as AWS's legacy global endpoint `s3.amazonaws.com` does; a signature for another
  region gets IllegalLocationConstraintException, as a regional endpoint answers.
- IAM and STS: IAM is global and STS has regional endpoints; only their service is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from mrap import errors

GLOBAL_REGIONS = frozenset({"us-east-1", "aws-global"})
"""Signing regions of AWS's global S3 endpoint, where a CreateBucket may name any region."""

BUCKET_REGION_HEADER = "x-amz-bucket-region"


@dataclass(frozen=True)
class Scope:
    """What a signature's credential scope names."""

    region: str  # "" for SigV4A, whose regions are in its region set
    service: str
    presigned: bool  # the query form (X-Amz-Credential), not the Authorization header


def _malformed(scope: Scope, detail: str, **extra: str) -> errors.S3Error:
    """The error for a scope that does not fit: per the form of the signature."""
    if scope.presigned:
        return errors.AuthorizationQueryParametersError(
            f"Error parsing the X-Amz-Credential parameter; {detail}", **extra
        )
    return errors.AuthorizationHeaderMalformed(
        f"The authorization header is malformed; {detail}", **extra
    )


def check_service(scope: Scope, service: str) -> None:
    """The scope must name the service of the API the request is for (`s3`, `iam`, `sts`)."""
    if scope.service != service:
        raise _malformed(
            scope, f"incorrect service '{scope.service}'. This endpoint belongs to '{service}'."
        )


def check_region(scope: Scope, region: str) -> None:
    """A SigV4 scope must name the region serving the request (the bucket's region).

    The error carries the right region in its body and in `x-amz-bucket-region`, so that
    clients can re-sign for it and retry.
    """
    if not scope.region or scope.region == region:
        return
    error = _malformed(
        scope, f"the region '{scope.region}' is wrong; expecting '{region}'", Region=region
    )
    raise error.with_headers({BUCKET_REGION_HEADER: region})


def check_create_bucket(signing_region: str, region: str, constraint: str) -> None:
    """A CreateBucket signed for `signing_region` may create a bucket in `region`.

    `constraint` is the LocationConstraint as sent ("" when left out), for the message.
    """
    if not signing_region or signing_region in GLOBAL_REGIONS or signing_region == region:
        return
    named = constraint or "unspecified"
    raise errors.IllegalLocationConstraintException(
        f"The {named} location constraint is incompatible for the region specific endpoint "
        "this request was sent to."
    )


def signing_region(authorization: str | None, credential_param: str | None) -> str:
    """The region of a SigV4 scope, from the Authorization header or X-Amz-Credential ("")."""
    credential = credential_param or ""
    if authorization:
        start = authorization.find("Credential=")
        credential = authorization[start + 11 :].partition(",")[0] if start >= 0 else ""
    parts = credential.strip().split("/")
    return parts[2] if len(parts) == 5 else ""
