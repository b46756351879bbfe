"""The leaver's retention, against the local cloud: a retained user is kept disabled and tagged, and the daily
sweep deletes it only once its retention has ended — and only if it is still Turnstile's for that employee."""

from __future__ import annotations

import datetime as dt

from botocore.exceptions import ClientError
from turnstile.domain import offboarding
from turnstile.domain.users import ensure_user
from turnstile.models.offboarding import Termination, TerminationStep

from tests.unit.conftest import Account

NOW = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)


def step(username: str = "jane.smith", employee_id: str = "E1001") -> TerminationStep:
    termination = Termination(
        employee_id=employee_id,
        username=username,
        hire_execution="arn:aws:states:us-east-1:123456789012:execution:turnstile-onboarding:hire",
        hire_status="onboarded",
        effective_at=NOW,
        wait=False,
        immediate=False,
        reason="end of contract",
        event_id="evt-9",
    )
    return TerminationStep(termination=termination, execution_id="leaver-1")


def exists(account: Account, username: str) -> bool:
    try:
        account.client("iam").get_user(UserName=username)
        return True
    except ClientError:
        return False


def test_a_retained_leaver_is_kept_tagged_and_deleted_only_when_its_retention_ends(account: Account) -> None:
    iam, ddb, sns = account.client("iam"), account.client("dynamodb"), account.client("sns")
    ensure_user(iam, account.hire())
    result = offboarding.retain(iam, ddb, account.env, step(), 30)
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="jane.smith")["Tags"]}
    assert tags["turnstile:termination-reason"] == "end of contract" and "turnstile:terminated-on" in tags
    until = dt.datetime.fromisoformat(result["retained_until"])
    assert offboarding.sweep_retained(iam, ddb, sns, account.env, now=until - dt.timedelta(minutes=1)) == {
        "deleted": [],
        "skipped": [],
    }
    assert exists(account, "jane.smith")
    swept = offboarding.sweep_retained(iam, ddb, sns, account.env, now=until + dt.timedelta(minutes=1))
    assert swept["deleted"] == ["jane.smith"] and not exists(account, "jane.smith")
    assert offboarding.sweep_retained(iam, ddb, sns, account.env, now=until + dt.timedelta(days=1))["deleted"] == []


def test_a_retained_user_someone_took_over_is_never_deleted_by_the_sweep(account: Account) -> None:
    iam, ddb, sns = account.client("iam"), account.client("dynamodb"), account.client("sns")
    ensure_user(iam, account.hire())
    offboarding.retain(iam, ddb, account.env, step(), 1)
    iam.untag_user(UserName="jane.smith", TagKeys=["turnstile:managed"])
    swept = offboarding.sweep_retained(iam, ddb, sns, account.env, now=NOW + dt.timedelta(days=400))
    assert swept == {"deleted": [], "skipped": ["jane.smith"]} and exists(account, "jane.smith")


def test_a_teardown_of_a_user_already_gone_is_a_no_op(account: Account) -> None:
    assert offboarding.tear_down(account.client("iam"), "nobody.here") == []
