"""MFA domain logic against the emulated account: the sweeper's decisions, and reactions to IAM events."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from turnstile.dal import credential_report
from turnstile.domain import mfa
from turnstile.domain.iam_events import on_password_policy_changed
from turnstile.domain.users import ensure_user
from turnstile.models.cloudtrail import IamApiCallEvent
from turnstile.models.rotation import CredentialReport

from tests.unit.conftest import Account

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
REPORT_LIFETIME = 4 * HOUR  # IAM answers with its last report until it is this old


def park(account: Account, username: str = "jane.smith") -> None:
    hire = account.hire(username=username)
    ensure_user(account.client("iam"), hire)
    mfa.register_wait(
        account.client("iam"),
        account.client("stepfunctions"),
        account.client("dynamodb"),
        account.env,
        hire=hire,
        token=f"token-{username}",
        execution_id="exec-1",
        entered=NOW,
    )


def no_sleep(seconds: float) -> None:
    pass


def fresh_report(account: Account) -> CredentialReport:
    """IAM's credential report of the account as it is now: the local clock is moved past the last report's four
    hours, so IAM generates a new one instead of answering with the last."""
    account.cloud.clock.advance(REPORT_LIFETIME.total_seconds())
    return mfa.current_report(account.client("iam"), sleep=no_sleep)


def report_at(
    account: Account, generated: dt.datetime, *, without: tuple[str, ...] = (), mfa_says: dict[str, bool] | None = None
) -> CredentialReport:
    """The account's credential report as IAM would have generated it at `generated` (the sweeps' timeline): the
    users in `without` created after it (absent), the MFA state of those in `mfa_says` as it was then."""
    live = fresh_report(account)
    said = mfa_says or {}
    rows = tuple(
        row.model_copy(update={"mfa_active": said.get(row.user, row.mfa_active)})
        for row in live.rows
        if row.user not in without
    )
    return live.model_copy(update={"generated": generated, "rows": rows})


def sweep(account: Account, at: dt.datetime, report: CredentialReport | None = None, **options: Any) -> dict:
    """One sweep at `at`, judged from `report` (by default, one generated just before)."""
    clients = (
        account.client("iam"),
        account.client("stepfunctions"),
        account.client("dynamodb"),
        account.client("sns"),
    )
    report = report if report is not None else report_at(account, at - dt.timedelta(minutes=1))
    return mfa.sweep(*clients, account.env, now=at, report=report, **options)


def iam_calls(calls: list[Any]) -> Counter[tuple[str, str]]:
    """(action, user) of each IAM call recorded; "" for account-wide calls."""
    return Counter((c.action, c.params.get("UserName", "")) for c in calls if c.service == "iam")


def enrol(account: Account, username: str) -> str:
    iam = account.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=username)["VirtualMFADevice"]
    iam.enable_mfa_device(UserName=username, SerialNumber=device["SerialNumber"], **codes(device))
    return str(device["SerialNumber"])


def test_the_sweeper_reminds_once_a_day_and_judges_the_deadline_by_the_schedules_time(account: Account) -> None:
    park(account)
    assert sweep(account, NOW + HOUR)["reminded"] == ["jane.smith"]
    assert sweep(account, NOW + 5 * HOUR)["waiting"] == ["jane.smith"]
    assert sweep(account, NOW + dt.timedelta(days=1, hours=2))["reminded"] == ["jane.smith"]
    # the token is not a real task token: the workflow counts as gone, and the item is dropped all the same
    assert sweep(account, NOW + dt.timedelta(days=7))["deadline_passed"] == ["jane.smith"]
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


def test_a_reminder_the_report_calls_for_costs_no_iam_call(account: Account) -> None:
    """The report says no MFA: remind at once. It may be 4 hours old: a user who enrolled since (and whose
    CloudTrail event was lost) gets one reminder too many, and is resumed by a later report."""
    park(account)
    enrol(account, "jane.smith")
    stale = report_at(account, NOW, mfa_says={"jane.smith": False})
    with account.cloud.faults.recording() as calls:
        assert sweep(account, NOW + HOUR, stale)["reminded"] == ["jane.smith"]
    assert iam_calls(calls) == Counter()
    assert sweep(account, NOW + 2 * HOUR)["resumed"] == ["jane.smith"]


def test_an_enrolment_the_report_shows_is_confirmed_and_resumed(account: Account) -> None:
    """A lost CloudTrail event: the report shows the device, ListMFADevices confirms it, the workflow resumes."""
    park(account)
    enrol(account, "jane.smith")
    report = report_at(account, NOW)
    with account.cloud.faults.recording() as calls:
        assert sweep(account, NOW + HOUR, report)["resumed"] == ["jane.smith"]
    assert iam_calls(calls) == Counter({("ListMFADevices", "jane.smith"): 1})
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


def test_a_device_the_report_shows_but_iam_no_longer_lists_resumes_nothing(account: Account) -> None:
    park(account)
    stale = report_at(account, NOW, mfa_says={"jane.smith": True})
    assert sweep(account, NOW + HOUR, stale)["reminded"] == ["jane.smith"]
    assert [p.username for p in mfa.pending(account.client("dynamodb"), account.env.table_name)] == ["jane.smith"]


def test_the_deadline_is_confirmed_per_user_before_the_wait_is_failed(account: Account) -> None:
    """At the deadline the report is not enough: a user who enrolled after it was generated is resumed, not failed."""
    park(account, "jane.smith")
    park(account, "john.doe")
    enrol(account, "john.doe")
    deadline = NOW + dt.timedelta(days=7)
    stale = report_at(account, deadline - HOUR, mfa_says={"john.doe": False})
    with account.cloud.faults.recording() as calls:
        summary = sweep(account, deadline, stale)
    assert (summary["deadline_passed"], summary["resumed"]) == (["jane.smith"], ["john.doe"])
    assert iam_calls(calls) == Counter(
        {
            ("GetUser", "jane.smith"): 1,
            ("ListMFADevices", "jane.smith"): 1,
            ("GetUser", "john.doe"): 1,
            ("ListMFADevices", "john.doe"): 1,
        }
    )
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


def test_a_user_created_after_the_report_waits_for_the_next_one(account: Account) -> None:
    park(account)
    older = report_at(account, NOW - HOUR, without=("jane.smith",))
    with account.cloud.faults.recording() as calls:
        assert sweep(account, NOW + HOUR, older)["waiting"] == ["jane.smith"]
    assert iam_calls(calls) == Counter()  # not treated as gone, nor asked about
    assert [p.username for p in mfa.pending(account.client("dynamodb"), account.env.table_name)] == ["jane.smith"]


def test_the_sweeper_drops_enrolments_of_users_that_no_longer_exist(account: Account) -> None:
    """Absent from a report generated after the wait began: gone, once GetUser agrees."""
    park(account)
    account.client("iam").delete_user(UserName="jane.smith")
    report = report_at(account, NOW + HOUR)
    with account.cloud.faults.recording() as calls:
        assert sweep(account, NOW + HOUR, report)["gone"] == ["jane.smith"]
    assert iam_calls(calls)[("GetUser", "jane.smith")] == 1
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


def test_a_user_absent_from_the_report_but_still_there_is_not_failed(account: Account) -> None:
    park(account)
    inconsistent = report_at(account, NOW + HOUR, without=("jane.smith",))
    assert sweep(account, NOW + HOUR, inconsistent)["reminded"] == ["jane.smith"]


def test_a_user_deleted_since_the_report_showed_its_device_is_gone(account: Account) -> None:
    park(account)
    stale = report_at(account, NOW, mfa_says={"jane.smith": True})
    account.client("iam").delete_user(UserName="jane.smith")
    assert sweep(account, NOW + HOUR, stale)["gone"] == ["jane.smith"]


def test_the_sweeps_iam_calls_do_not_grow_with_enrolments_that_need_nothing(account: Account) -> None:
    """Two calls for the report (three when IAM starts a new one), whatever the number of pending enrolments."""
    iam = account.client("iam")

    def one_sweep(at: dt.datetime, *, new_report: bool) -> tuple[dict, Counter[tuple[str, str]]]:
        if new_report:  # IAM's last report is over four hours old: this sweep's call starts a new one
            account.cloud.clock.advance(REPORT_LIFETIME.total_seconds())
        with account.cloud.faults.recording() as calls:
            summary = sweep(account, at, mfa.current_report(iam, sleep=no_sleep))
        return summary, iam_calls(calls)

    park(account, "user.0")
    _, with_one = one_sweep(NOW + HOUR, new_report=True)
    for n in range(1, 41):
        park(account, f"user.{n}")
    first, with_41 = one_sweep(NOW + 2 * HOUR, new_report=True)  # the 40 new ones are reminded: no IAM call
    second, reused = one_sweep(NOW + 3 * HOUR, new_report=False)  # IAM answers with the same report
    assert (len(first["reminded"]), len(first["waiting"]), len(second["waiting"])) == (40, 1, 41)
    new = Counter({("GenerateCredentialReport", ""): 2, ("GetCredentialReport", ""): 1})
    assert with_one == with_41 == new
    assert reused == Counter({("GenerateCredentialReport", ""): 1, ("GetCredentialReport", ""): 1})


def test_the_report_is_awaited_a_bounded_time_then_the_invocation_fails(account: Account) -> None:
    iam, waited = account.client("iam"), []
    report = mfa.current_report(iam, sleep=waited.append)  # a new account: IAM starts the report, then has it
    assert waited == [mfa.REPORT_POLL_DELAYS[0]] and report.rows == ()
    waited.clear()
    with (
        account.cloud.faults.injected("iam", "GetCredentialReport", "ReportInProgress"),
        pytest.raises(credential_report.ReportInProgress),
    ):
        mfa.current_report(iam, sleep=waited.append)
    assert waited == list(mfa.REPORT_POLL_DELAYS) and sum(waited) <= 60


def test_an_out_of_time_sweep_leaves_the_rest_for_the_next_most_overdue_first(account: Account) -> None:
    """Work stops at `stop_by`; what is left is the most overdue next time, so nobody waits behind the others for
    ever. Resumes come first."""
    for name in ("a.first", "b.second", "c.third"):
        park(account, name)
    enrol(account, "c.third")
    ticks = itertools.count()
    budget = {"stop_by": 1, "clock": lambda: next(ticks)}  # time for one enrolment per sweep
    one = sweep(account, NOW + HOUR, report_at(account, NOW, mfa_says={"c.third": True}), **budget)
    assert (one["resumed"], one["deferred"]) == (["c.third"], ["a.first", "b.second"])
    ticks = itertools.count()
    two = sweep(account, NOW + 2 * HOUR, **budget)
    assert (two["reminded"], two["deferred"]) == (["a.first"], ["b.second"])
    ticks = itertools.count()
    three = sweep(account, NOW + 3 * HOUR, **budget)
    assert (three["reminded"], three["waiting"], three["deferred"]) == (["b.second"], ["a.first"], [])


def policy_event(caller_role: str | None, error: str | None = None) -> IamApiCallEvent:
    identity = (
        {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/r/s",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": caller_role}},
        }
        if caller_role
        else {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}
    )
    return IamApiCallEvent.model_validate(
        {
            "version": "0",
            "id": "e1",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "account": "123456789012",
            "time": NOW.isoformat(),
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "eventVersion": "1.08",
                "eventSource": "iam.amazonaws.com",
                "eventName": "UpdateAccountPasswordPolicy",
                "eventTime": NOW.isoformat(),
                "eventID": "e1",
                "awsRegion": "us-east-1",
                "userIdentity": identity,
                "requestParameters": {"minimumPasswordLength": 6},
                **({"errorCode": error} if error else {}),
            },
        }
    )


def test_the_guard_ignores_failed_calls_and_turnstiles_own_roles(account: Account) -> None:
    iam, ddb, sns = account.client("iam"), account.client("dynamodb"), account.client("sns")
    own = account.env.model_copy(update={"own_role_arns": ["arn:aws:iam::123456789012:role/turnstile-policy"]})
    assert on_password_policy_changed(iam, ddb, sns, own, policy_event(None, "AccessDenied"))["outcome"] == "ignored"
    assert (
        on_password_policy_changed(iam, ddb, sns, own, policy_event("arn:aws:iam::123456789012:role/turnstile-policy"))[
            "why"
        ]
        == "Turnstile's own change"
    )
    result = on_password_policy_changed(iam, ddb, sns, own, policy_event("arn:aws:iam::123456789012:role/someone"))
    assert result["outcome"] == "reverted" and result["changed_by"] == "arn:aws:iam::123456789012:role/someone"


def test_hold_release_and_deadline_enforcement_are_safe_to_run_twice(account: Account) -> None:
    iam, sm = account.client("iam"), account.client("secretsmanager")
    hire = account.hire(programmatic=True)
    ensure_user(iam, hire)
    hold = account.env.mfa_hold_group
    assert (mfa.apply_hold(iam, "jane.smith", hold), mfa.apply_hold(iam, "jane.smith", hold)) == (True, False)
    assert (mfa.release_hold(iam, "jane.smith", hold), mfa.release_hold(iam, "jane.smith", hold)) == (True, False)
    iam.create_login_profile(UserName="jane.smith", Password="Temporary-Pass-123!")
    iam.create_access_key(UserName="jane.smith")
    clients = (iam, sm, account.client("dynamodb"), account.client("sns"))
    first = mfa.enforce_deadline(*clients, account.env, hire=hire, reason="MfaDeadlinePassed")
    second = mfa.enforce_deadline(*clients, account.env, hire=hire, reason="MfaDeadlinePassed")
    assert "login profile deleted" in first["actions"] and "login profile deleted" not in second["actions"]
    assert [k["Status"] for k in iam.list_access_keys(UserName="jane.smith")["AccessKeyMetadata"]] == ["Inactive"]


def test_the_deadline_counts_from_the_later_of_the_wait_and_the_first_day() -> None:
    entered = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    assert mfa.deadline(entered, None, 7) == entered + dt.timedelta(days=7)
    assert mfa.deadline(entered, dt.date(2026, 11, 1), 7) == entered + dt.timedelta(days=7)
    assert mfa.deadline(entered, dt.date(2027, 2, 1), 7) == dt.datetime(2027, 2, 8, tzinfo=dt.UTC)


def test_the_pending_enrolment_keeps_the_effective_date_and_its_deadline(account: Account) -> None:
    hire = account.hire(effective_date=dt.date(2027, 2, 1))
    ensure_user(account.client("iam"), hire)
    clients = (account.client("iam"), account.client("stepfunctions"), account.client("dynamodb"))
    mfa.register_wait(*clients, account.env, hire=hire, token="t-1", execution_id="exec-1", entered=NOW)
    [item] = mfa.pending(account.client("dynamodb"), account.env.table_name)
    assert item.effective_date == dt.date(2027, 2, 1) and item.deadline == dt.datetime(2027, 2, 8, tzinfo=dt.UTC)
    assert sweep(account, NOW + dt.timedelta(days=8))["deadline_passed"] == []


def test_only_the_owner_of_a_pending_enrolment_removes_it(account: Account) -> None:
    park(account)
    ddb, table = account.client("dynamodb"), account.env.table_name
    [item] = mfa.pending(ddb, table)
    impostor = item.model_copy(update={"task_token": "someone-elses-token"})
    assert not mfa.forget(ddb, table, impostor)
    assert not mfa.forget_execution(ddb, table, "jane.smith", "exec-other")
    assert mfa.pending(ddb, table) == [item]
    assert mfa.forget(ddb, table, item) and mfa.pending(ddb, table) == []


def test_a_resume_that_fails_leaves_the_enrolment_for_the_next_try(account: Account) -> None:
    park(account)
    iam, sfn, ddb = account.client("iam"), account.client("stepfunctions"), account.client("dynamodb")
    enrol(account, "jane.smith")
    with (
        account.cloud.faults.injected("stepfunctions", "SendTaskSuccess", "ThrottlingException"),
        pytest.raises(ClientError),
    ):
        mfa.confirm(iam, sfn, ddb, account.env.table_name, "jane.smith", via="test")
    assert [p.username for p in mfa.pending(ddb, account.env.table_name)] == ["jane.smith"]
    # the token is not a real task token, so the retry finds the workflow gone: an outcome, not an error
    assert mfa.confirm(iam, sfn, ddb, account.env.table_name, "jane.smith", via="test").startswith("gone")
    assert mfa.pending(ddb, account.env.table_name) == []


def test_one_enrolment_that_cannot_be_swept_does_not_stop_the_others(account: Account) -> None:
    park(account, "jane.smith")
    park(account, "john.doe")
    with (
        account.cloud.faults.injected(
            "iam", "GetUser", "AccessDenied", when=lambda call: call.params.get("UserName") == "jane.smith"
        ),
        pytest.raises(mfa.SweepIncomplete, match=r"jane\.smith: AccessDenied"),
    ):
        sweep(account, NOW + dt.timedelta(days=7))
    assert [p.username for p in mfa.pending(account.client("dynamodb"), account.env.table_name)] == ["jane.smith"]


def codes(device: dict) -> dict[str, str]:
    seed = device["Base32StringSeed"]
    totp, now = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed), time.time()
    return {"AuthenticationCode1": totp.at(now - 30), "AuthenticationCode2": totp.at(now)}
