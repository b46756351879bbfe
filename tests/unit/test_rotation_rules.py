"""The key-rotation rules at their boundaries: which users the credential report flags, and what is due for one
user read fresh (lambdas/turnstile/domain/rotation_rules.py). Pure functions of dates: no AWS here."""

from __future__ import annotations

import datetime as dt

import pytest
from turnstile.config import Rotation
from turnstile.dal.credential_report import parse, path_of
from turnstile.domain.rotation_rules import candidates, due, exemption_of
from turnstile.models.rotation import ActionKind, CredentialReport, LiveKey, ReportKey, ReportRow, UserFacts

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
POLICY = Rotation()  # 90 / 7 / grace 14 / remind 10 / delete 7 / unused 45
DAY = dt.timedelta(days=1)


def key(
    key_id: str = "AKIAOLD0000000000001",
    *,
    age: float,
    used_days_ago: float | None = 1,
    active: bool = True,
    stored_as: str | None = "current",
    deactivated_days_ago: float | None = None,
    reminded: bool = False,
) -> LiveKey:
    return LiveKey(
        key_id=key_id,
        active=active,
        created=NOW - age * DAY,
        last_used=None if used_days_ago is None else NOW - used_days_ago * DAY,
        stored_as=stored_as,
        deactivated_at=None if deactivated_days_ago is None else NOW - deactivated_days_ago * DAY,
        reminded_at=NOW - 3 * DAY if reminded else None,
    )


def user(*keys: LiveKey, exemption: str | None = None, password_idle: float | None = None) -> UserFacts:
    return UserFacts(
        username="pat.prog",
        path="/turnstile/engineering/",
        managed=True,
        exemption=exemption,
        keys=keys,
        login_profile_created=None if password_idle is None else NOW - 400 * DAY,
        password_last_used=None if password_idle is None else NOW - password_idle * DAY,
        has_key_secret=any(k.stored_as for k in keys),
    )


def kinds(facts: UserFacts) -> list[tuple[ActionKind, str | None]]:
    return [(a.kind, a.key_id) for a in due(facts, POLICY, NOW)]


# --- Turnstile's own keys -------------------------------------------------------------------------------------
def test_a_turnstile_key_is_rotated_at_exactly_90_days_not_at_89() -> None:
    assert kinds(user(key(age=90))) == [(ActionKind.ROTATE, "AKIAOLD0000000000001")]
    assert kinds(user(key(age=89.99))) == []


def test_an_old_key_is_not_rotated_while_a_second_key_holds_the_other_slot() -> None:
    found = due(user(key(age=120), key("AKIASELF000000000002", age=10, stored_as=None)), POLICY, NOW)
    assert [a.kind for a in found] == [ActionKind.WAIT, ActionKind.REPORT_TWO_KEYS]
    assert "two keys" in found[0].reason


def test_the_replaced_key_is_deactivated_once_the_replacement_is_7_days_old_and_used() -> None:
    old = key(age=100, stored_as="previous")
    assert kinds(user(old, key("AKIANEW0000000000002", age=6.99, used_days_ago=1))) == [
        (ActionKind.REPORT_TWO_KEYS, None)
    ]
    found = due(user(old, key("AKIANEW0000000000002", age=7, used_days_ago=1)), POLICY, NOW)
    assert (found[0].kind, found[0].key_id) == (ActionKind.DEACTIVATE_OLD, "AKIAOLD0000000000001")
    assert "used since" in found[0].reason


def test_an_unused_replacement_keeps_the_old_key_until_the_grace_runs_out_and_the_alert_says_so() -> None:
    old = key(age=110, stored_as="previous")
    assert [a.kind for a in due(user(old, key("AKIANEW0000000000002", age=13.9, used_days_ago=None)), POLICY, NOW)] == [
        ActionKind.REPORT_TWO_KEYS
    ]
    [off, _] = due(user(old, key("AKIANEW0000000000002", age=14, used_days_ago=None)), POLICY, NOW)
    assert off.kind == ActionKind.DEACTIVATE_OLD and "grace ran out" in off.reason and "NOT" in off.reason


def test_a_use_recorded_before_the_replacement_existed_does_not_count() -> None:
    new = LiveKey(
        key_id="AKIANEW0000000000002", active=True, created=NOW - 8 * DAY, last_used=None, stored_as="current"
    )
    assert [a.kind for a in due(user(key(age=100, stored_as="previous"), new), POLICY, NOW)] == [
        ActionKind.REPORT_TWO_KEYS
    ]


def test_the_old_key_is_deleted_exactly_7_days_after_its_deactivation() -> None:
    new = key("AKIANEW0000000000002", age=20)
    assert kinds(user(key(age=110, active=False, stored_as="previous", deactivated_days_ago=6.99), new)) == []
    assert kinds(user(key(age=110, active=False, stored_as="previous", deactivated_days_ago=7), new)) == [
        (ActionKind.DELETE_OLD, "AKIAOLD0000000000001")
    ]


def test_an_inactive_replaced_key_with_no_record_starts_its_deletion_clock_now() -> None:
    found = due(
        user(key(age=110, active=False, stored_as="previous"), key("AKIANEW0000000000002", age=20)), POLICY, NOW
    )
    assert [(a.kind, a.key_id) for a in found] == [(ActionKind.WAIT, "AKIAOLD0000000000001")]


# --- unused credentials (CIS 1.12) ---------------------------------------------------------------------------
@pytest.mark.parametrize("stored_as", ["current", None])
def test_a_key_unused_for_45_days_is_deactivated_not_rotated(stored_as: str | None) -> None:
    assert kinds(user(key(age=95, used_days_ago=45, stored_as=stored_as))) == [
        (ActionKind.DEACTIVATE_UNUSED, "AKIAOLD0000000000001")
    ]
    assert kinds(user(key(age=30, used_days_ago=44.9, stored_as=stored_as))) == []


def test_a_never_used_key_counts_from_its_creation() -> None:
    [action] = due(user(key(age=45, used_days_ago=None)), POLICY, NOW)
    assert action.kind == ActionKind.DEACTIVATE_UNUSED and "never used, created 45 days ago" in action.reason
    assert kinds(user(key(age=44.9, used_days_ago=None))) == []


def test_a_console_password_unused_for_45_days_is_removed() -> None:
    assert kinds(user(password_idle=45)) == [(ActionKind.REMOVE_UNUSED_PASSWORD, None)]
    assert kinds(user(password_idle=44.9)) == []


def test_an_unused_password_and_an_unused_key_are_both_named() -> None:
    assert {k for k, _ in kinds(user(key(age=200, used_days_ago=60), password_idle=50))} == {
        ActionKind.DEACTIVATE_UNUSED,
        ActionKind.REMOVE_UNUSED_PASSWORD,
    }


# --- keys the user made ---------------------------------------------------------------------------------------
def test_a_self_made_key_gets_a_reminder_at_80_days_once() -> None:
    assert kinds(user(key(age=79.9, stored_as=None))) == []
    assert kinds(user(key(age=80, stored_as=None))) == [(ActionKind.REMIND, "AKIAOLD0000000000001")]
    assert kinds(user(key(age=85, stored_as=None, reminded=True))) == []


def test_a_self_made_key_is_deactivated_after_90_days_plus_the_grace_and_never_deleted() -> None:
    assert kinds(user(key(age=103.9, stored_as=None, reminded=True))) == []
    assert kinds(user(key(age=104, stored_as=None, reminded=True))) == [
        (ActionKind.DEACTIVATE_SELF_MADE, "AKIAOLD0000000000001")
    ]
    assert kinds(user(key(age=400, stored_as=None, active=False, deactivated_days_ago=300))) == []


def test_two_active_keys_are_reported() -> None:
    found = due(user(key(age=10, stored_as=None), key("AKIASELF000000000002", age=5, stored_as=None)), POLICY, NOW)
    assert [a.kind for a in found] == [ActionKind.REPORT_TWO_KEYS]


# --- exemptions ----------------------------------------------------------------------------------------------
def test_an_exempt_user_is_reported_not_touched() -> None:
    [action] = due(user(key(age=200, used_days_ago=100), exemption="2027-03-01 vendor batch job INC-42"), POLICY, NOW)
    assert action.kind == ActionKind.EXEMPT and "until 2027-03-01: vendor batch job INC-42" in action.reason


@pytest.mark.parametrize(
    ("value", "note"),
    [
        ("2027-02-28 vendor batch job", "expired on 2027-02-28"),
        ("2027-12-31", "gives no reason"),
        ("2027-12-31   ", "gives no reason"),
        ("vendor batch job", "must start with an expiry date"),
        ("", "must start with an expiry date"),
    ],
)
def test_an_expired_or_incomplete_exemption_counts_as_none(value: str, note: str) -> None:
    exempt, why = exemption_of(value, NOW.date())
    assert not exempt and why and note in why
    assert kinds(user(key(age=90), exemption=value)) == [(ActionKind.ROTATE, "AKIAOLD0000000000001")]


# --- the report ----------------------------------------------------------------------------------------------
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


def row(
    name: str, path: str, *, key_age: float | None, used: float | None = 1, password_idle: float | None = None
) -> str:
    when = (NOW - key_age * DAY).isoformat() if key_age is not None else "N/A"
    last = (NOW - used * DAY).isoformat() if key_age is not None and used is not None else "N/A"
    password = "true" if password_idle is not None else "false"
    password_used = (NOW - password_idle * DAY).isoformat() if password_idle is not None else "N/A"
    created = (NOW - 500 * DAY).isoformat()
    key1 = f"{'true' if key_age is not None else 'false'},{when},{last},us-east-1,iam"
    return (
        f"{name},arn:aws:iam::123456789012:user{path}{name},{created},{password},{password_used},{created},N/A,"
        f"true,{key1},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    )


def report(*rows: str) -> CredentialReport:
    root = (
        "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
        "2026-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
        "false,N/A,false,N/A"
    )
    return CredentialReport(
        generated=NOW - 3 * 3600 * dt.timedelta(seconds=1), rows=tuple(parse("\n".join([HEADER, root, *rows])))
    )


def test_the_report_parser_skips_the_root_row_and_reads_paths_and_keys() -> None:
    [parsed] = report(row("jane", "/turnstile/engineering/", key_age=95)).rows
    assert isinstance(parsed, ReportRow) and parsed.path == "/turnstile/engineering/"
    assert parsed.keys == (ReportKey(active=True, last_rotated=NOW - 95 * DAY, last_used=NOW - DAY),)
    assert path_of("arn:aws:iam::123456789012:user/jane") == "/"


def test_the_report_flags_managed_path_users_only_and_most_overdue_first() -> None:
    found = candidates(
        report(
            row("fresh", "/turnstile/", key_age=10),
            row("old", "/turnstile/eng/", key_age=120),
            row("older", "/turnstile/", key_age=300),
            row("outsider", "/", key_age=400),
            row("lookalike", "/turnstilex/", key_age=400),
            row("nearly", "/turnstile/", key_age=80),
            row("idle-password", "/turnstile/", key_age=None, password_idle=45),
        ),
        POLICY,
        "/turnstile/",
        NOW,
    )
    assert [c.username for c in found] == ["older", "old", "nearly", "idle-password"]
    assert found[0].why == ("key 1 is 300 days old",)
    assert found[3].why == ("console password unused for 45 days",)


def test_a_plan_at_its_bound_fits_step_functions_payload_limit() -> None:
    """500 users (max_users_per_run) with 64-character names, every reason and two results each: under 256 KB,
    the limit on a state's data (README "Key rotation")."""
    from turnstile.models.rotation import Candidate, Outcome, PlanOutput, UserResult

    name = "u" * 64
    why = (
        tuple(f"key {n} is 1000 days old" for n in (1, 2))
        + ("key 1 unused for 1000 days",) * 2
        + (
            "two active keys",
            "console password unused for 1000 days",
        )
    )
    plan = PlanOutput(
        report_generated=NOW,
        users_in_report=5000,
        managed_path_users=5000,
        users=tuple(Candidate(username=name, why=why) for _ in range(POLICY.max_users_per_run)),
        deferred=4500,
    )
    result = UserResult(
        username=name,
        outcome=Outcome.ACTED,
        actions=("deactivate-self-made AKIA" + "X" * 16, "deactivate-unused AKIA" + "Y" * 16, "remove-unused-password"),
        note="n" * 200,
    )
    run = {"run_id": "arn:aws:states:us-east-1:123456789012:execution:turnstile-key-rotation:" + "r" * 80}
    before_map = len(plan.model_dump_json()) + len(str(run))
    after_map = len(plan.model_dump_json(exclude={"users"})) + POLICY.max_users_per_run * len(result.model_dump_json())
    assert max(before_map, after_map) < 256 * 1024
