"""statemachines/onboarding.asl.json, as the stack deploys it: every task retries with jitter and catches the rest,
maps to a handler, and routes failures by ownership — proven on the state graph, not state by state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from stacks.constructs.workflow_definition import STANDARD_RETRY, STATEMACHINES, definition
from stacks.function_specs import FUNCTIONS, ONBOARDING_STEPS

HANDLERS = Path(__file__).resolve().parents[2] / "lambdas" / "turnstile" / "handlers"
DEFINITION: dict[str, Any] = definition("onboarding")
STATES: dict[str, Any] = DEFINITION["States"]
TASKS = {name: state for name, state in STATES.items() if state["Type"] == "Task"}

BEFORE_CLAIM = {"ValidateHire", "ClaimHire", "RecordHireChange"}
OWNER = {"EnsurePasswordPolicy", "CreateUser", "ApplyMfaHold", "AddToGroups", "CreateLoginProfile", "IssueAccessKey"}
ONBOARDED = {"NotifyOnboarded", "AwaitMfaEnrolment", "ReleaseMfaHold", "EnforceMfaDeadline"}
FAILURE_PATH = {"RecordRejection", "RollBackHire", "RecordFailure"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def successors(name: str) -> set[str]:
    state = STATES[name]
    found = {state.get("Next"), state.get("Default")}
    found |= {choice["Next"] for choice in state.get("Choices", [])}
    found |= {catch["Next"] for catch in state.get("Catch", [])}
    return {n for n in found if n}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in successors(todo.pop()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def caught_by(name: str) -> set[str]:
    """Where a task's failures go (through Pass states that only label the stage)."""
    targets = {catch["Next"] for catch in STATES[name].get("Catch", [])}
    return {STATES[t]["Next"] if STATES[t]["Type"] == "Pass" else t for t in targets}


def test_the_task_groups_cover_every_task() -> None:
    assert set(TASKS) == BEFORE_CLAIM | OWNER | ONBOARDED | FAILURE_PATH


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_retries_transient_errors_with_full_jitter_and_catches_everything_else(name: str) -> None:
    state = TASKS[name]
    assert state["Retry"] == STANDARD_RETRY
    assert all(r["JitterStrategy"] == "FULL" and r["MaxDelaySeconds"] <= 60 for r in STANDARD_RETRY)
    retried = {e for r in STANDARD_RETRY for e in r["ErrorEquals"]}
    assert {"TransientAwsError", "Lambda.TooManyRequestsException", "Lambda.ServiceException"} <= retried
    assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_is_a_declared_function_whose_handler_module_has_the_state_name(name: str) -> None:
    state = TASKS[name]
    if state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken":
        assert state["Parameters"]["FunctionName"] == "${" + name + "FunctionArn}"
        assert state["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    else:
        assert state["Resource"] == "${" + name + "FunctionArn}"
    assert name in ONBOARDING_STEPS and name in FUNCTIONS
    assert (HANDLERS / f"{snake(name)}.py").is_file()


def test_every_placeholder_has_a_substitution() -> None:
    text = (STATEMACHINES / "onboarding.asl.json").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == {f"{name}FunctionArn" for name in ONBOARDING_STEPS}


@pytest.mark.parametrize("name", sorted(BEFORE_CLAIM))
def test_a_failure_before_the_claim_touches_nothing(name: str) -> None:
    assert caught_by(name) == {"RecordFailure"}


@pytest.mark.parametrize("name", sorted(OWNER))
def test_only_the_claims_owner_rolls_back(name: str) -> None:
    assert caught_by(name) == {"RollBackHire"}


@pytest.mark.parametrize("name", sorted(ONBOARDED))
def test_after_onboarding_a_failure_alerts_and_never_deletes(name: str) -> None:
    assert "RollBackHire" not in reachable(name)
    assert caught_by(name) - {"EnforceMfaDeadline"} == {"RecordFailure"}


def test_the_rollback_is_reachable_only_from_the_owners_steps() -> None:
    leading_to_rollback = {name for name in TASKS if "RollBackHire" in reachable(name)}
    assert leading_to_rollback == OWNER | {"ValidateHire", "ClaimHire"}
    # ValidateHire and ClaimHire reach it only through a successful claim, never through their Catch:
    for name in ("ValidateHire", "ClaimHire"):
        assert all("RollBackHire" not in reachable(target) | {target} for target in caught_by(name))


def test_a_failure_inside_the_failure_path_still_ends_where_the_reconciler_alerts() -> None:
    assert caught_by("RollBackHire") == {"RecordFailure"}
    assert caught_by("RecordFailure") == {"FailureNotRecorded"} and caught_by("RecordRejection") == {
        "RejectionNotRecorded"
    }


def test_every_ending_is_named() -> None:
    fails = {n for n, s in STATES.items() if s["Type"] == "Fail"}
    assert fails == {
        "HireRejected",
        "RejectionNotRecorded",
        "UserNameConflict",
        "OnboardingFailed",
        "MfaNotEnrolled",
        "FailureNotRecorded",
    }


def test_the_mfa_hold_comes_before_any_credential_and_the_wait_is_last() -> None:
    assert STATES["CreateUser"]["Next"] == "ApplyMfaHold" and STATES["ApplyMfaHold"]["Next"] == "AddToGroups"
    assert STATES["NotifyOnboarded"]["Next"] == "AwaitMfaEnrolment"
    assert STATES["AwaitMfaEnrolment"]["Next"] == "ReleaseMfaHold" and STATES["ReleaseMfaHold"]["Next"] == "Onboarded"
    assert STATES["AwaitMfaEnrolment"]["Catch"][0]["ErrorEquals"] == ["MfaDeadlinePassed", "States.Timeout"]


def test_the_raw_event_never_travels_past_the_validator() -> None:
    """ValidateHire replaces the state with what it returns: nothing of the (up to 256 KiB) event goes further."""
    assert STATES["ValidateHire"]["ResultPath"] == "$" and "Parameters" not in STATES["ValidateHire"]
    assert "$.event" not in str({k: v for k, v in STATES.items() if k != "ValidateHire"})


def test_keys_are_issued_only_to_programmatic_only_users() -> None:
    [choice] = STATES["NeedsAccessKey"]["Choices"]
    assert choice["Next"] == "IssueAccessKey"
    assert {"Variable": "$.hire.console", "BooleanEquals": False} in choice["And"]
