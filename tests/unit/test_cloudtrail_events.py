"""CloudTrail events: strict and bounded where Turnstile reads them; a malformed one is recorded, never half-handled."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError
from turnstile.domain import audit
from turnstile.domain.iam_events import parse
from turnstile.errors import field_problems
from turnstile.models.cloudtrail import MAX_PARAMETER_DEPTH, IamApiCallEvent

from tests.unit.conftest import Account

# The shape of a real record (CloudTrail User Guide, "CloudTrail record contents"), as EventBridge delivers it.
ENABLE_MFA: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.iam",
    "account": "123456789012",
    "time": "2026-11-28T09:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::123456789012:user/turnstile/jane.smith",
            "accountId": "123456789012",
            "accessKeyId": "ASIAEXAMPLE",
            "userName": "jane.smith",
            "sessionContext": {
                "sessionIssuer": {},
                "attributes": {"creationDate": "2026-11-28T08:59:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2026-11-28T09:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "EnableMFADevice",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "AWS Internal",
        "requestParameters": {"userName": "jane.smith", "serialNumber": "arn:aws:iam::123456789012:mfa/jane"},
        "responseElements": None,
        "requestID": "0b1c2d3e-aaaa-bbbb-cccc-000000000000",
        "eventID": "4f5e6d7c-aaaa-bbbb-cccc-000000000000",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": "iam.amazonaws.com"},
    },
}


def event(**changes: Any) -> dict[str, Any]:
    """ENABLE_MFA with `detail.a.b=value` style changes (`...` deletes)."""
    raw = copy.deepcopy(ENABLE_MFA)
    for dotted, value in changes.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node[part]
        if value is ...:
            del node[leaf]
        else:
            node[leaf] = value
    return raw


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def test_a_real_record_parses_keeping_unknown_fields() -> None:
    parsed = IamApiCallEvent.model_validate(ENABLE_MFA)
    assert parsed.succeeded and parsed.detail.userIdentity.principal_arn.endswith(":user/turnstile/jane.smith")
    assert parsed.detail.model_extra and parsed.detail.model_extra["tlsDetails"]["tlsVersion"] == "TLSv1.3"


@pytest.mark.parametrize(
    "changes",
    [
        {"detail__errorCode": "NoSuchEntityException", "detail__errorMessage": "The user cannot be found."},
        {"detail__requestParameters": None},
        {"detail__requestParameters": nested(MAX_PARAMETER_DEPTH)},
        {"detail__userIdentity": {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"}},
        {"detail__userIdentity__type": "IdentityCenterUser"},  # a type Turnstile has never heard of
        {"detail__userIdentity__accessKeyId": ""},  # the root user's console calls
        {"detail__eventVersion": "1.11"},
        {"time": "2026-11-28T09:00:00.123456+00:00"},
    ],
)
def test_what_cloudtrail_sends_is_accepted(changes: dict[str, Any]) -> None:
    IamApiCallEvent.model_validate(event(**changes))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"detail__eventSource": "sts.amazonaws.com"}, "detail.eventSource: Input should be 'iam.amazonaws.com'"),
        ({"detail__eventVersion": "2.0"}, "detail.eventVersion: String should match pattern"),
        ({"detail__eventName": "EnableMFADevice; drop"}, "detail.eventName: String should match pattern"),
        ({"detail__eventTime": 1764320400}, "detail.eventTime: Value error, must be an ISO 8601"),
        ({"detail__eventTime": "yesterday"}, "detail.eventTime: Value error, must be an ISO 8601"),
        ({"detail__eventID": "a b"}, "detail.eventID: String should match pattern"),
        ({"detail__eventID": "a" * 129}, "detail.eventID: String should have at most 128 characters"),
        ({"detail__awsRegion": 1}, "detail.awsRegion: Input should be a valid string"),
        ({"detail__errorCode": "Access Denied <script>"}, "detail.errorCode: String should match pattern"),
        ({"detail__errorCode": 403}, "detail.errorCode: Input should be a valid string"),
        ({"detail__errorMessage": "m" * 8193}, "detail.errorMessage: String should have at most 8192 characters"),
        ({"detail__sourceIPAddress": "1" * 257}, "detail.sourceIPAddress: String should have at most 256"),
        ({"detail__userAgent": "u" * 8193}, "detail.userAgent: String should have at most 8192 characters"),
        ({"detail__requestParameters": ["userName"]}, "detail.requestParameters: Input should be a valid dictionary"),
        ({"detail__requestParameters": nested(MAX_PARAMETER_DEPTH + 1)}, "detail.requestParameters: Value error"),
        ({"detail__responseElements": nested(MAX_PARAMETER_DEPTH + 1)}, "detail.responseElements: Value error"),
        ({"detail__requestParameters__userName": 7}, "userName is not an IAM user name"),
        ({"detail__requestParameters__userName": "jane smith"}, "userName is not an IAM user name"),
        ({"detail__requestParameters__userName": "j" * 65}, "userName is not an IAM user name"),
        ({"detail__requestParameters__userName": {"$ne": 1}}, "userName is not an IAM user name"),
        ({"detail__userIdentity__type": "Assumed Role"}, "detail.userIdentity.type: String should match pattern"),
        ({"detail__userIdentity__type": None}, "detail.userIdentity.type: Input should be a valid string"),
        ({"detail__userIdentity__arn": "jane"}, "detail.userIdentity.arn: String should match pattern"),
        ({"detail__userIdentity__arn": "arn:aws:iam::1:user/" + "x" * 2048}, "detail.userIdentity.arn: String"),
        ({"detail__userIdentity__userName": "u" * 257}, "detail.userIdentity.userName: String should have at most"),
        (
            {"detail__userIdentity__sessionContext__attributes__mfaAuthenticated": False},
            "detail.userIdentity.sessionContext.attributes.mfaAuthenticated: Input should be a valid string",
        ),
        (
            {"detail__userIdentity__sessionContext__sessionIssuer__arn": "role/x"},
            "detail.userIdentity.sessionContext.sessionIssuer.arn: String should match pattern",
        ),
        ({"detail__userIdentity": ...}, "detail.userIdentity: Field required"),
        ({"source": "aws.sts"}, "source: Input should be 'aws.iam'"),
        ({"time": 1764320400}, "time: Value error, must be an ISO 8601"),
        ({"account": "1234"}, "account: String should match pattern"),
    ],
)
def test_malformed_records_are_rejected_naming_the_field(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IamApiCallEvent.model_validate(event(**changes))
    assert problem in "; ".join(field_problems(caught.value))


def test_a_rejected_record_is_audited_without_echoing_it(account: Account) -> None:
    raw = event(detail__eventName="x'; DROP TABLE users;--", detail__requestParameters__userName="../" * 100)
    assert parse(account.client("dynamodb"), account.env, raw) is None
    [entry] = audit.entries(account.client("dynamodb"), account.env.table_name, "REJECTED")
    reason = entry["details"]["reason"]
    assert "detail.eventName" in reason and "userName is not an IAM user name" in reason
    assert "DROP TABLE" not in reason and "../" not in reason
