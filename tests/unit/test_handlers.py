"""Each handler as Lambda calls it: raw event in, JSON-safe result out, secrets never in the result."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from types import SimpleNamespace
from typing import Any

import pytest
from turnstile import handlers
from turnstile.dal.table import ClaimStatus
from turnstile.domain import audit, claims
from turnstile.errors import InvalidEvent
from turnstile.handlers import (
    add_to_groups,
    claim_hire,
    create_login_profile,
    create_user,
    ensure_password_policy,
    issue_access_key,
    notify_onboarded,
    reconcile_onboarding,
    record_failure,
    record_rejection,
    roll_back_hire,
    validate_hire,
)

from tests import queues
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
    return queues.inbox(account.client("sqs"), account.client("sns"), account.env.topic_arn)


def messages(account: Account, url: str) -> list[dict[str, Any]]:
    raw = account.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in raw]


def validated(event: dict[str, Any]) -> dict[str, Any]:
    """ValidateHire's output: the state the workflow carries on with."""
    return call(validate_hire, event)


def test_full_chain_of_handlers_makes_a_user_and_returns_no_secret(account: Account) -> None:
    url = inbox(account)
    state = validated(hire_event(hire_detail(access={"console": False, "programmatic": True})))
    assert set(state) == {"hire", "results"}
    step = {"hire": state["hire"], "execution_id": "exec-1"}
    claim = call(claim_hire, step)
    assert claim["owned"] and claim["claimed_by"] == "exec-1" and not claim["data_changed"]
    assert call(ensure_password_policy, {})["changed"]
    results = {
        "user": call(create_user, step),
        "groups": call(add_to_groups, step),
        "access_key": call(issue_access_key, step),
    }
    call(notify_onboarded, {**step, "results": results})

    secret_key = account.read_secret("turnstile/users/jane.smith/access-key")["secret_access_key"]
    [notification] = messages(account, url)
    assert notification["access_key_secret_arn"] == results["access_key"]["secret_arn"]
    assert secret_key not in json.dumps([state, results, notification])
    entries = audit.entries(account.client("dynamodb"), account.env.table_name, "USER#jane.smith")
    assert [e["action"] for e in entries] == ["Onboarded"]
    assert entries[0]["details"]["effective_date"] == hire_detail()["effective_date"]


def test_console_user_gets_a_password_and_the_notification_names_only_its_arn(account: Account) -> None:
    url = inbox(account)
    state = validated(hire_event(hire_detail(access={"console": True, "programmatic": True})))
    step = {"hire": state["hire"], "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    login = call(create_login_profile, step)
    call(notify_onboarded, {**step, "results": {"login_profile": login}})
    password = account.read_secret("turnstile/users/jane.smith/console-password")["password"]
    [message] = messages(account, url)
    assert message["event"] == "UserOnboarded" and password not in json.dumps(message)
    assert message["console_password_secret_arn"] == login["secret_arn"]
    assert message["access_key_secret_arn"] is None and "creates their own access key" in message["instructions"]


def test_an_invalid_event_becomes_a_bounded_rejection_not_an_error(account: Account) -> None:
    event = hire_event(hire_detail(department="Marketing' OR 1=1 --"))
    state = validated(event)
    assert set(state) == {"rejection"}
    rejection = state["rejection"]
    assert rejection["event_id"] == event["id"] and rejection["employee_id"] == "E1001"
    assert "department" in rejection["reason"] and "OR 1=1" not in json.dumps(rejection)


def test_rejection_is_recorded_and_alerted(account: Account) -> None:
    url = inbox(account)
    rejection = validated(hire_event(hire_detail(department="Marketing")))["rejection"]
    call(record_rejection, {"rejection": rejection, "execution_id": "exec-9"})
    [entry] = audit.entries(account.client("dynamodb"), account.env.table_name, "REJECTED")
    assert entry["details"]["reason"] == rejection["reason"] and entry["details"]["execution_id"] == "exec-9"
    [alert] = messages(account, url)
    assert alert["event"] == "HireRejected" and "department" in alert["reason"] and "Marketing" not in alert["reason"]


def test_the_owners_rollback_removes_what_it_made_marks_the_claim_failed_and_alerts(account: Account) -> None:
    url = inbox(account)
    state = validated(hire_event())
    step = {"hire": state["hire"], "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    error = {"Error": "AccessDenied", "Cause": json.dumps({"errorMessage": "boom", "errorType": "ClientError"})}
    body = call(roll_back_hire, {**step, "error": error})
    assert body["rolled_back"] == ["user jane.smith"] and "rolled back" in body["what_happened"]
    assert account.client("iam").list_users()["Users"] == []
    claim = claims.get(account.client("dynamodb"), account.env.table_name, "E1001")
    assert claim is not None and claim.status == ClaimStatus.FAILED and claim.left == ["no IAM user jane.smith"]
    [alert] = messages(account, url)
    assert alert["event"] == "OnboardingFailed" and alert["reason"] == "boom"
    # a replay takes the failed claim over
    again = call(claim_hire, {**step, "execution_id": "exec-2"})
    assert again["owned"] and again["took_over_from"] == "exec-1"


def test_a_rollback_by_an_execution_that_does_not_own_the_claim_touches_nothing(account: Account) -> None:
    url = inbox(account)
    step = {"hire": validated(hire_event())["hire"], "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    error = {"Error": "ProvisionedThroughputExceededException", "Cause": "throttled"}
    body = call(roll_back_hire, {**step, "execution_id": "exec-intruder", "error": error})
    assert body["rolled_back"] == [] and "does not own" in body["what_happened"]
    assert [u["UserName"] for u in account.client("iam").list_users()["Users"]] == ["jane.smith"]
    [alert] = messages(account, url)
    assert "in_progress by exec-1" in alert["what_happened"]


def test_record_failure_changes_nothing_and_says_what_is_left(account: Account) -> None:
    url = inbox(account)
    step = {"hire": validated(hire_event())["hire"], "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    error = {"Error": "AccessDenied", "Cause": "denied"}
    call(record_failure, {**step, "error": error, "stage": "after-onboarding"})
    assert [u["UserName"] for u in account.client("iam").list_users()["Users"]] == ["jane.smith"]
    [alert] = messages(account, url)
    assert alert["stage"] == "after-onboarding" and "nothing was deleted" in alert["what_happened"]
    assert any(item.startswith("IAM user arn:aws:iam::") for item in alert["left"])


def ended(execution: str, status: str, error: str | None = None) -> dict[str, Any]:
    """Step Functions' status-change event for an onboarding execution."""
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:turnstile-onboarding"
    return {
        **hire_event(),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "executionArn": execution,
            "stateMachineArn": machine,
            "name": execution.rsplit(":", 1)[-1],
            "status": status,
            "error": error,
        },
    }


EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:turnstile-onboarding:"


def test_a_timed_out_owner_is_reconciled_its_claim_marked_failed_and_a_replay_takes_over(account: Account) -> None:
    url = inbox(account)
    step = {"hire": validated(hire_event())["hire"], "execution_id": EXECUTION + "one"}
    call(claim_hire, step)
    call(create_user, step)
    body = call(reconcile_onboarding, ended(EXECUTION + "one", "TIMED_OUT"))
    assert body["outcome"] == "reconciled" and "marked failed" in body["reconciled"][0]
    claim = claims.get(account.client("dynamodb"), account.env.table_name, "E1001")
    assert claim is not None and claim.status == ClaimStatus.FAILED
    assert [u["UserName"] for u in account.client("iam").list_users()["Users"]] == ["jane.smith"]  # not deleted
    [alert] = messages(account, url)
    assert alert["event"] == "OnboardingExecutionEnded" and alert["status"] == "TIMED_OUT"
    assert "nothing was rolled back" in alert["what_happened"] and alert["left"]
    assert call(claim_hire, {**step, "execution_id": EXECUTION + "replay"})["owned"]


def test_an_aborted_duplicate_is_reconciled_without_touching_the_owners_claim(account: Account) -> None:
    url = inbox(account)
    step = {"hire": validated(hire_event())["hire"], "execution_id": EXECUTION + "owner"}
    call(claim_hire, step)
    call(claim_hire, {**step, "execution_id": EXECUTION + "duplicate"})
    body = call(reconcile_onboarding, ended(EXECUTION + "duplicate", "ABORTED"))
    assert body == {"outcome": "reconciled", "reconciled": []}
    claim = claims.get(account.client("dynamodb"), account.env.table_name, "E1001")
    assert claim is not None and claim.status == ClaimStatus.IN_PROGRESS and claim.execution_id == EXECUTION + "owner"
    [alert] = messages(account, url)
    assert "without owning the hire" in alert["what_happened"]


def test_a_failure_the_workflow_already_alerted_is_not_alerted_twice(account: Account) -> None:
    url = inbox(account)
    body = call(reconcile_onboarding, ended(EXECUTION + "rejected", "FAILED", "InvalidHireEvent"))
    assert body == {"outcome": "already-reported"} and messages(account, url) == []


def test_a_malformed_status_event_fails_naming_the_field_never_its_value_and_changes_nothing(account: Account) -> None:
    url = inbox(account)
    event = ended(EXECUTION + "one", "EXPLODED")
    event["detail"]["executionArn"] = "not-an-arn-SECRETISH"
    with pytest.raises(InvalidEvent) as raised:
        call(reconcile_onboarding, event)
    assert "detail.status" in str(raised.value) and "detail.executionArn" in str(raised.value)
    assert "EXPLODED" not in str(raised.value) and "SECRETISH" not in str(raised.value)
    assert raised.value.__suppress_context__  # the pydantic error, which quotes the input, is not chained
    assert (
        messages(account, url) == []
        and audit.entries(account.client("dynamodb"), account.env.table_name, "FAILED") == []
    )


def test_a_rerun_puts_back_a_boundary_someone_removed(account: Account) -> None:
    step = {"hire": validated(hire_event())["hire"], "execution_id": "exec-1"}
    call(claim_hire, step)
    call(create_user, step)
    iam = account.client("iam")
    iam.delete_user_permissions_boundary(UserName="jane.smith")
    call(create_user, step)
    boundary = iam.get_user(UserName="jane.smith")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert boundary == step["hire"]["permissions_boundary_arn"]


HANDLERS = [m for m in pkgutil.iter_modules(handlers.__path__) if not m.name.startswith("_")]


@pytest.mark.parametrize("name", [m.name for m in HANDLERS])
def test_every_handler_goes_through_the_one_entrypoint(name: str) -> None:
    """The transient-error mapping the state machine's Retry relies on cannot be forgotten by a handler."""
    module = importlib.import_module(f"turnstile.handlers.{name}")
    source = inspect.getsource(module)
    assert "@entrypoint(" in source and "transient_errors_as_typed" not in source
