"""Policy documents refused at put time, with the code and message AWS gives.

IAM cases (MalformedPolicyDocument) follow the documents and messages that moto's IAM test
suite recorded against AWS (getmoto/moto tests/test_iam/test_iam_policies.py); S3 cases
(MalformedPolicy) follow the messages reported from PutBucketPolicy in public issue threads
(aws-cli, terraform, versitygw, CORTX) and the S3 User Guide.
"""

# Case tables keep one case per line (between fmt: off/on), so long lines are expected.
# ruff: noqa: E501

from __future__ import annotations

import json
from typing import Any

import pytest

from mrap.iam import (
    BUCKET_POLICY_MAX_BYTES,
    INLINE_USER_POLICY_MAX_CHARS,
    MANAGED_POLICY_MAX_CHARS,
    MalformedPolicy,
    MalformedPolicyDocument,
    PolicyError,
    PolicyKind,
    cached_policy,
    non_whitespace_length,
    parse_policy,
)

V = "2012-10-17"
LIST = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}


def with_statement(**changes: Any) -> dict[str, Any]:
    statement = dict(LIST)
    for key, value in changes.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    return {"Version": V, "Statement": statement}


def text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


# (id, document, message)
# fmt: off
IAM_INVALID: list[tuple[str, Any, str]] = [
    ("not-json", "This is not a json document", "Syntax errors in policy."),
    ("json-array", "[]", "Syntax errors in policy."),
    ("no-version", {"Statement": LIST}, "Policy document must be version 2012-10-17 or greater."),
    ("version-2008", {"Version": "2008-10-17", "Statement": LIST}, "Policy document must be version 2012-10-17 or greater."),
    ("unknown-version", {"Version": "2013-10-17", "Statement": LIST}, "Syntax errors in policy."),
    ("no-statement", {"Version": V}, "Syntax errors in policy."),
    ("statement-not-object", {"Version": V, "Statement": ["afd"]}, "Syntax errors in policy."),
    ("empty-statement-list", {"Version": V, "Statement": []}, "Syntax errors in policy."),
    ("extra-top-field", {"Version": V, "Statement": LIST, "Extra field": "value"}, "Syntax errors in policy."),
    ("extra-statement-field", with_statement(**{"Extra field": "value"}), "Syntax errors in policy."),
    ("id-list", {"Version": V, "Id": ["x"], "Statement": LIST}, "Syntax errors in policy."),
    ("id-object", {"Version": V, "Id": {}, "Statement": LIST}, "Syntax errors in policy."),
    ("effect-invalid", with_statement(Effect="invalid"), "Syntax errors in policy."),
    ("effect-missing", with_statement(Effect=None), "Syntax errors in policy."),
    ("effect-wrong-case", with_statement(Effect="denY"), "The policy failed legacy parsing"),
    ("principal-in-identity", with_statement(Principal={"AWS": "123456789012"}), "Policy document should not specify a principal."),
    ("notprincipal-in-identity", with_statement(NotPrincipal="*"), "Policy document should not specify a principal."),
    ("action-without-vendor", with_statement(Action="invalid"), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("notaction-empty-string", with_statement(Action=None, NotAction=""), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("vendor-with-space", with_statement(Action="a a:ListBucket"), "Vendor a a is not valid"),
    ("action-two-colons", with_statement(Action="s3:List:Bucket"), "Actions/Condition can contain only one colon."),
    ("action-two-colons-second-statement", {"Version": V, "Statement": [with_statement(Action="s3s:ListBucket")["Statement"], with_statement(Action="s:3s:ListBucket")["Statement"]]}, "Actions/Condition can contain only one colon."),
    ("action-object", with_statement(Action={}), "Syntax errors in policy."),
    ("action-nested-list", with_statement(Action=[[]]), "Syntax errors in policy."),
    ("action-and-notaction", with_statement(NotAction="s3:ListBucket"), "Syntax errors in policy."),
    ("no-action", with_statement(Action=None), "Policy statement must contain actions."),
    ("empty-action-list", with_statement(Action=[]), "Policy statement must contain actions."),
    ("only-effect", {"Version": V, "Statement": {"Effect": "Allow"}}, "Policy statement must contain actions."),
    ("first-statement-no-action", {"Version": V, "Statement": [{"Effect": "Deny"}, LIST]}, "Policy statement must contain actions."),
    ("action-prefix-before-missing-resource", {"Version": V, "Statement": {"Effect": "Allow", "Action": "invalid"}}, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("no-resource", with_statement(Resource=None), "Policy statement must contain resources."),
    ("empty-resource-list", with_statement(Resource=[]), "Policy statement must contain resources."),
    ("resource-not-arn", with_statement(Resource="invalid resource"), 'Resource invalid resource must be in ARN format or "*".'),
    ("resource-empty", with_statement(Resource=""), 'Resource  must be in ARN format or "*".'),
    ("resource-list-not-arn", with_statement(Resource=["adf"]), 'Resource adf must be in ARN format or "*".'),
    ("resource-error-beats-action-error", with_statement(Action="s:3:ListBucket", Resource="sdfsadf"), 'Resource sdfsadf must be in ARN format or "*".'),
    ("partition-short", with_statement(Action=None, NotAction="s3s:ListBucket", Resource="a:bsdfdsafsad"), 'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'),
    ("partition-three-parts", with_statement(Action=None, NotAction="s3s:ListBucket", Resource="a:b:cadfsdf"), 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'),
    ("partition-long", with_statement(Action=None, NotAction="s3s:ListBucket", Resource="a:b:c:d:e:f:g:h"), 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'),
    ("partition-missing-arn-prefix", with_statement(Resource="aws:s3:::example_bucket"), 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'),
    ("partition-error-reported-for-list", with_statement(Resource=["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"]), 'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".'),
    ("resource-vendor-missing", with_statement(Resource="arn:aws"), "Resource vendor must be fully qualified and cannot contain regexes."),
    ("resource-object", with_statement(Resource={"a": "arn:aws:s3:::example_bucket"}), "Syntax errors in policy."),
    ("resource-list-with-object", with_statement(Effect="Deny", Resource=["adfdf", {}]), "Syntax errors in policy."),
    ("resource-and-notresource", with_statement(NotResource="*"), "Syntax errors in policy."),
    ("iam-resource-path", with_statement(Resource="arn:aws:iam:::example_bucket"), 'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.'),
    ("iam-resource-region", with_statement(Resource="arn:aws:iam:us-east-1::example_bucket"), "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."),
    ("s3-resource-region", with_statement(Resource="arn:aws:s3:us-east-1::example_bucket"), "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."),
    ("resource-legacy-two-colons", with_statement(Resource="arn:aws:s3::example_bucket"), "The policy failed legacy parsing"),
    ("resource-legacy-empty-service", with_statement(Action=None, NotAction="s3:ListBucket", Resource="arn:aws::::example_bucket"), "The policy failed legacy parsing"),
    ("resource-legacy-short", with_statement(Resource="arn:aws::fdsasf"), "The policy failed legacy parsing"),
    ("notresource-legacy", with_statement(Resource=None, NotResource="arn:aws:s3::example_bucket"), "The policy failed legacy parsing"),
    ("sid-object", with_statement(Sid={}), "Syntax errors in policy."),
    ("sid-list", with_statement(Sid=[]), "Syntax errors in policy."),
    ("sid-duplicate", {"Version": V, "Statement": [dict(LIST, Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}]}, "Statement IDs (SID) in a single policy must be unique."),
    ("sid-duplicate-without-version", {"Statement": [dict(LIST, Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}]}, "Policy document must be version 2012-10-17 or greater."),
    ("legacy-before-sid", {"Version": V, "Statement": [dict(LIST, Sid="sdf", Effect="aLLow"), {"Sid": "sdf", "Effect": "Allow"}]}, "The policy failed legacy parsing"),
    ("condition-list", with_statement(Condition=[]), "Syntax errors in policy."),
    ("condition-string", with_statement(Condition="a"), "Syntax errors in policy."),
    ("condition-operator-string", with_statement(Condition={"a": "b"}), "Syntax errors in policy."),
    ("condition-block-string", with_statement(Condition={"DateGreaterThan": "b"}), "Syntax errors in policy."),
    ("condition-block-list", with_statement(Condition={"DateGreaterThan": []}), "Syntax errors in policy."),
    ("condition-value-object", with_statement(Condition={"DateGreaterThan": {"a": {}}}), "Syntax errors in policy."),
    ("condition-value-object-no-action", with_statement(Action=None, Condition={"DateGreaterThan": {"a": {}}}), "Syntax errors in policy."),
    ("unknown-operator", with_statement(Condition={"x": {"a": "1"}}), "Syntax errors in policy."),
    ("unknown-operator-real-name", with_statement(Condition={"StringEqualz": {"a": "1"}}), "Syntax errors in policy."),
    ("operator-double-colon", with_statement(Condition={"ForAnyValue::StringEqualsIfExists": {"a": "asf"}}), "Syntax errors in policy."),
    ("null-ifexists", with_statement(Condition={"NullIfExists": {"a": "true"}}), "Syntax errors in policy."),
    ("condition-list-of-blocks", with_statement(Condition=[{"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}]), "Syntax errors in policy."),
    ("date-invalid", with_statement(Condition={"DateGreaterThan": {"a": "sdfdsf"}}), "The policy failed legacy parsing"),
    ("date-invalid-without-version", {"Statement": dict(LIST, Condition={"DateGreaterThan": {"a": "sdfdsf"}})}, "Policy document must be version 2012-10-17 or greater."),
    ("date-invalid-no-action", {"Version": V, "Statement": {"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}}, "The policy failed legacy parsing"),
    ("date-month-13", with_statement(Condition={"DateLessThanEquals": {"a": "234-13"}}), "The policy failed legacy parsing"),
    ("date-one-digit-zone", with_statement(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+1"}}), "The policy failed legacy parsing"),
    ("date-ten-digit-fraction", with_statement(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.1999999999+10:59"}}), "The policy failed legacy parsing"),
    ("date-epoch-overflow", with_statement(Condition={"DateLessThan": {"a": "9223372036854775808"}}), "The policy failed legacy parsing"),
    ("date-legacy-before-partition", with_statement(Resource="arn:error:s3:::example_bucket", Condition={"DateGreaterThan": {"a": "sdfdsf"}}), "The policy failed legacy parsing"),
]
# fmt: on

# fmt: off
IAM_VALID: list[tuple[str, Any]] = [
    ("resource-list", with_statement(Resource=["arn:aws:s3:::example_bucket"])),
    ("odd-action-name", with_statement(Action="iam: asdf safdsf af ")),
    ("resource-star-in-list", with_statement(Resource=["arn:aws:s3:::example_bucket", "*"])),
    ("action-star", with_statement(Action="*")),
    ("statement-list", {"Version": V, "Statement": [LIST]}),
    ("date-window", with_statement(Condition={"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}})),
    ("unknown-service-action", with_statement(Action="fsx:ListBucket")),
    ("iam-user-resource", with_statement(Resource="arn:aws:iam:::user/example_bucket")),
    ("unknown-service-resource", with_statement(Resource="arn:aws:s33:::example_bucket")),
    ("short-arn", with_statement(Resource="arn:aws:fdsasf")),
    ("empty-condition", with_statement(Condition={})),
    ("tag-keys", with_statement(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}})),
    ("region-other-service", with_statement(Resource="arn:aws:cloudwatch:us-east-1::example_bucket")),
    ("empty-date-block", with_statement(Condition={"DateGreaterThan": {}})),
    ("empty-date-values", with_statement(Condition={"DateGreaterThan": {"a": []}})),
    ("unknown-operator-empty", with_statement(Condition={"a": {}})),
    ("two-unknown-operators-empty", with_statement(Condition={"x": {}, "y": {}})),
    ("ifexists", with_statement(Condition={"StringEqualsIfExists": {"a": "asf"}})),
    ("set-ifexists", with_statement(Condition={"ForAnyValue:StringEqualsIfExists": {"a": "asf"}})),
    ("date-iso", with_statement(Condition={"DateLessThanEquals": {"a": "2019-07-01T13:20:15Z"}})),
    ("date-offset", with_statement(Condition={"DateLessThanEquals": {"a": "2016-12-13T21:20:37.593194+00:00"}})),
    ("date-lenient", with_statement(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}})),
    ("date-negative-year", with_statement(Condition={"DateLessThan": {"a": "-292275054"}})),
    ("date-01T", with_statement(Condition={"DateGreaterThan": {"a": "01T"}})),
    ("notaction-notresource", {"Version": V, "Statement": {"Effect": "Allow", "NotAction": "s3:ListBucket", "NotResource": "*"}}),
    ("notresource-list", {"Version": V, "Statement": {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}}),
    ("access-point-arn", with_statement(Resource=["arn:aws:s3:us-west-2:123456789012:accesspoint/ap1", "arn:aws:s3:us-west-2:123456789012:accesspoint/ap1/object/*"])),
    ("mrap-and-async-request", with_statement(Resource=["arn:aws:s3::123456789012:accesspoint/abc.mrap", "arn:aws:s3:us-west-2:123456789012:async-request/mrap/*/*"])),
    ("with-id", {"Version": V, "Id": "sdfsdfsdf", "Statement": LIST}),
    ("vendors", with_statement(Action=["s3-s:ListBucket", "s3.s:ListBucket", "aaaaaadsfdsafsadfsadfaaaaa:ListBucket"])),
    ("sid-once-and-none", {"Version": V, "Statement": [dict(LIST, Sid="sdf"), LIST]}),
    ("variables", with_statement(Resource="arn:aws:iam::*:user/${aws:username}")),
    ("bool-json", with_statement(Condition={"Bool": {"aws:SecureTransport": False}, "NumericLessThan": {"s3:max-keys": 10}})),
    ("mfa-doc", with_statement(Effect="Deny", Action=None, NotAction=["iam:GetUser"], Resource="*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "document", "message"), IAM_INVALID, ids=[c[0] for c in IAM_INVALID]
)
def test_identity_policy_refused(case_id: str, document: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(text(document), PolicyKind.IDENTITY)
    assert info.value.message == message
    assert info.value.code == "MalformedPolicyDocument"
    assert info.value.status == 400


@pytest.mark.parametrize(("case_id", "document"), IAM_VALID, ids=[c[0] for c in IAM_VALID])
def test_identity_policy_accepted(case_id: str, document: Any) -> None:
    policy = parse_policy(text(document), PolicyKind.IDENTITY)
    assert policy.statements


TRUST = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "sts:AssumeRole",
}

# fmt: off
TRUST_INVALID: list[tuple[str, Any, str]] = [
    ("not-json", "{", "Syntax errors in policy."),
    ("no-principal", {"Version": V, "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}, "Missing required field Principal"),
    ("resource", {"Version": V, "Statement": dict(TRUST, Resource="*")}, "Has prohibited field Resource"),
    ("non-sts-action", {"Version": V, "Statement": dict(TRUST, Action="s3:GetObject")}, "AssumeRole policy may only specify STS AssumeRole actions."),
    ("bad-account", {"Version": V, "Statement": dict(TRUST, Principal={"AWS": "12345"})}, 'Invalid principal in policy: "AWS":"12345"'),
    ("wildcard-user", {"Version": V, "Statement": dict(TRUST, Principal={"AWS": "arn:aws:iam::123456789012:user/*"})}, 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"'),
    ("bad-service", {"Version": V, "Statement": dict(TRUST, Principal={"Service": "not a service"})}, 'Invalid principal in policy: "Service":"not a service"'),
    ("unknown-principal-type", {"Version": V, "Statement": dict(TRUST, Principal={"Group": "x"})}, 'Invalid principal in policy: "Group":"x"'),
    ("empty-principal", {"Version": V, "Statement": dict(TRUST, Principal={})}, "Missing required field Principal cannot be empty!"),
    ("principal-string", {"Version": V, "Statement": dict(TRUST, Principal="arn:aws:iam::123456789012:root")}, "Syntax errors in policy."),
    ("not-principal", {"Version": V, "Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}}, "AssumeRole policy must not contain NotPrincipal field."),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "document", "message"), TRUST_INVALID, ids=[c[0] for c in TRUST_INVALID]
)
def test_trust_policy_refused(case_id: str, document: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(text(document), PolicyKind.TRUST)
    assert info.value.message == message


def test_trust_policy_accepted_and_2008_allowed() -> None:
    for version in ("2012-10-17", "2008-10-17"):
        policy = parse_policy(text({"Version": version, "Statement": TRUST}), PolicyKind.TRUST)
        assert policy.statements[0].principal is not None
    service = dict(TRUST, Principal={"Service": ["ec2.amazonaws.com", "s3.amazonaws.com"]})
    parse_policy(text({"Version": V, "Statement": service}), PolicyKind.TRUST)


def test_trust_principal_that_does_not_exist() -> None:
    known = {"arn:aws:iam::123456789012:user/alice"}
    document = text(
        {
            "Version": V,
            "Statement": dict(TRUST, Principal={"AWS": "arn:aws:iam::123456789012:user/nobody"}),
        }
    )
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(document, PolicyKind.TRUST, principal_exists=lambda kind, v: v in known)
    assert (
        info.value.message
        == 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/nobody"'
    )


BUCKET = "doc-bucket"
GET = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}


def bucket_policy(**changes: Any) -> dict[str, Any]:
    statement = dict(GET)
    for key, value in changes.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    return {"Version": V, "Statement": [statement]}


SCOPES = {
    "s3:getobject": "object",
    "s3:putobject": "object",
    "s3:deleteobject": "object",
    "s3:listbucket": "bucket",
    "s3:getbucketpolicy": "bucket",
}

# fmt: off
S3_INVALID: list[tuple[str, Any, str]] = [
    ("first-byte", "not json", "Policies must be valid JSON and the first byte must be '{'"),
    ("first-byte-array", "[]", "Policies must be valid JSON and the first byte must be '{'"),
    ("first-byte-empty", "", "Policies must be valid JSON and the first byte must be '{'"),
    ("first-byte-cli-wrapper-mistake", ' {"Version": "2012-10-17"}', "Policies must be valid JSON and the first byte must be '{'"),
    ("invalid-json", '{"Version": "2012-10-17",', "This policy contains invalid Json"),
    ("invalid-json-trailing-comma", '{"Version": "2012-10-17", "Statement": [],}', "This policy contains invalid Json"),
    ("unknown-top-field", {"Version": V, "Statement": [GET], "Foo": 1}, "Unknown field Foo"),
    ("unknown-statement-field", bucket_policy(Resources="x"), "Unknown field Resources"),
    ("unknown-version", {"Version": "2013-10-17", "Statement": [GET]}, "The policy must contain a valid version string"),
    ("version-number", {"Version": 2012, "Statement": [GET]}, "The policy must contain a valid version string"),
    ("id-object", {"Version": V, "Id": {}, "Statement": [GET]}, "Invalid policy syntax."),
    ("no-statement", {"Version": V}, "Missing required field Statement"),
    ("empty-statement", {"Version": V, "Statement": []}, "Could not parse the policy: Statement is empty!"),
    ("statement-string", {"Version": V, "Statement": "x"}, "Invalid policy syntax."),
    ("statement-item-string", {"Version": V, "Statement": ["x"]}, "Invalid policy syntax."),
    ("no-effect", bucket_policy(Effect=None), "Missing required field Effect"),
    ("bad-effect", bucket_policy(Effect="hello"), "Invalid effect: hello"),
    ("no-principal", bucket_policy(Principal=None), "Missing required field Principal"),
    ("principal-and-notprincipal", bucket_policy(NotPrincipal={"AWS": "123456789012"}), "Invalid policy syntax."),
    ("principal-bare-string", bucket_policy(Principal="user"), "Invalid policy syntax."),
    ("principal-list", bucket_policy(Principal=["*"]), "Invalid policy syntax."),
    ("principal-empty-string", bucket_policy(Principal=""), "Missing required field Principal cannot be empty!"),
    ("principal-empty-object", bucket_policy(Principal={}), "Missing required field Principal cannot be empty!"),
    ("principal-not-an-arn", bucket_policy(Principal={"AWS": "user"}), "Invalid principal in policy"),
    ("principal-wildcard-arn", bucket_policy(Principal={"AWS": "arn:aws:iam::123456789012:user/*"}), "Invalid principal in policy"),
    ("principal-wildcard-session", bucket_policy(Principal={"AWS": "arn:aws:sts::123456789012:assumed-role/r/*"}), "Invalid principal in policy"),
    ("principal-short-account", bucket_policy(Principal={"AWS": "12345678901"}), "Invalid principal in policy"),
    ("principal-unknown-type", bucket_policy(Principal={"Group": "admins"}), "Invalid principal in policy"),
    ("principal-empty-list", bucket_policy(Principal={"AWS": []}), "Invalid principal in policy"),
    ("principal-number", bucket_policy(Principal={"AWS": 123456789012}), "Invalid policy syntax."),
    ("principal-bad-canonical", bucket_policy(Principal={"CanonicalUser": "xyz"}), "Invalid principal in policy"),
    ("no-action", bucket_policy(Action=None), "Missing required field Action"),
    ("action-and-notaction", bucket_policy(NotAction="s3:PutObject"), "Invalid policy syntax."),
    ("action-object", bucket_policy(Action={"a": 1}), "Invalid policy syntax."),
    ("action-empty-list", bucket_policy(Action=[]), "Missing required field Action cannot be empty!"),
    ("action-invalid", bucket_policy(Action="invalid_action"), "Policy has invalid action"),
    ("action-other-service", bucket_policy(Action="iam:CreateUser"), "Policy has invalid action"),
    ("no-resource", bucket_policy(Resource=None), "Missing required field Resource"),
    ("resource-invalid", bucket_policy(Resource="<invalid_resource_value>"), "Policy has invalid resource"),
    ("resource-other-bucket", bucket_policy(Resource="arn:aws:s3:::other-bucket/*"), "Policy has invalid resource"),
    ("resource-other-service", bucket_policy(Resource="arn:aws:sqs:us-east-1:123456789012:q"), "Policy has invalid resource"),
    ("resource-no-bucket", bucket_policy(Resource="arn:aws:s3:::"), "Policy has invalid resource"),
    ("unknown-operator", bucket_policy(Condition={"StringEqualsX": {"aws:SourceIp": "x"}}), "Invalid Condition type : StringEqualsX"),
    ("unknown-operator-empty", bucket_policy(Condition={"Foo": {}}), "Invalid Condition type : Foo"),
    ("bad-ip", bucket_policy(Condition={"IpAddress": {"aws:SourceIp": "999.1.1.1/8"}}), "Invalid IP address in Conditions"),
    ("condition-list", bucket_policy(Condition=[]), "Invalid policy syntax."),
    ("condition-block-string", bucket_policy(Condition={"StringEquals": "x"}), "Invalid policy syntax."),
    ("bad-date", bucket_policy(Condition={"DateLessThan": {"aws:CurrentTime": "tomorrow"}}), "Invalid policy syntax."),
    ("sid-number", bucket_policy(Sid=1), "Invalid policy syntax."),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "document", "message"), S3_INVALID, ids=[c[0] for c in S3_INVALID]
)
def test_bucket_policy_refused(case_id: str, document: Any, message: str) -> None:
    with pytest.raises(MalformedPolicy) as info:
        parse_policy(text(document), PolicyKind.BUCKET, bucket=BUCKET)
    assert info.value.message == message
    assert info.value.code == "MalformedPolicy"
    assert info.value.status == 400


# fmt: off
S3_SCOPED_INVALID: list[tuple[str, Any, str]] = [
    ("unknown-s3-action", bucket_policy(Action="s3:GetObjekt"), "Policy has invalid action"),
    ("wildcard-matching-nothing", bucket_policy(Action="s3:Frobnicate*"), "Policy has invalid action"),
    ("object-action-on-bucket", bucket_policy(Action="s3:PutObject", Resource=f"arn:aws:s3:::{BUCKET}"), "Action does not apply to any resource(s) in statement"),
    ("bucket-action-on-objects", bucket_policy(Action="s3:ListBucket"), "Action does not apply to any resource(s) in statement"),
    ("one-action-misfits", bucket_policy(Action=["s3:GetObject", "s3:ListBucket"]), "Action does not apply to any resource(s) in statement"),
]
# fmt: on


@pytest.mark.parametrize(
    ("case_id", "document", "message"), S3_SCOPED_INVALID, ids=[c[0] for c in S3_SCOPED_INVALID]
)
def test_bucket_policy_refused_with_action_table(case_id: str, document: Any, message: str) -> None:
    with pytest.raises(MalformedPolicy) as info:
        parse_policy(text(document), PolicyKind.BUCKET, bucket=BUCKET, action_scopes=SCOPES)
    assert info.value.message == message


# fmt: off
S3_VALID: list[tuple[str, Any]] = [
    ("public-read", bucket_policy()),
    ("version-2008", {"Version": "2008-10-17", "Statement": [GET]}),
    ("no-version", {"Statement": [GET]}),
    ("statement-object", {"Version": V, "Statement": GET}),
    ("with-id-and-sid", {"Version": V, "Id": "Policy1", "Statement": [dict(GET, Sid="AddPerm")]}),
    ("aws-star", bucket_policy(Principal={"AWS": "*"})),
    ("mixed-principals", bucket_policy(Principal={"AWS": ["arn:aws:iam::123456789012:root", "999999999999"], "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})),
    ("role-and-session", bucket_policy(Principal={"AWS": ["arn:aws:iam::123456789012:role/path/r", "arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:sts::123456789012:federated-user/f"]})),
    ("service", bucket_policy(Principal={"Service": "logging.s3.amazonaws.com"})),
    ("federated", bucket_policy(Principal={"Federated": "graph.facebook.com"})),
    ("cloudfront-oai", bucket_policy(Principal={"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"})),
    ("notprincipal-deny", bucket_policy(Effect="Deny", Principal=None, NotPrincipal={"AWS": "arn:aws:iam::123456789012:user/admin"})),
    ("bucket-and-objects", bucket_policy(Action="s3:*", Resource=[f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"])),
    ("resource-star", bucket_policy(Resource="*")),
    ("bucket-wildcard", bucket_policy(Resource="arn:aws:s3:::doc-*/*")),
    ("action-star", bucket_policy(Action="*")),
    ("action-case", bucket_policy(Action="S3:GETOBJECT")),
    ("notaction-notresource", bucket_policy(Action=None, NotAction="s3:DeleteObject", Resource=None, NotResource=f"arn:aws:s3:::{BUCKET}/private/*")),
    ("conditions", bucket_policy(Condition={"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8::/32"]}, "Bool": {"aws:SecureTransport": True}, "StringLike": {"s3:prefix": "home/${aws:username}/*"}})),
    ("delegation-seed", {"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"], "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "123456789012"}}}]}),
]
# fmt: on


@pytest.mark.parametrize(("case_id", "document"), S3_VALID, ids=[c[0] for c in S3_VALID])
def test_bucket_policy_accepted(case_id: str, document: Any) -> None:
    policy = parse_policy(
        text(document),
        PolicyKind.BUCKET,
        bucket=BUCKET,
        action_scopes=SCOPES if case_id == "public-read" else None,
    )
    assert policy.statements and policy.kind is PolicyKind.BUCKET


def test_bucket_policy_principal_that_does_not_exist() -> None:
    document = text(bucket_policy(Principal={"AWS": "arn:aws:iam::123456789012:user/ghost"}))
    with pytest.raises(MalformedPolicy) as info:
        parse_policy(
            document, PolicyKind.BUCKET, bucket=BUCKET, principal_exists=lambda kind, value: False
        )
    assert info.value.message == "Invalid principal in policy"
    # "*" never needs to exist.
    parse_policy(
        text(bucket_policy()),
        PolicyKind.BUCKET,
        bucket=BUCKET,
        principal_exists=lambda kind, value: False,
    )


def test_bytes_input() -> None:
    parse_policy(text(bucket_policy()).encode(), PolicyKind.BUCKET, bucket=BUCKET)
    with pytest.raises(MalformedPolicy, match="This policy contains invalid Json"):
        parse_policy(b"{\xff}", PolicyKind.BUCKET)
    with pytest.raises(MalformedPolicyDocument, match=r"Syntax errors in policy\."):
        parse_policy(b"{\xff}", PolicyKind.IDENTITY)


def test_access_point_policy_resources() -> None:
    ap = "arn:aws:s3:us-west-2:123456789012:accesspoint/ap1"
    mrap = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"
    document = {
        "Version": V,
        "Statement": [dict(GET, Resource=[ap, ap + "/object/*", mrap, mrap + "/object/*"])],
    }
    parse_policy(text(document), PolicyKind.ACCESS_POINT)
    with pytest.raises(MalformedPolicy, match="Policy has invalid resource"):
        parse_policy(
            text(dict(document, Statement=[dict(GET, Resource="arn:aws:s3:::b/*")])),
            PolicyKind.ACCESS_POINT,
        )


def test_error_types() -> None:
    assert issubclass(MalformedPolicy, PolicyError)
    assert issubclass(MalformedPolicyDocument, PolicyError)
    err = MalformedPolicy("Invalid policy syntax.")
    assert (err.code, err.status, str(err)) == ("MalformedPolicy", 400, "Invalid policy syntax.")


def test_size_limits_and_counting() -> None:
    assert BUCKET_POLICY_MAX_BYTES == 20 * 1024
    assert MANAGED_POLICY_MAX_CHARS == 6144
    assert INLINE_USER_POLICY_MAX_CHARS == 2048
    assert non_whitespace_length('{ "a" :\n\t"b c" }') == 10
    # An oversized document is still a valid document: refusing it is the caller's job.
    big = {"Version": V, "Statement": [dict(GET, Sid=f"S{i}") for i in range(400)]}
    assert len(text(big)) > BUCKET_POLICY_MAX_BYTES
    parse_policy(text(big), PolicyKind.BUCKET, bucket=BUCKET)


def test_cached_policy_parses_once() -> None:
    source = text(bucket_policy())
    assert cached_policy(source, PolicyKind.BUCKET) is cached_policy(source, PolicyKind.BUCKET)


def test_parsed_document_is_immutable() -> None:
    policy = parse_policy(text(bucket_policy()), PolicyKind.BUCKET)
    with pytest.raises(AttributeError):
        policy.version = "2008-10-17"  # type: ignore[misc]  # the very assignment under test
    assert policy.version == V and policy.text == text(bucket_policy())
