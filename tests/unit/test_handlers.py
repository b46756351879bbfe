"""Each handler as Lambda calls it: raw event in, JSON-safe result out, secrets never in the result."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from turnstile.domain import audit
from turnstile.errors import InvalidHireEvent
from turnstile.handlers import (
    add_to_groups,
    claim_hire,
    create_login_profile,
    create_user,
    ensure_password_policy,
    handle_failure,
    issue_access_key,
    notify_onboarded,
    record_rejection,
    validate_hire,
)

from tests.factories import hire_detail, hire_event
from tests.unit.conftest import Account

CONTEXT = SimpleNamespace(
    function_name="test",
    memory_limit_in_mb=256,
    aws_request_id="req-1",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
    get_remaining_time_in_millis=lambda: 30_000,
)


def call(module: Any, event: dict[str, Any]) -> dict[str, Any]:
    result = module.handler(event, CONTEXT)
    json.dumps(result)  # what Lambda returns must serialise
    return dict(result)


def inbox(account: Account) -> str:
    sqs = account.client("sqs")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    account.client("sns").subscribe(TopicArn=account.env.topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def messages(account: Account, url: str) -> list[dict[str, Any]]:
    raw = account.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in raw]


def test_full_chain_of_handlers_makes_a_user_and_returns_no_secret(account: Account) -> None:
    url = inbox(account)
    hire = call(validate_hire, hire_event(hire_detail(access={"console": True, "programmatic": True})))
    step = {"hire": hire, "execution_id": "exec-1"}
    assert call(claim_hire, step) == {"duplicate": False, "claimed_by": "exec-1"}
    assert call(ensure_password_policy, {})["changed"]
    results = {
        "user": call(create_user, step),
        "groups": call(add_to_groups, step),
        "login_profile": call(create_login_profile, step),
        "access_key": call(issue_access_key, step),
    }
    call(notify_onboarded, {**step, "results": results})

    password = account.read_secret("turnstile/users/jane.smith/console-password")["password"]
    secret_key = account.read_secret("turnstile/users/jane.smith/access-key")["secret_access_key"]
    [notification] = messages(account, url)
    assert notification["access_key_secret_arn"] == results["access_key"]["secret_arn"]
    everything = json.dumps([hire, results, notification])
    assert password not in everything and secret_key not in everything
    entries = audit.entries(account.client("dynamodb"), account.env.table_name, "USER#jane.smith")
    assert [e["action"] for e in entries] == ["Onboarded"]
    assert entries[0]["details"]["console_password_secret_arn"] == results["login_profile"]["secret_arn"]


def test_notification_names_secret_arns_and_instructions(account: Account) -> None:
    url = inbox(account)
    hire = call(validate_hire, hire_event())
    step = {"hire": hire, "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    login = call(create_login_profile, step)
    call(notify_onboarded, {**step, "results": {"login_profile": login}})
    [message] = messages(account, url)
    assert message["event"] == "UserOnboarded"
    assert message["console_password_secret_arn"] == login["secret_arn"]
    assert message["access_key_secret_arn"] is None and "Secrets Manager" in message["instructions"]


def test_invalid_event_raises_the_typed_error_step_functions_catches(account: Account) -> None:
    with pytest.raises(InvalidHireEvent):
        call(validate_hire, hire_event(hire_detail(department="Marketing")))


def test_rejection_is_recorded_and_alerted(account: Account) -> None:
    url = inbox(account)
    event = hire_event(hire_detail(department="Marketing"))
    error = {
        "Error": "InvalidHireEvent",
        "Cause": json.dumps(
            {"errorMessage": "department: 'Marketing' is not configured", "errorType": "InvalidHireEvent"}
        ),
    }
    call(record_rejection, {"event": event, "error": error, "execution_id": "exec-9"})
    [entry] = audit.entries(account.client("dynamodb"), account.env.table_name, "REJECTED")
    assert entry["details"]["reason"] == "department: 'Marketing' is not configured"
    assert entry["details"]["event_id"] == event["id"] and entry["details"]["employee_id"] == "E1001"
    [alert] = messages(account, url)
    assert alert["event"] == "HireRejected" and "Marketing" in alert["reason"]


def test_failure_handler_rolls_back_releases_the_claim_and_alerts(account: Account) -> None:
    url = inbox(account)
    hire = call(validate_hire, hire_event())
    step = {"hire": hire, "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    error = {"Error": "AccessDenied", "Cause": json.dumps({"errorMessage": "boom", "errorType": "ClientError"})}
    body = call(handle_failure, {**step, "error": error, "event": hire_event()})
    assert body["rolled_back"] == ["user jane.smith"] and body["claim_released"]
    assert account.client("iam").list_users()["Users"] == []
    [alert] = messages(account, url)
    assert alert["event"] == "OnboardingFailed" and alert["reason"] == "boom"
