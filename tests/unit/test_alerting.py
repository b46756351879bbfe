"""The alert pipeline's parts against the local cloud: Security Hub import (ASFF, as Security Hub checks it),
sending once when a send fails half-way, administrator-level policy documents in every legal form, and what a
finding may show. (The detections themselves are tested through the deployed rules: tests/workflows.)"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import alerts, policy_documents
from turnstile.domain.detections import BY_ID, DETECTIONS, Verdict
from turnstile.models.cloudtrail import CloudTrailEvent
from turnstile.models.findings import shown

from tests.queues import inbox as subscribe
from tests.unit.conftest import Account
from tests.workflows.scenarios import snapshot


def event(**detail: Any) -> CloudTrailEvent:
    record = {
        "eventVersion": "1.08",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "eventTime": "2026-11-28T09:00:00Z",
        "eventID": str(uuid.uuid4()),
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alex", "userName": "alex"},
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.17.0",
        "requestParameters": {"userName": "shadow"},
        **detail,
    }
    return CloudTrailEvent.model_validate(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "account": "123456789012",
            "time": "2026-11-28T09:00:01Z",
            "region": "us-east-1",
            "resources": [],
            "detail": record,
        }
    )


def clients(account: Account) -> alerts.Clients:
    c = account.client
    return alerts.Clients(iam=c("iam"), dynamodb=c("dynamodb"), sns=c("sns"), securityhub=c("securityhub"))


def destination(account: Account, security_hub: bool = True) -> alerts.Destination:
    return alerts.Destination(account.env.table_name, account.env.topic_arn, "us-east-1", security_hub=security_hub)


def finding_for(account: Account) -> Any:
    detection = BY_ID["user-created-outside-turnstile"]
    return alerts.describe(event(), detection, Verdict("an IAM user was created outside Turnstile"))


def test_a_finding_is_imported_into_security_hub_as_asff(account: Account) -> None:
    hub = account.client("securityhub")
    hub.enable_security_hub()
    finding = finding_for(account)
    assert alerts.send_once(finding, clients(account), destination(account))
    [imported] = hub.get_findings()["Findings"]
    assert (
        imported["Id"] == f"turnstile/{finding.id}"
        and imported["GeneratorId"] == "turnstile/user-created-outside-turnstile"
    )
    assert imported["ProductArn"] == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    assert imported["Severity"] == {"Label": "MEDIUM"} and imported["CreatedAt"] == imported["UpdatedAt"]
    assert imported["Types"] == ["Unusual Behaviors/User"] and len(imported["Description"]) <= 1024
    # sent once: the same finding again imports and publishes nothing more
    assert not alerts.send_once(finding, clients(account), destination(account))
    assert len(hub.get_findings()["Findings"]) == 1


def test_security_hub_refusing_never_holds_the_alert_back_and_the_retry_only_imports(account: Account) -> None:
    finding = finding_for(account)
    inbox = subscribe(account.client("sqs"), account.client("sns"), account.env.topic_arn)
    with pytest.raises(ClientError, match="InvalidAccessException"):  # Security Hub not enabled in the account
        alerts.send_once(finding, clients(account), destination(account))
    assert len(messages(account, inbox)) == 1  # the alert went out first
    hub = account.client("securityhub")
    hub.enable_security_hub()
    assert not alerts.send_once(finding, clients(account), destination(account))  # Lambda's retry: imports only
    assert len(hub.get_findings()["Findings"]) == 1 and len(messages(account, inbox)) == 1
    assert not alerts.send_once(finding, clients(account), destination(account))  # and then nothing at all
    assert len(hub.get_findings()["Findings"]) == 1 and len(messages(account, inbox)) == 1


def messages(account: Account, url: str) -> list[str]:
    return snapshot(account.cloud, url)


def test_a_publish_that_fails_gives_the_claim_back_and_the_retry_publishes_once(account: Account) -> None:
    finding = finding_for(account)
    cloud = account.cloud
    with cloud.faults.injected("sns", "Publish", "InternalError", times=10), pytest.raises(ClientError):
        alerts.send_once(finding, clients(account), destination(account, security_hub=False))
    assert alerts.send_once(finding, clients(account), destination(account, security_hub=False))
    assert not alerts.send_once(finding, clients(account), destination(account, security_hub=False))


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
        {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["arn:aws:s3:::b", "*"]}]},
        {"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret-bucket/*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:*"}]},
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        quote(json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})),
        '{"Statement": [{"Effect": "Allow", "Action": "\\u002a", "Resource": "\\u002a"}]}',
    ],
    ids=["object", "lists", "star-colon-star", "not-resource", "any-arn", "json-text", "url-encoded", "unicode-escape"],
)
def test_allow_all_in_every_form_is_administrator_level(document: Any) -> None:
    assert policy_documents.administrator_statements(document)


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*:Get*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]},  # PowerUserAccess-like
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "*"}]},
    ],
    ids=["deny", "one-service", "one-resource", "all-gets", "not-action", "not-resource-all"],
)
def test_narrower_grants_are_not(document: Any) -> None:
    assert policy_documents.administrator_statements(document) == []


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "x" * 200_000, '{"Version": "2012-10-17"}', 42])
def test_an_unreadable_document_says_so_instead_of_passing_as_safe(raw: Any) -> None:
    with pytest.raises(policy_documents.UnreadablePolicy):
        policy_documents.administrator_statements(raw)


def test_a_conditional_grant_is_still_reported_and_says_so() -> None:
    statement = {"Sid": "Admins", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"x": "y"}}}
    assert policy_documents.administrator_statements({"Statement": [statement]}) == ["Admins (with a Condition)"]


def test_a_finding_shows_only_short_plain_text() -> None:
    assert shown("jane.smith") == "jane.smith"
    assert shown("x" * 300) == "(not shown: str, 302 characters)"
    assert shown("evil\u202enotepad") == "(not shown: str, 19 characters)"
    assert shown("line\nbreak") is not None and "\n" not in str(shown("line\nbreak"))
    assert shown({"a": 1}) == "(not shown: dict, 8 characters)"


def test_every_detection_is_declared_completely() -> None:
    ids = [d.id for d in (*DETECTIONS, BY_ID["password-policy-changed"])]
    assert len(ids) == len(set(ids)) == 17
    for detection in DETECTIONS:
        assert detection.rationale.endswith(".") and len(detection.rationale) <= 200, detection.id
        assert detection.finding_type.split("/")[0] in (
            "TTPs",
            "Unusual Behaviors",
            "Software and Configuration Checks",
            "Effects",
        )
        assert detection.match.pattern()["detail-type"], detection.id


def test_root_with_an_empty_invoked_by_is_still_a_person_using_root() -> None:
    from turnstile.domain.detections import Context, judge

    context = Context(own_calls={}, policy_document=lambda arn, version: None)
    root = {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "invokedBy": ""}
    assert [h.detection.id for h in judge(event(userIdentity=root), context)][:1] == ["root-activity"]
    by_service = {**root, "invokedBy": "cloudformation.amazonaws.com"}
    assert "root-activity" not in [h.detection.id for h in judge(event(userIdentity=by_service), context)]
