"""Attacks on the leaver's domain logic (hostile review): event time, the failure path, duplicate terminations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from turnstile.domain import claims, offboarding
from turnstile.models.offboarding import OffboardingFailure, Termination, TerminationStep

from tests.unit.conftest import Account

NOW = dt.datetime.now(dt.UTC)
HIRE_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:turnstile-onboarding:hire-1"


def _onboarded(account: Account) -> None:
    dynamodb = account.client("dynamodb")
    claims.claim_hire(dynamodb, account.env.table_name, hire=account.hire(), execution_id=HIRE_EXECUTION)
    claims.complete_hire(dynamodb, account.env.table_name, employee_id="E1001", execution_id=HIRE_EXECUTION)


def _event(detail: dict[str, Any], *, time: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "evt-terminate-1",
        "detail-type": "Employee Terminated",
        "source": "hr.system",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def test_a_forged_event_time_does_not_open_the_effective_date_window(account: Account) -> None:
    """PutEvents lets the sender set `Time`: the window is judged against now, not against the event's own time,
    or an effective date in year 9999 waits (past Step Functions' one-year limit: the execution just times out)."""
    _onboarded(account)
    raw = _event({"employee_id": "E1001", "effective_date": "9999-12-31"}, time="9999-12-30T00:00:00Z")
    with pytest.raises(offboarding.Rejected) as rejected:
        offboarding.resolve(account.client("dynamodb"), account.client("iam"), account.env, raw, now=NOW)
    assert rejected.value.rejection.reason.startswith("effective_date:")
    assert "9999" not in rejected.value.rejection.reason


class _FailingIam:
    """IAM throttling every read: RecordOffboardingFailure must still alert."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, name)

        return fail


def _termination(**overrides: Any) -> Termination:
    values: dict[str, Any] = {
        "employee_id": "E1001",
        "username": "jane.smith",
        "hire_execution": HIRE_EXECUTION,
        "hire_status": "onboarded",
        "effective_at": NOW,
        "wait": False,
        "immediate": False,
        "event_id": "evt-1",
    }
    return Termination(**{**values, **overrides})


def test_the_failure_path_alerts_even_when_iam_cannot_be_read(account: Account) -> None:
    failure = OffboardingFailure(
        termination=_termination(),
        execution_id="arn:aws:states:us-east-1:123456789012:execution:turnstile-offboarding:x",
        error={"Error": "Throttling", "Cause": "x"},
    )
    sns, published = account.client("sns"), []
    publish = sns.publish
    sns.publish = lambda **kwargs: published.append(kwargs) or publish(**kwargs)
    result = offboarding.record_failure(
        _FailingIam(), account.client("secretsmanager"), account.client("dynamodb"), sns, account.env, failure
    )
    assert result["recorded"] is True
    assert any("could not be read" in entry for entry in result["left"])
    assert published


@pytest.mark.xfail(strict=True, reason="unfixed: a waiting termination swallows a later immediate (for-cause) one")
def test_an_immediate_termination_is_not_swallowed_by_one_waiting_for_its_date(account: Account) -> None:
    dynamodb, table_name = account.client("dynamodb"), account.env.table_name
    later = NOW + dt.timedelta(days=30)
    waiting = TerminationStep(
        termination=_termination(effective_at=later, wait=True), execution_id="arn:...:offboarding:scheduled"
    )
    assert offboarding.claim_termination(dynamodb, table_name, waiting)["owned"]
    for_cause = TerminationStep(termination=_termination(immediate=True), execution_id="arn:...:offboarding:now")
    # The for-cause termination stops as a duplicate: access lasts 30 more days.
    assert offboarding.claim_termination(dynamodb, table_name, for_cause)["owned"]


@pytest.mark.xfail(strict=True, reason="unfixed: no reconciler; an aborted offboarding blocks every re-send")
def test_a_re_sent_termination_takes_over_from_an_aborted_execution(account: Account) -> None:
    dynamodb, table_name = account.client("dynamodb"), account.env.table_name
    aborted = TerminationStep(termination=_termination(), execution_id="arn:...:offboarding:aborted")
    assert offboarding.claim_termination(dynamodb, table_name, aborted)["owned"]
    # The execution is aborted (StopExecution, a timeout): nothing marks the claim failed, nothing alerts.
    re_sent = TerminationStep(termination=_termination(), execution_id="arn:...:offboarding:re-sent")
    assert offboarding.claim_termination(dynamodb, table_name, re_sent)["owned"]
