"""Turnstile's ASL files, as the state machines get them: every Task gets the one retry policy.

The ASL in statemachines/ says what each state does and where its failures go (Catch routes by ownership);
how a Task retries is the same everywhere, so it is written once, here, instead of copied into each state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATEMACHINES = Path(__file__).resolve().parents[2] / "statemachines"

# Retried, all with full jitter:
# - a function at its concurrency limit (Lambda.TooManyRequestsException): reserved concurrency is what bounds IAM
#   calls in flight during a burst of hires, so waiting for a slot is normal, and patient: a hire that gave up
#   would roll back, making more IAM calls in the middle of the burst. Up to 100 retries, 1 s doubling to a
#   60 s cap: at most about 95 minutes, half that on average (measured: `make bench`, README "Bursts"; 20 retries
#   to a 30 s cap rolled back 309 of 1,000 hires in the local cloud);
# - Lambda's own transient failures, and TransientAwsError - what the SDK's standard retry mode gave up on
#   (lambdas/turnstile/aws.py): 2, 4, 8 ... capped at 60 s, six attempts over about two minutes.
# Everything else is caught by the state's Catch.
STANDARD_RETRY: list[dict[str, Any]] = [
    {
        "ErrorEquals": ["Lambda.TooManyRequestsException"],
        "IntervalSeconds": 1,
        "MaxAttempts": 100,
        "BackoffRate": 2,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    },
    {
        "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "TransientAwsError",
        ],
        "IntervalSeconds": 2,
        "MaxAttempts": 6,
        "BackoffRate": 2,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    },
]


def definition(name: str) -> dict[str, Any]:
    """`statemachines/<name>.asl.json` with STANDARD_RETRY on every Task, after any retrier the Task declares
    itself (e.g. for an error of its own), nested Tasks included (a Map's item processor, a Parallel's branches)."""
    asl = json.loads((STATEMACHINES / f"{name}.asl.json").read_text())
    _add_retries(asl["States"])
    return dict(asl)


def _add_retries(states: dict[str, Any]) -> None:
    for state in states.values():
        if state["Type"] == "Task":
            state["Retry"] = [*state.get("Retry", []), *STANDARD_RETRY]
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if inner:
                _add_retries(inner["States"])
