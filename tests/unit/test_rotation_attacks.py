"""The key-rotation rules and run bookkeeping under attack, as pure logic: exemption values at their edges, a plan
that stuck users could fill for good, half-made keys, and state data or messages pushed past AWS's size limits.
(The same attacks against the deployed workflow: tests/workflows/test_key_rotation_attacks.py.)"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError
from turnstile.config import Rotation
from turnstile.domain import rotation, rotation_rules, rotation_runs
from turnstile.models.rotation import (
    ActionKind,
    CredentialReport,
    LiveKey,
    Outcome,
    PlanResults,
    ReportKey,
    ReportRow,
    RunInput,
    RunStart,
    UserFacts,
    UserResult,
)

NOW = dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
POLICY = Rotation()
STATE_LIMIT = 262_144  # Step Functions: a state's input or output, in bytes of UTF-8
SNS_LIMIT = 262_144


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


# --- half-made keys -----------------------------------------------------------------------------------------
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


OLD = LiveKey(
    key_id="AKIA0000000000000OLD", active=True, created=NOW - 95 * DAY, last_used=NOW - DAY, stored_as="current"
)


def test_a_key_turnstile_has_no_record_of_making_is_never_discarded_whenever_it_was_made() -> None:
    """The old key carries a rotation mark (a rotation failed on it); the user's own key, made after the mark, is
    not the rotation's."""
    marked = OLD.model_copy(update={"rotating_since": NOW - 3 * DAY})
    theirs = LiveKey(key_id="AKIA000000000000MINE", active=True, created=NOW - 2 * DAY, last_used=NOW)
    actions = rotation_rules.due(user(marked, theirs), POLICY, NOW)
    assert all(a.kind not in (ActionKind.DISCARD_HALF_MADE, ActionKind.DEACTIVATE_SELF_MADE) for a in actions)
    assert [a.kind for a in actions if a.key_id == OLD.key_id] == [ActionKind.WAIT]


def test_a_half_made_key_is_discarded_once_no_invocation_can_still_be_storing_it() -> None:
    half = LiveKey(
        key_id="AKIA000000000000HALF", active=True, created=NOW - DAY, last_used=None, made_by_rotation=NOW - DAY
    )
    actions = rotation_rules.due(user(OLD, half), POLICY, NOW)
    assert [(a.kind, a.key_id) for a in actions] == [
        (ActionKind.DISCARD_HALF_MADE, half.key_id),
        (ActionKind.ROTATE, OLD.key_id),  # its slot is free again
    ]


@pytest.mark.parametrize("made", [NOW - dt.timedelta(minutes=14), NOW, NOW + dt.timedelta(minutes=3)])
def test_a_half_made_key_another_invocation_may_still_store_leaves_the_user_alone(made: dt.datetime) -> None:
    half = LiveKey(key_id="AKIA000000000000HALF", active=True, created=made, last_used=None, made_by_rotation=NOW)
    actions = rotation_rules.due(user(OLD, half), POLICY, NOW)
    assert [(a.kind, a.key_id) for a in actions] == [(ActionKind.WAIT, half.key_id)]


# --- a key used at its creation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("used", "kind"),
    [
        (dt.timedelta(0), ActionKind.DEACTIVATE_OLD),  # used the instant it was made: used since
        (-dt.timedelta(seconds=1), None),  # "used" before it existed (another clock): not counted as used
    ],
)
def test_a_replacement_used_at_its_creation_counts_as_used(used: dt.timedelta, kind: ActionKind | None) -> None:
    made = NOW - 8 * DAY
    new = LiveKey(key_id="AKIA0000000000000NEW", active=True, created=made, last_used=made + used, stored_as="current")
    old = OLD.model_copy(update={"stored_as": "previous"})
    actions = rotation_rules.due(user(old, new), POLICY, NOW)
    assert [a.kind for a in actions if a.key_id == old.key_id] == ([kind] if kind else [])


# --- the run's input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["false", "True", 0, 1, "no", "off", "f"])
def test_dry_run_is_a_boolean_or_nothing(value: Any) -> None:
    with pytest.raises(ValidationError):
        RunInput.model_validate({"dry_run": value})
    assert RunInput.model_validate({}).dry_run is None and RunInput.model_validate({"dry_run": False}).dry_run is False


# --- sizes at the bounds ---------------------------------------------------------------------------------------
LONGEST = "u" * 64  # IAM's longest user name


def worst_row(n: int) -> ReportRow:
    name = f"{n:04d}" + LONGEST[4:]
    old = ReportKey(active=True, last_rotated=NOW - 3000 * DAY, last_used=None)
    return row(name, old, old, password=True)


def test_the_plan_fits_a_state_at_the_configurations_bound() -> None:
    users = Rotation.model_fields["max_users_per_run"].metadata[-1].le
    policy = Rotation(max_users_per_run=users)
    report = CredentialReport(generated=NOW, rows=tuple(worst_row(n) for n in range(users + 10)))
    iam = FakeReportIam(report)

    found = rotation_runs.plan(iam, policy, "/turnstile/", NOW)

    assert len(found.users) == users and found.deferred == 10
    state = {"run": run_start().model_dump(mode="json"), "plan": found.model_dump(mode="json")}
    assert len(json.dumps(state).encode()) < STATE_LIMIT
    assert all(c.why for c in found.users)


def worst_result(n: int) -> UserResult:
    keys = [f"AKIA{n:016d}", f"AKIB{n:016d}"]
    return UserResult(
        username=f"{n:04d}" + LONGEST[4:],
        outcome=Outcome.FAILED,
        actions=(f"deactivate-self-made {keys[0]}", f"deactivate-self-made {keys[1]}", "remove-unused-password"),
        note="é" * 200,
    )


@pytest.mark.parametrize("users", [500, 1000])
def test_every_users_result_fits_its_share_of_the_maps_state(users: int) -> None:
    policy = Rotation(max_users_per_run=users)
    fitted = [rotation.fitted(worst_result(n), policy.max_users_per_run) for n in range(users)]
    state = {
        "run": run_start().model_dump(mode="json"),
        "plan": {"report_generated": NOW.isoformat(), "users_in_report": 10**6, "managed_path_users": 10**6},
        "users": [r.model_dump(mode="json") for r in fitted],
        "deferred": 10**6,
    }
    assert len(json.dumps(state).encode()) < STATE_LIMIT
    assert all(r.username and r.outcome == Outcome.FAILED and r.actions for r in fitted)
    small = UserResult(username="jane", outcome=Outcome.ACTED, actions=("rotate AKIA0000000000000001",))
    assert rotation.fitted(small, policy.max_users_per_run) == small


def test_the_published_summary_fits_an_sns_message_at_the_bound() -> None:
    """The summary lists every user not "nothing-due": it fits SNS's limit because each result fits its share."""
    policy = Rotation(max_users_per_run=1000)
    results = tuple(rotation.fitted(worst_result(n), policy.max_users_per_run) for n in range(1000))
    plan = PlanResults(report_generated=NOW, users_in_report=1000, managed_path_users=1000, users=results, deferred=7)
    sns, dynamodb = Recorder(), Recorder()

    rotation_runs.finish(dynamodb, sns, "table", "topic", run=run_start(), plan=plan)

    [published] = sns.calls["publish"]
    assert len(published["Message"].encode()) <= SNS_LIMIT
    assert len(json.loads(published["Message"])["failed"]) == 1000


# --- fakes ---------------------------------------------------------------------------------------------------
def run_start() -> RunStart:
    execution = "arn:aws:states:us-east-1:123456789012:execution:turnstile-key-rotation:" + "x" * 80
    return RunStart(run_id=execution, dry_run=False, now=NOW)


class FakeReportIam:
    """GenerateCredentialReport/GetCredentialReport answering one report, as CSV."""

    def __init__(self, report: CredentialReport) -> None:
        self.report = report

    def generate_credential_report(self) -> dict[str, Any]:
        return {"State": "COMPLETE"}

    def get_credential_report(self) -> dict[str, Any]:
        from localcloud.adapters.credential_report import COLUMNS

        def date(value: dt.datetime | None) -> str:
            return value.isoformat() if value else "N/A"

        lines = [COLUMNS]
        for r in self.report.rows:
            keys = [*r.keys, None, None][:2]
            key_columns = []
            for key in keys:
                if key is None:
                    key_columns += ["false", "N/A", "N/A", "N/A", "N/A"]
                else:
                    key_columns += [str(key.active).lower(), date(key.last_rotated), date(key.last_used), "N/A", "N/A"]
            lines.append(
                ",".join(
                    [
                        r.user,
                        r.arn,
                        date(r.created),
                        str(r.password_enabled).lower(),
                        date(r.password_last_used),
                        date(r.password_last_changed),
                        "N/A",
                        "true",
                        *key_columns,
                        "false",
                        "N/A",
                        "false",
                        "N/A",
                    ]
                )
            )
        return {"Content": "\n".join(lines).encode(), "GeneratedTime": self.report.generated}


class Recorder:
    """Any client: every call recorded by method name, answered with a message id."""

    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        def call(**params: Any) -> dict[str, Any]:
            self.calls.setdefault(name, []).append(params)
            return {"MessageId": "m-1"}

        return call
