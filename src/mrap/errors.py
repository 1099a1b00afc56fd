"""S3 errors: one exception type per S3 error code.

Domain code raises these; the edge renders them as the S3 XML error document. Each carries
the HTTP status and the message AWS uses, plus optional extra elements for the document.
"""

from __future__ import annotations

from typing import ClassVar


class S3Error(Exception):
    """Base of every error that reaches a client as an S3 error document."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "We encountered an internal error. Please try again."

    def __init__(self, message: str | None = None, **extra: str) -> None:
        self.message = message or self.default_message
        self.extra = extra
        # Response headers the error carries (x-amz-delete-marker on a 404, Allow on a 405).
        self.headers: dict[str, str] = {}
        super().__init__(self.message)

    def with_headers(self, headers: dict[str, str]) -> S3Error:
        """The same error, answered with these response headers too."""
        self.headers.update(headers)
        return self


def _error(code: str, status: int, message: str) -> type[S3Error]:
    return type(code, (S3Error,), {"code": code, "status": status, "default_message": message})


InternalError = _error("InternalError", 500, S3Error.default_message)
AccessDenied = _error("AccessDenied", 403, "Access Denied")
AllAccessDisabled = _error(
    "AllAccessDisabled", 403, "All access to this Amazon S3 resource has been disabled."
)
InvalidAccessKeyId = _error(
    "InvalidAccessKeyId",
    403,
    "The AWS Access Key Id you provided does not exist in our records.",
)
SignatureDoesNotMatch = _error(
    "SignatureDoesNotMatch",
    403,
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
)
RequestTimeTooSkewed = _error(
    "RequestTimeTooSkewed",
    403,
    "The difference between the request time and the current time is too large.",
)
AuthorizationHeaderMalformed = _error(
    "AuthorizationHeaderMalformed", 400, "The authorization header is malformed."
)
AuthorizationQueryParametersError = _error(
    "AuthorizationQueryParametersError",
    400,
    "Error parsing the X-Amz-Credential parameter.",
)
XAmzContentSHA256Mismatch = _error(
    "XAmzContentSHA256Mismatch",
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
)
NoSuchBucket = _error("NoSuchBucket", 404, "The specified bucket does not exist")
NoSuchKey = _error("NoSuchKey", 404, "The specified key does not exist.")
NoSuchVersion = _error("NoSuchVersion", 404, "The specified version does not exist.")
MetadataTooLarge = _error(
    "MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size."
)
NoSuchUpload = _error(
    "NoSuchUpload",
    404,
    "The specified upload does not exist. The upload ID may be invalid, "
    "or the upload may have been aborted or completed.",
)
BucketAlreadyExists = _error(
    "BucketAlreadyExists",
    409,
    "The requested bucket name is not available. The bucket namespace is shared by all "
    "users of the system. Please select a different name and try again.",
)
BucketAlreadyOwnedByYou = _error(
    "BucketAlreadyOwnedByYou",
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
)
BucketNotEmpty = _error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
TooManyBuckets = _error(
    "TooManyBuckets", 400, "You have attempted to create more buckets than allowed"
)
InvalidBucketName = _error("InvalidBucketName", 400, "The specified bucket is not valid.")
InvalidLocationConstraint = _error(
    "InvalidLocationConstraint", 400, "The specified location-constraint is not valid"
)
KeyTooLongError = _error("KeyTooLongError", 400, "Your key is too long")
InvalidArgument = _error("InvalidArgument", 400, "Invalid Argument")
InvalidRequest = _error("InvalidRequest", 400, "Invalid Request")
InvalidURI = _error("InvalidURI", 400, "Couldn't parse the specified URI.")
MalformedXML = _error(
    "MalformedXML",
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
)
MissingRequestBodyError = _error("MissingRequestBodyError", 400, "Request Body is empty")
BadDigest = _error(
    "BadDigest", 400, "The Content-MD5 you specified did not match what we received."
)
InvalidDigest = _error("InvalidDigest", 400, "The Content-MD5 you specified was invalid.")
IncompleteBody = _error(
    "IncompleteBody",
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
)
MissingContentLength = _error(
    "MissingContentLength", 411, "You must provide the Content-Length HTTP header."
)
EntityTooLarge = _error(
    "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"
)
EntityTooSmall = _error(
    "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size."
)
RequestHeaderSectionTooLarge = _error(
    "RequestHeaderSectionTooLarge",
    400,
    "Your request header section exceeds the maximum allowed size.",
)
RequestTimeout = _error(
    "RequestTimeout",
    400,
    "Your socket connection to the server was not read from or written to within "
    "the timeout period. Idle connections will be closed.",
)
InvalidRange = _error("InvalidRange", 416, "The requested range is not satisfiable")
PreconditionFailed = _error(
    "PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold"
)
NotModified = _error("NotModified", 304, "Not Modified")
ConditionalRequestConflict = _error(
    "ConditionalRequestConflict",
    409,
    "A conflicting conditional operation is currently in progress against this resource. "
    "Try again.",
)
InvalidTag = _error("InvalidTag", 400, "The TagKey you have provided is invalid")
BadRequest = _error("BadRequest", 400, "Bad Request")
NoSuchTagSet = _error("NoSuchTagSet", 404, "The TagSet does not exist")
IllegalVersioningConfigurationException = _error(
    "IllegalVersioningConfigurationException",
    400,
    "The versioning configuration specified in the request is invalid.",
)
InvalidPart = _error(
    "InvalidPart",
    400,
    "One or more of the specified parts could not be found.  The part may not have been "
    "uploaded, or the specified entity tag may not match the part's entity tag.",
)
InvalidPartOrder = _error(
    "InvalidPartOrder",
    400,
    "The list of parts was not in ascending order. Parts must be ordered by part number.",
)
MethodNotAllowed = _error(
    "MethodNotAllowed", 405, "The specified method is not allowed against this resource."
)
S3NotImplemented = _error(
    "NotImplemented", 501, "A header you provided implies functionality that is not implemented"
)
MalformedTrailerError = _error(
    "MalformedTrailerError",
    400,
    "The request contained trailing data that was not well-formed or did not conform to our "
    "published schema.",
)
InvalidChunkSizeError = _error(
    "InvalidChunkSizeError",
    400,
    "Only the last chunk is allowed to have a size less than 8192 bytes",
)
InvalidPartNumber = _error("InvalidPartNumber", 416, "The requested partnumber is not satisfiable")
NoSuchBucketPolicy = _error("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
MalformedPolicy = _error("MalformedPolicy", 400, "Policies must be valid JSON")
PolicyTooLarge = _error("PolicyTooLarge", 400, "Policy exceeds the maximum allowed document size.")
NoSuchPublicAccessBlockConfiguration = _error(
    "NoSuchPublicAccessBlockConfiguration",
    404,
    "The public access block configuration was not found",
)

# Errors of the Query APIs (IAM, STS) that the edge itself raises.
InvalidAction = _error("InvalidAction", 400, "The action or operation requested is invalid.")
MissingAction = _error("MissingAction", 400, "Missing Action")
InvalidClientTokenId = _error(
    "InvalidClientTokenId", 403, "The security token included in the request is invalid."
)
MissingAuthenticationToken = _error(
    "MissingAuthenticationToken", 403, "Request is missing Authentication Token"
)
ValidationError = _error("ValidationError", 400, "The request did not pass validation.")

# Errors of the IAM Query API (messages are per entity; these defaults are IAM's generic ones).
NoSuchEntity = _error(
    "NoSuchEntity",
    404,
    "The request was rejected because it referenced an entity that does not exist.",
)
EntityAlreadyExists = _error(
    "EntityAlreadyExists",
    409,
    "The request was rejected because it attempted to create a resource that already exists.",
)
DeleteConflict = _error(
    "DeleteConflict",
    409,
    "The request was rejected because it attempted to delete a resource "
    "that has attached subordinate entities.",
)
LimitExceeded = _error(
    "LimitExceeded",
    409,
    "The request was rejected because it attempted to create resources "
    "beyond the current AWS account limits.",
)
MalformedPolicyDocument = _error("MalformedPolicyDocument", 400, "Syntax errors in policy.")
InvalidInput = _error(
    "InvalidInput",
    400,
    "The request was rejected because an invalid or "
    "out-of-range value was supplied for an input parameter.",
)

# Temporary credentials (STS sessions). S3 answers 400 for a bad or expired session token;
# IAM and STS answer 403, with their own wording (the edge's Query translation picks these).
InvalidToken = _error("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
ExpiredToken = _error("ExpiredToken", 400, "The provided token has expired.")
QueryExpiredToken = _error(
    "ExpiredToken", 403, "The security token included in the request is expired"
)

# Errors of ACLs and Object Ownership.
MalformedACLError = _error(
    "MalformedACLError",
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
)
AccessControlListNotSupported = _error(
    "AccessControlListNotSupported", 400, "The bucket does not allow ACLs"
)
InvalidBucketAclWithObjectOwnership = _error(
    "InvalidBucketAclWithObjectOwnership",
    400,
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
)
InvalidBucketAclWithBlockPublicAccessError = _error(
    "InvalidBucketAclWithBlockPublicAccessError",
    400,
    "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
)
OwnershipControlsNotFoundError = _error(
    "OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found"
)
UnexpectedContent = _error("UnexpectedContent", 400, "This request does not support content")
MissingSecurityHeader = _error(
    "MissingSecurityHeader", 400, "Your request was missing a required header"
)

# S3 Control: Multi-Region Access Points.
NoSuchMultiRegionAccessPoint = _error(
    "NoSuchMultiRegionAccessPoint", 404, "The specified Multi-Region Access Point does not exist."
)
NoSuchAsyncRequest = _error("NoSuchAsyncRequest", 404, "The specified request was not found.")
ClientTokenConflict = _error(
    "ClientTokenConflict",
    409,
    "Your Multi-Region Access Point idempotency token was already used for a different request.",
)
OperationAborted = _error(
    "OperationAborted",
    409,
    "A conflicting conditional operation is currently in progress against this resource. "
    "Try again.",
)
BucketHasAccessPointsAttached = _error(
    "BucketHasAccessPointsAttached",
    400,
    "The bucket you tried to delete has access points attached. Delete your access points "
    "before deleting your bucket.",
)
ControlPermanentRedirect = _error(
    "PermanentRedirect",
    301,
    "This API operation is only available in the following Regions: us-west-2. "
    "Make sure to send all future requests to a supported Region.",
)

# Replication.
ReplicationConfigurationNotFoundError = _error(
    "ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found"
)
ObjectLockVersioningLocked = _error(
    "InvalidBucketState",
    409,
    "An Object Lock configuration is present on this bucket, so the versioning state cannot be"
    " changed.",
)
ReplicationVersioningLocked = _error(
    "InvalidBucketState",
    409,
    "A replication configuration is present on this bucket, so you cannot change the versioning"
    " state. To change the versioning state, first delete the replication configuration.",
)

# Object Lock and restore.
ObjectLockConfigurationNotFoundError = _error(
    "ObjectLockConfigurationNotFoundError",
    404,
    "Object Lock configuration does not exist for this bucket",
)
NoSuchObjectLockConfiguration = _error(
    "NoSuchObjectLockConfiguration",
    404,
    "The specified object does not have a ObjectLock configuration",
)
InvalidRetentionPeriod = _error(
    "InvalidRetentionPeriod", 400, "Default retention period must be a positive integer value"
)
ObjectLockVersioningRequired = _error(
    "InvalidBucketState",
    409,
    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
)
# An AccessDenied, so code that catches refusals catches this one too.
ObjectLocked: type[S3Error] = type(
    "AccessDenied",
    (AccessDenied,),
    {"default_message": "Access Denied because object protected by object lock."},
)
InvalidObjectState = _error(
    "InvalidObjectState", 403, "Restore is not allowed for the object's current storage class"
)
RestoreAlreadyInProgress = _error(
    "RestoreAlreadyInProgress", 409, "Object restore is already in progress"
)
InvalidStorageClass = _error(
    "InvalidStorageClass", 400, "The storage class you specified is not valid"
)

# Not an AWS error: S3 never fills up. 507 is HTTP's "Insufficient Storage" (MinIO answers it
# too); SDKs do not retry it, so a full disk fails fast instead of being hammered.
StorageFull = _error("StorageFull", 507, "The storage of this region is full.")
IllegalLocationConstraintException = _error(
    "IllegalLocationConstraintException",
    400,
    "The location constraint is incompatible for the region specific endpoint this request was "
    "sent to.",
)
