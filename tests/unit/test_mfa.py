"""MFA domain logic against the emulated account: the sweeper's decisions, and reactions to IAM events."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest
from botocore.exceptions import ClientError
from turnstile.domain import mfa
from turnstile.domain.iam_events import on_password_policy_changed
from turnstile.domain.users import ensure_user
from turnstile.models.cloudtrail import IamApiCallEvent

from tests.unit.conftest import Account

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


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


def test_the_sweeper_reminds_once_a_day_and_judges_the_deadline_by_the_schedules_time(account: Account) -> None:
    park(account)
    clients = (
        account.client("iam"),
        account.client("stepfunctions"),
        account.client("dynamodb"),
        account.client("sns"),
    )
    assert mfa.sweep(*clients, account.env, now=NOW + dt.timedelta(hours=1))["reminded"] == ["jane.smith"]
    assert mfa.sweep(*clients, account.env, now=NOW + dt.timedelta(hours=5))["waiting"] == ["jane.smith"]
    assert mfa.sweep(*clients, account.env, now=NOW + dt.timedelta(days=1, hours=2))["reminded"] == ["jane.smith"]
    # the token is not a real task token: the workflow counts as gone, and the item is dropped all the same
    assert mfa.sweep(*clients, account.env, now=NOW + dt.timedelta(days=7))["deadline_passed"] == ["jane.smith"]
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


def test_the_sweeper_drops_enrolments_of_users_that_no_longer_exist(account: Account) -> None:
    park(account)
    account.client("iam").delete_user(UserName="jane.smith")
    clients = (
        account.client("iam"),
        account.client("stepfunctions"),
        account.client("dynamodb"),
        account.client("sns"),
    )
    assert mfa.sweep(*clients, account.env, now=NOW)["gone"] == ["jane.smith"]
    assert mfa.pending(account.client("dynamodb"), account.env.table_name) == []


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
    sweep = (*clients, account.client("sns"))
    assert mfa.sweep(*sweep, account.env, now=NOW + dt.timedelta(days=8))["deadline_passed"] == []


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
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="jane.smith")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="jane.smith", SerialNumber=device["SerialNumber"], **codes(device))
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
    clients = (
        account.client("iam"),
        account.client("stepfunctions"),
        account.client("dynamodb"),
        account.client("sns"),
    )
    with (
        account.cloud.faults.injected(
            "iam", "GetUser", "AccessDenied", when=lambda call: call.params.get("UserName") == "jane.smith"
        ),
        pytest.raises(mfa.SweepIncomplete, match=r"jane\.smith: AccessDenied"),
    ):
        mfa.sweep(*clients, account.env, now=NOW + dt.timedelta(hours=1))
    reminded = [p.username for p in mfa.pending(account.client("dynamodb"), account.env.table_name) if p.last_reminded]
    assert reminded == ["john.doe"]


def codes(device: dict) -> dict[str, str]:
    seed = device["Base32StringSeed"]
    totp, now = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed), time.time()
    return {"AuthenticationCode1": totp.at(now - 30), "AuthenticationCode2": totp.at(now)}
