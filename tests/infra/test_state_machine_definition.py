"""statemachines/onboarding.asl.json: every task retries with jitter, catches the rest, and maps to a handler."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stacks.constructs.onboarding import ASL, STEPS

HANDLERS = Path(__file__).resolve().parents[2] / "lambdas" / "turnstile" / "handlers"
DEFINITION: dict[str, Any] = json.loads(ASL.read_text())
TASKS = {name: state for name, state in DEFINITION["States"].items() if state["Type"] == "Task"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_retries_transient_errors_with_full_jitter_and_catches_everything_else(name: str) -> None:
    state = TASKS[name]
    [retry] = state["Retry"]
    assert {"TransientAwsError", "Lambda.TooManyRequestsException"} <= set(retry["ErrorEquals"])
    assert retry["JitterStrategy"] == "FULL" and retry["BackoffRate"] >= 2 and retry["MaxDelaySeconds"] <= 120
    assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_is_a_step_lambda_whose_handler_module_has_the_state_name(name: str) -> None:
    state = TASKS[name]
    if state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken":
        assert state["Parameters"]["FunctionName"] == "${" + name + "FunctionArn}"
        assert state["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    else:
        assert state["Resource"] == "${" + name + "FunctionArn}"
    assert name in STEPS
    assert (HANDLERS / f"{snake(name)}.py").is_file()


def test_every_placeholder_has_a_substitution() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
    assert placeholders == {f"{name}FunctionArn" for name in STEPS}


def test_only_the_failure_paths_lead_to_fail_states() -> None:
    fails = {n for n, s in DEFINITION["States"].items() if s["Type"] == "Fail"}
    assert fails == {"HireRejected", "UserNameConflict", "OnboardingFailed", "MfaNotEnrolled"}


def test_the_mfa_hold_comes_before_any_credential_and_the_wait_is_last() -> None:
    states = DEFINITION["States"]
    assert states["CreateUser"]["Next"] == "ApplyMfaHold" and states["ApplyMfaHold"]["Next"] == "AddToGroups"
    assert states["NotifyOnboarded"]["Next"] == "AwaitMfaEnrolment"
    assert states["AwaitMfaEnrolment"]["Next"] == "ReleaseMfaHold" and states["ReleaseMfaHold"]["Next"] == "Onboarded"
    assert states["AwaitMfaEnrolment"]["Catch"][0]["ErrorEquals"] == ["MfaDeadlinePassed", "States.Timeout"]
