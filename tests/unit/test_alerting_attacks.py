"""Attacks on alerting's pieces, fast: policy documents in every legal (and illegal) form, CloudTrail selectors,
the claim and its lease, burst windows with events out of order, and the alert path when a sink fails."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from turnstile.config import Alerting
from turnstile.dal import alert_state
from turnstile.domain import alerts, audit, policy_documents
from turnstile.domain.detections import _drops_management_events

from localcloud import LocalCloud

ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
TABLE = "turnstile"


def statements(document: Any) -> list[str]:
    return policy_documents.administrator_statements(document)


# --- policy documents ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": ADMIN},
        {"Statement": [ADMIN]},
        json.dumps({"Statement": [{**ADMIN, "Action": ["s3:GetObject", "*"]}]}),
        {"Statement": [{**ADMIN, "Action": "*:*"}]},
        {"Statement": [{**ADMIN, "Action": "*:?*"}]},
        {"Statement": [{**ADMIN, "Action": "?*"}]},
        {"Statement": [{**ADMIN, "Action": "**"}]},
        {"Statement": [{**ADMIN, "Resource": ["arn:aws:s3:::b", "*"]}]},
        {"Statement": [{**ADMIN, "Resource": "arn:*:*:*:*:*"}]},
        {"Statement": [{**ADMIN, "Resource": "arn:aws:*:*:*:*"}]},
        {"Statement": [{**ADMIN, "Resource": "arn:aws-us-gov:*:*:*:*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}]},
        {"Statement": [{**ADMIN, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]},
        '{"Statement":[{"Effect":"Allow","\\u0041ction":"\\u002a","Resource":"\\u002a"}]}',
        "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D",
        "  " + json.dumps({"Statement": [ADMIN]}),
    ],
)
def test_administrator_level_in_every_legal_form(document: Any) -> None:
    assert statements(document)


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": [{**ADMIN, "Effect": "Deny"}]},
        {"Statement": [{**ADMIN, "Action": "iam:*"}]},
        {"Statement": [{**ADMIN, "Action": "*:Get*"}]},
        {"Statement": [{**ADMIN, "Resource": "arn:aws:s3:::*"}]},
        {"Statement": [{**ADMIN, "Resource": "arn:aws:*:*:*:*/*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:*:*:*:*"}]},
    ],
)
def test_narrower_grants_are_not_administrator_level(document: Any) -> None:
    assert statements(document) == []


@pytest.mark.parametrize(
    "document",
    [
        '{"Statement": [',
        "[1, 2]",
        {"Version": "2012-10-17"},
        {"Statement": "*"},
        "{" + " " * 200_000 + "}",
        '{"Statement":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
        '{"Statement":' + "[" * 5000 + "]" * 5000 + "}",
        12,
        None,
    ],
    ids=["truncated", "list", "no-statement", "statement-string", "huge", "deep-object", "deep-list", "int", "none"],
)
def test_what_cannot_be_read_is_unreadable_never_a_crash(document: Any) -> None:
    with pytest.raises(policy_documents.UnreadablePolicy):
        statements(document)


# --- CloudTrail selectors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [
        {"eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True}]},
        {"eventSelectors": [{"readWriteType": "WriteOnly"}, {"readWriteType": "ReadOnly"}]},
        {"eventSelectors": [{"includeManagementEvents": False}, {}]},
        {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]},
        {
            "advancedEventSelectors": [
                {
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Management"]},
                        {"field": "eventSource", "notEquals": ["kms.amazonaws.com"]},
                    ]
                }
            ]
        },
        {"trailName": "t"},
    ],
)
def test_selectors_that_keep_every_management_event_are_quiet(parameters: dict[str, Any]) -> None:
    assert _drops_management_events(parameters) is None


@pytest.mark.parametrize(
    "parameters",
    [
        {"eventSelectors": [{"readWriteType": "ReadOnly"}]},
        {"eventSelectors": [{"readWriteType": "WriteOnly"}]},
        {"eventSelectors": [{"includeManagementEvents": False, "readWriteType": "All"}]},
        {"eventSelectors": [{"includeManagementEvents": "false"}]},
        {"eventSelectors": ["x", None, 5, {"readWriteType": ["All"]}]},
        {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}]},
        {
            "advancedEventSelectors": [
                {
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Management"]},
                        {"field": "readOnly", "equals": ["true"]},
                    ]
                }
            ]
        },
        {"advancedEventSelectors": ["x", {"fieldSelectors": 5}, {"fieldSelectors": [{"field": ["eventCategory"]}]}]},
        {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": 5}]}]},
    ],
)
def test_selectors_that_drop_management_events_or_cannot_be_read_alert(parameters: dict[str, Any]) -> None:
    assert _drops_management_events(parameters)


# --- the alert state ---------------------------------------------------------------------------------------------


@pytest.fixture
def dynamodb(cloud: LocalCloud) -> Iterator[Any]:
    client = cloud.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    yield client


T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=15)


def count(dynamodb: Any, minutes: float, member: str | None = None, *, key: str = "k", enough: int = 5) -> int:
    return alert_state.count_in_window(
        dynamodb,
        TABLE,
        detection_id="d",
        key=key,
        member=member or str(uuid.uuid4()),
        at=T0 + dt.timedelta(minutes=minutes),
        window=WINDOW,
        enough=enough,
    )


def test_events_spread_over_an_hour_are_no_burst_whatever_order_they_arrive_in(dynamodb: Any) -> None:
    assert [count(dynamodb, m) for m in (0, 20, 40, 60, -1, 19, 39)] == [1, 1, 1, 1, 2, 2, 2]


def test_a_burst_completed_by_a_late_event_is_counted(dynamodb: Any) -> None:
    assert [count(dynamodb, m) for m in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert count(dynamodb, 0) == 5  # arrived last, earliest of the five


def test_a_window_holds_the_threshold_only_when_its_events_fit_in_it(dynamodb: Any) -> None:
    assert [count(dynamodb, m) for m in (0, 4, 8, 12, 16)] == [1, 2, 3, 4, 4]
    assert count(dynamodb, 17) == 5


def test_the_same_member_twice_counts_once(dynamodb: Any) -> None:
    assert [count(dynamodb, 0, "same"), count(dynamodb, 0, "same"), count(dynamodb, 1, "same")] == [1, 1, 1]


def test_a_huge_burst_is_read_no_further_than_it_needs(dynamodb: Any) -> None:
    for m in range(30):
        count(dynamodb, m / 10)
    assert count(dynamodb, 3, enough=5) == 5


def claimed(dynamodb: Any, claim_id: str, **options: Any) -> str | None:
    """The owner token of a new claim (None: the alert is out already)."""
    return alert_state.claim(dynamodb, TABLE, claim_id, deadline=time.time() + 60, **options).owner


def test_a_claim_is_owned_once_and_free_again_after_release(dynamodb: Any) -> None:
    owner = claimed(dynamodb, "event#a")
    assert owner
    alert_state.release(dynamodb, TABLE, "event#a", owner)
    owner = claimed(dynamodb, "event#a")
    assert owner
    alert_state.sent(dynamodb, TABLE, "event#a", owner)
    assert claimed(dynamodb, "event#a") is None


def test_only_the_owner_releases_or_marks_its_claim(dynamodb: Any) -> None:
    owner = claimed(dynamodb, "event#b")
    assert owner
    alert_state.release(dynamodb, TABLE, "event#b", "someone-else")
    alert_state.sent(dynamodb, TABLE, "event#b", "someone-else")
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "ALERT#event#b"}, "sk": {"S": "CLAIM"}})["Item"]
    assert item["status"]["S"] == "sending" and item["owner"]["S"] == owner


def test_a_burst_claim_is_one_per_window(dynamodb: Any) -> None:
    end = T0 + WINDOW

    def burst(at: dt.datetime, until: dt.datetime) -> str | None:
        return claimed(dynamodb, "burst#x", window_until=until, event_time=at)

    owner = burst(T0, end)
    assert owner
    alert_state.sent(dynamodb, TABLE, "burst#x", owner)
    assert not burst(T0 + dt.timedelta(minutes=14), end + dt.timedelta(minutes=14))
    assert burst(end + dt.timedelta(seconds=1), end + WINDOW)


# --- the alert path ------------------------------------------------------------------------------------------------


class Recorder:
    """Stands in for SNS and Security Hub: records what was sent, fails when told."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def publish(self, **request: Any) -> dict[str, Any]:
        if self.fail:
            raise self.fail
        self.calls.append(request)
        return {"MessageId": str(len(self.calls))}

    def batch_import_findings(self, **request: Any) -> dict[str, Any]:
        if self.fail:
            raise self.fail
        self.calls.append(request)
        return {"FailedCount": 0, "SuccessCount": 1}


def call_event(name: str = "CreateLoginProfile", parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": "123456789012",
        "time": "2026-03-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "arn": "arn:aws:iam::123456789012:user/mallory",
                "accountId": "123456789012",
                "userName": "mallory",
            },
            "eventTime": "2026-03-01T12:00:00Z",
            "eventSource": "iam.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.9",
            "requestParameters": parameters if parameters is not None else {"userName": "victim"},
            "eventID": str(uuid.uuid4()),
        },
    }


def judge(
    cloud: LocalCloud, dynamodb: Any, raw: Any, *, sns: Any, securityhub: Any = None, hub: bool = False
) -> dict[str, Any]:
    clients = alerts.Clients(iam=cloud.client("iam"), dynamodb=dynamodb, sns=sns, securityhub=securityhub)
    destination = alerts.Destination(TABLE, "arn:aws:sns:us-east-1:123456789012:t", "us-east-1", security_hub=hub)
    return alerts.on_event(raw, clients, destination, Alerting(security_hub=hub), [])


@pytest.mark.parametrize("raw", ["text", 7, None, [1], {"id": {"x": ["y"] * 10_000}}])
def test_an_event_of_no_shape_at_all_is_recorded_not_a_crash(cloud: LocalCloud, dynamodb: Any, raw: Any) -> None:
    sns = Recorder()
    assert judge(cloud, dynamodb, raw, sns=sns) == {"outcome": "rejected"}
    [entry] = audit.entries(dynamodb, TABLE, alerts.REJECTED)
    assert len(json.dumps(entry, default=str)) < 4096
    assert not sns.calls


def test_a_security_hub_that_refuses_does_not_hold_back_the_alert(cloud: LocalCloud, dynamodb: Any) -> None:
    """Security Hub is an extra destination: the alert reaches the topic (once) even when Security Hub is off."""
    from botocore.exceptions import ClientError

    sns = Recorder()
    refused = ClientError({"Error": {"Code": "InvalidAccessException", "Message": "not subscribed"}}, "Import")
    hub = Recorder(fail=refused)
    event = call_event()
    for _ in range(3):  # the invocation and Lambda's two retries
        with contextlib.suppress(ClientError):
            judge(cloud, dynamodb, event, sns=sns, securityhub=hub, hub=True)
    assert len(sns.calls) == 1


def test_an_alert_marked_sent_in_vain_does_not_fail_the_invocation(cloud: LocalCloud, dynamodb: Any) -> None:
    """The alert is out: failing now would make Lambda's retry send it a second time."""
    sns = Recorder()
    with cloud.faults.injected("dynamodb", "UpdateItem", "InternalServerError"):  # every attempt, SDK retries too
        assert judge(cloud, dynamodb, call_event(), sns=sns)["outcome"] == "alerted"
    assert len(sns.calls) == 1


def test_a_sender_slower_than_any_lease_is_not_doubled_by_a_second_delivery(dynamodb: Any) -> None:
    """Invocation A claims the alert, then its publish takes long (SDK retries on a throttled topic: up to five
    attempts with a 20-second read timeout each). A duplicate delivery B must not take the alert over while A can
    still be running (until A's deadline): B gives up (Lambda retries it later); C, after A's deadline, takes over."""
    now = [1000.0]

    def tick(seconds: float) -> None:
        now[0] += seconds

    a = alert_state.claim(dynamodb, TABLE, "event#slow", deadline=1060.0, clock=lambda: now[0], sleep=tick)
    assert a.owner
    now[0] = 1020.0
    with pytest.raises(alert_state.AlertInProgress):
        alert_state.claim(dynamodb, TABLE, "event#slow", deadline=1050.0, clock=lambda: now[0], sleep=tick)
    assert now[0] < 1060.0  # B gave up before its own deadline, never taking over from A
    now[0] = 1030.0
    c = alert_state.claim(dynamodb, TABLE, "event#slow", deadline=1090.0, clock=lambda: now[0], sleep=tick)
    assert c.owner and c.owner != a.owner and now[0] >= 1060.0  # waited out A's deadline, then took over
    alert_state.sent(dynamodb, TABLE, "event#slow", a.owner)  # A, finishing late, cannot mark C's claim
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "ALERT#event#slow"}, "sk": {"S": "CLAIM"}})["Item"]
    assert item["owner"]["S"] == c.owner and item["status"]["S"] == "sending"
