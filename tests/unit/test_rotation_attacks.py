"""The key-rotation rules under attack, as pure logic: exemption values at their edges, a plan that stuck users
could fill for good, and the run's input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from turnstile.config import Rotation
from turnstile.domain import rotation, rotation_rules
from turnstile.models.rotation import (
    ActionKind,
    CredentialReport,
    LiveKey,
    Outcome,
    ReportKey,
    ReportRow,
    RunInput,
    UserFacts,
    UserResult,
)

NOW = dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
POLICY = Rotation()


# --- exemption values -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "2027-1-1 migration",  # not YYYY-MM-DD
        "20270701 migration",  # ISO basic format: Python reads it, the tag's format is not it
        "2027-W30-1 migration",  # ISO week date: likewise
        "\uff12\uff10\uff12\uff17-07-01 migration",  # fullwidth digits
        "\u0662\u0660\u0662\u0667-07-01 migration",  # Arabic-Indic digits (\\d would take them)
        "2027-07-01\tmigration",  # no space after the date
        "2027-02-30 migration",  # no such day
        "2027-07-01 \u200b",  # a reason nobody can see
        "2027-07-01 \u00a0\u2003",  # only spaces of other kinds
        "2027-07-01",
        " ",
        "",
        "migration 2027-07-01",
        "2027-05-31 expired yesterday",
    ],
)
def test_an_exemption_value_not_exactly_a_date_and_a_reason_exempts_nobody(value: str) -> None:
    exempt, note = rotation_rules.exemption_of(value, NOW.date())
    assert not exempt and note
    facts = user(LiveKey(key_id="AKIA0000000000000001", active=True, created=NOW - 200 * DAY, last_used=NOW))
    assert rotation_rules.due(facts.model_copy(update={"exemption": value}), POLICY, NOW)[0].kind != ActionKind.EXEMPT


@pytest.mark.parametrize(
    "value",
    [
        "2027-06-01 ends today",
        "  2027-07-01   padded  ",
        "2027-07-01 Überprüfung läuft — 監査",
        "2027-07-01 " + "x" * 245,
    ],
)
def test_an_exemption_with_a_date_and_a_visible_reason_exempts(value: str) -> None:
    exempt, note = rotation_rules.exemption_of(value, NOW.date())
    assert exempt and note and len(value) <= 256
    result = UserResult(username="jane", outcome=Outcome.SKIPPED, note=rotation._note(note))
    assert result.note and result.note.startswith("exempt until 2027-")


# --- the plan at its bound ------------------------------------------------------------------------------------
def row(name: str, *keys: ReportKey, password: bool = False) -> ReportRow:
    return ReportRow(
        user=name,
        arn=f"arn:aws:iam::123456789012:user/turnstile/{name}",
        path="/turnstile/",
        created=NOW - 900 * DAY,
        password_enabled=password,
        password_last_used=None,
        password_last_changed=NOW - 900 * DAY if password else None,
        mfa_active=True,
        keys=keys,
    )


def test_users_with_only_switched_off_keys_never_crowd_a_due_rotation_out_of_the_plan() -> None:
    """Self-made keys Turnstile switched off are never deleted, so their users are flagged at every run, ever older.
    With more of them than a run takes, a key due for rotation must still be in the plan (and a replaced key due
    for deletion before them)."""
    stuck = [
        row(f"stuck{n:04d}", ReportKey(active=False, last_rotated=NOW - (200 + n) * DAY, last_used=None))
        for n in range(POLICY.max_users_per_run + 100)
    ]
    due = row("due", ReportKey(active=True, last_rotated=NOW - 95 * DAY, last_used=NOW - DAY))
    replaced = row(
        "replaced",
        ReportKey(active=False, last_rotated=NOW - 112 * DAY, last_used=NOW - 20 * DAY),
        ReportKey(active=True, last_rotated=NOW - 22 * DAY, last_used=NOW - DAY),
    )
    report = CredentialReport(generated=NOW, rows=(*stuck, due, replaced))

    planned = [c.username for c in rotation_rules.candidates(report, POLICY, "/turnstile/", NOW)]

    assert planned[: POLICY.max_users_per_run].count("due") == 1
    assert planned.index("due") < planned.index("replaced") < planned.index("stuck0000")
    assert len(planned) == len(stuck) + 2


def test_among_active_keys_the_most_overdue_still_comes_first() -> None:
    report = CredentialReport(
        generated=NOW,
        rows=tuple(
            row(f"u{age}", ReportKey(active=True, last_rotated=NOW - age * DAY, last_used=NOW)) for age in (85, 120, 95)
        ),
    )
    assert [c.username for c in rotation_rules.candidates(report, POLICY, "/turnstile/", NOW)] == ["u120", "u95", "u85"]


# --- the run's input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["false", "True", 0, 1, "no", "off", "f"])
def test_dry_run_is_a_boolean_or_nothing(value: Any) -> None:
    with pytest.raises(ValidationError):
        RunInput.model_validate({"dry_run": value})
    assert RunInput.model_validate({}).dry_run is None and RunInput.model_validate({"dry_run": False}).dry_run is False


# --- helpers ----------------------------------------------------------------------------------------------------
def user(*keys: LiveKey, exemption: str | None = None) -> UserFacts:
    return UserFacts(
        username="jane",
        path="/turnstile/",
        managed=True,
        exemption=exemption,
        keys=keys,
        login_profile_created=None,
        password_last_used=None,
        has_key_secret=True,
    )
