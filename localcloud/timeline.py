"""A readable timeline of a Step Functions execution, from its history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Step:
    name: str
    kind: str
    started: float  # seconds since the execution started
    duration: float
    outcome: str


ENTERED = {
    "TaskStateEntered": "Task",
    "PassStateEntered": "Pass",
    "ChoiceStateEntered": "Choice",
    "SucceedStateEntered": "Succeed",
    "FailStateEntered": "Fail",
    "WaitStateEntered": "Wait",
    "ParallelStateEntered": "Parallel",
    "MapStateEntered": "Map",
}
FAILURES = {"LambdaFunctionFailed", "LambdaFunctionTimedOut", "TaskFailed", "TaskTimedOut"}


def steps(history: list[dict[str, Any]]) -> list[Step]:
    """One entry per state entered, with its duration and what happened (ok, retried, caught error)."""
    if not history:
        return []
    start = history[0]["timestamp"]
    found: list[Step] = []
    current: Step | None = None
    entered_at = start
    for event in history:
        kind = event["type"]
        if kind in ENTERED:
            entered = event.get("stateEnteredEventDetails", {})
            entered_at = event["timestamp"]
            current = Step(entered.get("name", "?"), ENTERED[kind], (entered_at - start).total_seconds(), 0.0, "ok")
            found.append(current)
        elif current is not None and kind in FAILURES:
            failure: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            current.outcome = f"error {failure.get('error', '?')}"
        elif current is not None and kind.endswith("StateExited"):
            current.duration = (event["timestamp"] - entered_at).total_seconds()
        elif current is not None and kind in ("ExecutionSucceeded", "ExecutionFailed"):
            current.duration = (event["timestamp"] - entered_at).total_seconds()
            if kind == "ExecutionFailed":
                details = event.get("executionFailedEventDetails", {})
                current.outcome = f"failed: {details.get('error', '?')}"
    return found


def render(execution: dict[str, Any], history: list[dict[str, Any]]) -> str:
    end = execution.get("stopDate") or (history[-1]["timestamp"] if history else execution["startDate"])
    total = (end - execution["startDate"]).total_seconds()
    entered = steps(history)
    tasks = sum(1 for step in entered if step.kind == "Task")
    lines = [
        f"Execution {execution['name'][:8]}… of {execution['stateMachineArn'].rsplit(':', 1)[-1]}: "
        f"{execution['status']} in {total:.2f} s ({len(entered)} state transitions, {tasks} Lambda tasks)"
    ]
    for step in entered:
        lines.append(
            f"  +{step.started:7.3f}s  {step.name:<22} {step.kind:<8} {step.duration * 1000:7.1f} ms  {step.outcome}"
        )
    if execution.get("error"):
        lines.append(f"  error: {execution['error']}: {execution.get('cause', '')}")
    return "\n".join(lines)


def output_of(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution.get("output") or "{}"))
