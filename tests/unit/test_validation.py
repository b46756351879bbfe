"""ValidateHire: every rejection rule at its limits, what a valid hire resolves to, and that no reason ever
repeats the offending value."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from turnstile.config import DEFAULT_RESERVED_USERNAMES, Department, Directory, Team
from turnstile.domain.validation import MAX_EVENT_BYTES, MAX_REASON_CHARS, derive_username, validate_hire
from turnstile.errors import MAX_PROBLEMS, InvalidHireEvent
from turnstile.models.onboarding import Hire

from tests import factories

# These tests judge dates against one fixed envelope time, so they mean the same thing on any day they run.
SENT_AT = "2026-11-28T09:00:00Z"


def hire_detail(**overrides: Any) -> dict[str, Any]:
    return factories.hire_detail(**{"effective_date": "2026-12-01", **overrides})


def hire_event(detail: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    return factories.hire_event(detail if detail is not None else hire_detail(), **{"time": SENT_AT, **envelope})


BOUNDARY = "arn:aws:iam::123456789012:policy/turnstile/TurnstileUserBoundary"
DIRECTORY = Directory(
    user_path="/turnstile/",
    default_boundary_arn=BOUNDARY,
    department_boundaries={"Finance": "arn:aws:iam::123456789012:policy/turnstile/FinanceBoundary"},
    self_service_keys_group="turnstile-self-service-keys",
    allowed_groups=["engineering", "backend", "finance", "turnstile-self-service-keys"],
    departments={
        "Engineering": Department(
            groups=["engineering"], path="/turnstile/engineering/", teams={"Backend": Team(groups=["backend"])}
        ),
        "Finance": Department(groups=["finance"]),
        # Configuration validation prevents this; the validator still refuses it at run time.
        "Rogue": Department(groups=["admins"]),
    },
    reserved_usernames=list(DEFAULT_RESERVED_USERNAMES),
    max_effective_date_days=90,
    max_effective_date_age_days=30,
)
# hire_event()'s envelope time is 2026-11-28T09:00:00Z.
SENT = dt.date(2026, 11, 28)


def validate(event: dict[str, Any], directory: Directory = DIRECTORY) -> Hire:
    return validate_hire(event, directory, "hr.system")


def rejection(event: dict[str, Any], directory: Directory = DIRECTORY) -> str:
    with pytest.raises(InvalidHireEvent) as caught:
        validate(event, directory)
    return str(caught.value)


def test_valid_hire_resolves_groups_path_boundary_and_tags() -> None:
    detail = hire_detail(access={"console": True, "programmatic": True}, effective_date="2026-12-01")
    hire = validate(hire_event(detail))
    assert hire.username == "jane.smith"
    # a console user who asked for programmatic access manages their own keys (CIS 1.11): no key is issued
    assert hire.groups == ["engineering", "backend", "turnstile-self-service-keys"]
    assert hire.path == "/turnstile/engineering/"
    assert hire.permissions_boundary_arn == BOUNDARY
    assert (hire.console, hire.programmatic) == (True, True)
    assert hire.effective_date == dt.date(2026, 12, 1)
    assert hire.tags["turnstile:managed"] == "true" and hire.tags["turnstile:employee-id"] == "E1001"


@pytest.mark.parametrize(
    ("access", "self_service"),
    [({"console": True}, False), ({"console": False, "programmatic": True}, False), ({"programmatic": True}, True)],
)
def test_only_console_users_with_programmatic_access_get_self_service_keys(access: dict, self_service: bool) -> None:
    hire = validate(hire_event(hire_detail(access=access)))
    assert ("turnstile-self-service-keys" in hire.groups) == self_service


def test_a_department_with_its_own_ceiling_gets_its_boundary() -> None:
    hire = validate(hire_event(hire_detail(department="Finance", team=...)))
    assert hire.permissions_boundary_arn.endswith(":policy/turnstile/FinanceBoundary")


def test_the_hire_dumps_to_plain_json_and_back() -> None:
    """A handler returns `hire.model_dump()`: the Lambda runtime must be able to serialise it."""
    hire = validate(hire_event(hire_detail(effective_date="2026-12-01")))
    assert json.loads(json.dumps(hire.model_dump()))["effective_date"] == "2026-12-01"
    assert Hire.model_validate(hire.model_dump()) == hire


def test_department_and_team_match_case_and_spacing_insensitively() -> None:
    hire = validate(hire_event(hire_detail(department="  engineering ", team="BACKEND")))
    assert (hire.department, hire.team) == ("Engineering", "Backend")


def test_department_without_path_uses_the_base_path() -> None:
    hire = validate(hire_event(hire_detail(department="Finance", team=...)))
    assert hire.path == "/turnstile/" and hire.groups == ["finance"]


def test_given_username_is_kept() -> None:
    assert validate(hire_event(hire_detail(username="j.smith2"))).username == "j.smith2"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employee_id", ..., "detail.employee_id: Field required"),
        ("employee_id", "E 1001", "detail.employee_id: String should match pattern"),
        ("employee_id", "E" * 33, "detail.employee_id: String should match pattern"),
        ("first_name", "", "detail.first_name: String should have at least 1 character"),
        ("last_name", "x" * 65, "detail.last_name: String should have at most 64 characters"),
        ("last_name", "Smith\x00", "detail.last_name: Value error, contains a control"),
        ("first_name", "Jane\u202e", "detail.first_name: Value error, contains a control"),
        ("email", "not-an-email", "detail.email: String should match pattern"),
        ("email", "j@" + "x" * 250 + ".com", "detail.email: String should have at most 254 characters"),
        ("department", ..., "detail.department: Field required"),
        ("department", "x" * 129, "detail.department: String should have at most 128 characters"),
        ("access", {"console": "maybe"}, "detail.access.console: Input should be a valid boolean"),
        ("access", None, "detail.access: Input should be a valid dictionary"),
        ("access", {"console": True, "admin": True}, "detail.access.admin: Extra inputs are not permitted"),
        ("salary", 100000, "detail.salary: Extra inputs are not permitted"),
        ("username", "", "detail.username: String should have at least 1 character"),
        ("username", "x" * 65, "detail.username: String should have at most 64 characters"),
    ],
)
def test_malformed_fields_are_rejected_naming_the_field(field: str, value: object, message: str) -> None:
    assert message in rejection(hire_event(hire_detail(**{field: value})))


# --- strict types: nothing is coerced -------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["console", "programmatic"])
@pytest.mark.parametrize("value", ["yes", "true", "True", 1, 0, "1", None, 1.0, [True]])
def test_access_flags_must_be_json_booleans(flag: str, value: object) -> None:
    access = {"console": True, "programmatic": True, flag: value}
    assert f"detail.access.{flag}: Input should be a valid boolean" in rejection(hire_event(hire_detail(access=access)))


@pytest.mark.parametrize("field", ["employee_id", "first_name", "last_name", "email", "department", "username"])
@pytest.mark.parametrize("value", [1001, 10.5, True, ["E1001"], {"v": "E1001"}])
def test_strings_must_be_json_strings(field: str, value: object) -> None:
    assert f"detail.{field}: Input should be a valid string" in rejection(hire_event(hire_detail(**{field: value})))


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"time": 1764320400}, "time: Value error, must be an ISO 8601 date and time"),
        ({"time": "2026-11-28 09:00:00"}, "time: Value error, must be an ISO 8601 date and time"),
        ({"time": "2026-11-28T09:00:00"}, "time: Value error, must be an ISO 8601 date and time"),  # no offset
        ({"time": "2026-13-28T09:00:00Z"}, "time: Value error, is not a valid date and time"),
        ({"account": "12345678901"}, "account: String should match pattern"),
        ({"account": 123456789012}, "account: Input should be a valid string"),
        ({"id": "a b"}, "id: String should match pattern"),
        ({"region": "US EAST"}, "region: String should match pattern"),
        ({"resources": "arn:aws:x"}, "resources: Input should be a valid list"),
        ({"source": 5}, "source: Input should be a valid string"),
        ({"detail-type": "Employee Terminated"}, "detail-type: Input should be 'Employee Hired'"),
    ],
)
def test_the_envelope_is_strict_too(envelope: dict[str, Any], message: str) -> None:
    assert message in rejection(hire_event(**envelope))


# --- values AWS would refuse: IAM tag values and user names ---------------------------------------------

# IAM API Reference, Tag: values match [\p{L}\p{Z}\p{N}_.:/=+\-@]*, at most 256 characters.
TAG_ILLEGAL = [*"'!#&%*$?^{}|~`\"<>()[];,\\", "😀", "\u200b"]


@pytest.mark.parametrize("char", TAG_ILLEGAL)
def test_emails_are_iam_tag_values(char: str) -> None:
    message = rejection(hire_event(hire_detail(email=f"jane{char}smith@example.com")))
    assert "detail.email: Value error, contains a character outside" in message


@pytest.mark.parametrize("email", ["jane.smith+hr=1@example.com", "josé.núñez@exämple.com", "j_s-1@sub.example.co"])
def test_emails_within_the_tag_set_are_accepted(email: str) -> None:
    assert validate(hire_event(hire_detail(email=email))).email == email


def test_a_tag_value_must_not_start_with_the_aws_prefix() -> None:
    assert "detail.email: Value error, must not start with 'aws:'" in rejection(
        hire_event(hire_detail(email="AWS:jane@example.com"))
    )


@pytest.mark.parametrize("field", ["department", "team"])
@pytest.mark.parametrize("char", ["&", "!", "#", "'", ",", "😀", "(", ";"])
def test_departments_and_teams_are_iam_tag_values(field: str, char: str) -> None:
    message = rejection(hire_event(hire_detail(**{field: f"R{char}D"})))
    assert f"detail.{field}: Value error, contains a character outside" in message


@pytest.mark.parametrize(
    "username", ["a", "j" * 64, "Jane.Smith", "a+b", "a=b", "a.b", "a@b", "a_b", "a-b", "0day", "x" * 63 + "-"]
)
def test_given_usernames_within_iam_and_secret_name_rules_are_accepted(username: str) -> None:
    assert validate(hire_event(hire_detail(username=username))).username == username


# IAM allows [\w+=,.@-]; Secrets Manager names allow ASCII letters, digits and /_+=.@- : the intersection.
USERNAME_ILLEGAL = [*",/ :;!#&'\"*$%?()[]{}<>|\\~`^", "ö", "é", "Ж", "😀", "\t", "\u00a0"]


@pytest.mark.parametrize("char", USERNAME_ILLEGAL)
def test_every_character_outside_the_user_name_set_is_refused(char: str) -> None:
    message = rejection(hire_event(hire_detail(username=f"jane{char}smith")))
    assert message.startswith("username: must be 1-64 ASCII letters, digits and + = . @ _ -")


@pytest.mark.parametrize("first", [".", "-", "_", "=", "+", "@"])
def test_a_given_username_starts_with_a_letter_or_digit(first: str) -> None:
    assert "starting with a letter or digit" in rejection(hire_event(hire_detail(username=f"{first}jane")))


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Jane", "Smith", "jane.smith"),
        ("Zoë", "Ångström", "zoe.angstrom"),
        ("José", "Núñez", "jose.nunez"),
        ("Mary Ann", "O'Neil", "mary-ann.oneil"),
        ("Jean-Luc", "Picard", "jean-luc.picard"),
        ("Søren", "Straße", "soren.strasse"),
        ("Łukasz", "Dąbrowski", "lukasz.dabrowski"),
        ("Æsa", "D\u2019Angelo", "aesa.dangelo"),
        ("Jane", "Smith Jr.", "jane.smith-jr"),
        ("\uff2a\uff41\uff4e\uff45", "Smith", "jane.smith"),  # full-width forms fold (NFKD)
    ],
)
def test_derived_usernames_are_lowercase_ascii_and_iam_legal(first: str, last: str, expected: str) -> None:
    assert derive_username(first, last) == expected


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("Иван", "Smithson", "first_name"),
        ("Jane", "Smiths\u043en", "last_name"),  # a Cyrillic o: a homoglyph
        ("Γιώργος", "Smith", "first_name"),
        ("Jane", "😀", "last_name"),
        ("Jane 😀", "Smith", "first_name"),
        ("李", "王", "first_name"),
        ("Jane!", "Smith", "first_name"),
        ("Jane", "Smith, PhD", "last_name"),
        ("Jane", "../../etc", "last_name"),
        ("Jane", "'.", "last_name"),  # nothing left
        ("-", "Smith", "first_name"),
    ],
)
def test_a_name_part_that_cannot_be_folded_is_refused_not_dropped(first: str, last: str, field: str) -> None:
    message = rejection(hire_event(hire_detail(first_name=first, last_name=last)))
    assert message.startswith(f"{field}: ") and message.endswith("give an explicit username")
    # with an explicit username, the same names are fine
    hire = validate(hire_event(hire_detail(first_name=first, last_name=last, username="jane.smith")))
    assert (hire.first_name, hire.last_name) == (first, last)


def test_a_derived_username_longer_than_64_characters_is_refused() -> None:
    fits = hire_detail(first_name="a" * 32, last_name="b" * 31)
    assert len(validate(hire_event(fits)).username) == 64
    message = rejection(hire_event(hire_detail(first_name="a" * 32, last_name="b" * 32)))
    assert message == (
        "username (derived from first_name and last_name): must be 1-64 ASCII letters, digits and + = . @ _ -, "
        "starting with a letter or digit; give an explicit username"
    )


@pytest.mark.parametrize("name", DEFAULT_RESERVED_USERNAMES)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_reserved_usernames_are_refused_in_any_case(name: str, case: Any) -> None:
    message = rejection(hire_event(hire_detail(username=case(name))))
    assert message == "username: is a reserved name (see reserved_usernames); give another username"


def test_reserved_names_apply_to_derived_usernames() -> None:
    directory = DIRECTORY.model_copy(update={"reserved_usernames": ["root", "Jane.Smith"]})
    message = rejection(hire_event(), directory)
    assert message.startswith("username (derived from first_name and last_name): is a reserved name")


# --- effective_date: a window around the event's time -----------------------------------------------------


@pytest.mark.parametrize(
    ("days", "accepted"),
    [(0, True), (90, True), (91, False), (-30, True), (-31, False), (365, False), (-365, False)],
)
def test_effective_date_lies_within_the_window_around_the_events_time(days: int, accepted: bool) -> None:
    event = hire_event(hire_detail(effective_date=(SENT + dt.timedelta(days=days)).isoformat()))
    if accepted:
        assert validate(event).effective_date == SENT + dt.timedelta(days=days)
    else:
        side = "after" if days > 0 else "before"
        limit = 90 if days > 0 else 30
        assert rejection(event).startswith(f"effective_date: more than {limit} days {side} the event's time")


def test_the_window_is_measured_from_the_envelope_time_not_the_clock() -> None:
    event = hire_event(hire_detail(effective_date="2020-02-01"), time="2020-01-15T23:30:00-05:00")  # 01-16 UTC
    assert validate(event).effective_date == dt.date(2020, 2, 1)
    tight = DIRECTORY.model_copy(update={"max_effective_date_days": 15})
    assert "more than 15 days after" in rejection(event, tight)


def test_the_window_is_configurable() -> None:
    directory = DIRECTORY.model_copy(update={"max_effective_date_days": 0, "max_effective_date_age_days": 0})
    assert validate(hire_event(hire_detail(effective_date=SENT.isoformat())), directory)
    assert "more than 0 days after" in rejection(hire_event(hire_detail(effective_date="2026-11-29")), directory)
    assert "more than 0 days before" in rejection(hire_event(hire_detail(effective_date="2026-11-27")), directory)


def test_effective_date_is_optional() -> None:
    assert validate(hire_event(hire_detail(effective_date=...))).effective_date is None
    assert validate(hire_event(hire_detail(effective_date=None))).effective_date is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("next monday", "must be an ISO 8601 date, YYYY-MM-DD"),
        ("2026-12-01T00:00:00Z", "must be an ISO 8601 date, YYYY-MM-DD"),
        ("01/12/2026", "must be an ISO 8601 date, YYYY-MM-DD"),
        (1764547200, "must be an ISO 8601 date, YYYY-MM-DD"),  # a Unix time is not a date
        ("2026-02-30", "is not a valid calendar date"),
    ],
)
def test_effective_date_is_an_iso_date_string(value: object, message: str) -> None:
    assert f"detail.effective_date: Value error, {message}" in rejection(hire_event(hire_detail(effective_date=value)))


# --- configuration lookups and the rest --------------------------------------------------------------------


def test_unknown_department_is_rejected_listing_the_known_ones() -> None:
    message = rejection(hire_event(hire_detail(department="Marketing")))
    assert message == "department: is not configured (known: Engineering, Finance, Rogue)"


def test_the_known_list_is_capped() -> None:
    many = {f"Dept{i:02}": Department() for i in range(25)}
    message = rejection(
        hire_event(hire_detail(department="Marketing")), DIRECTORY.model_copy(update={"departments": many})
    )
    assert message.endswith("Dept09, …)") and "Dept10" not in message


def test_unknown_team_is_rejected() -> None:
    assert (
        rejection(hire_event(hire_detail(team="Frontend")))
        == "team (of Engineering): is not configured (known: Backend)"
    )


def test_groups_outside_the_allow_list_are_rejected() -> None:
    assert "groups: ['admins'] are not in the allow-list" in rejection(
        hire_event(hire_detail(department="Rogue", team=...))
    )


def test_no_access_requested_is_rejected() -> None:
    assert "neither console nor programmatic" in rejection(
        hire_event(hire_detail(access={"console": False, "programmatic": False}))
    )


def test_wrong_source_is_rejected_without_repeating_it() -> None:
    assert rejection(hire_event(source="someone.else")) == "source: is not the configured HR source (hr.system)"


def test_missing_detail_is_rejected() -> None:
    event = hire_event()
    del event["detail"]
    assert "detail: Field required" in rejection(event)


def test_oversized_events_are_rejected_before_parsing() -> None:
    event = hire_event(hire_detail(notes="x" * MAX_EVENT_BYTES))
    assert f"the limit is {MAX_EVENT_BYTES}" in rejection(event)


def test_a_flood_of_problems_is_summarised() -> None:
    event = hire_event(hire_detail(**{f"extra{i}": i for i in range(30)}))
    problems = rejection(event).split("; ")
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1] == f"and {30 - MAX_PROBLEMS} more"


def test_a_reason_is_at_most_1000_characters() -> None:
    long_keys = {f"{'k' * 60}{i:02}": i for i in range(40)}  # each named in full: they read as names
    reason = rejection(hire_event(hire_detail(**long_keys)))
    listed = reason.split("; ")
    assert len(reason) <= MAX_REASON_CHARS and listed[-1] == f"and {40 - len(listed) + 1} more"
    assert len(listed) - 1 < MAX_PROBLEMS  # the length, not the count, cut it short


# --- no rejection reason repeats what it rejects ----------------------------------------------------------

SQL = "x'; DROP TABLE users;--"
TRAVERSAL = "../../../etc/passwd"
EMOJI = "🔥💀"
BIG = "Q" * 120 * 1024
LONG = "W" * 8 * 1024  # under the size limit: reaches the field checks
PLANTED = [SQL, TRAVERSAL, EMOJI, BIG, LONG]
# What must never appear in a reason (a fragment of each planted value).
MARKERS = ["DROP TABLE", "../", "etc/passwd", "🔥", "💀", "QQQQQQQQ", "WWWWWWWW"]
DETAIL_FIELDS = ["employee_id", "first_name", "last_name", "email", "department", "team", "username", "effective_date"]
ENVELOPE_FIELDS = ["version", "id", "source", "account", "time", "region", "detail-type", "replay-name"]


def planted_events() -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for value in PLANTED:
        label = value[:12]
        events += [(f"detail.{f}={label}", hire_event(hire_detail(**{f: value}))) for f in DETAIL_FIELDS]
        events += [(f"{f}={label}", hire_event(**{f: value})) for f in ENVELOPE_FIELDS]
        events += [
            (f"access.console={label}", hire_event(hire_detail(access={"console": value}))),
            (f"resources={label}", hire_event(resources=[value])),
            (f"detail key={label}", hire_event(hire_detail(**{value: 1}))),
            (f"access key={label}", hire_event(hire_detail(access={value: True}))),
            (f"detail={label}", hire_event(detail=value)),
        ]
    # and everything at once
    events.append(("all", hire_event(hire_detail(**dict.fromkeys(DETAIL_FIELDS, SQL)), source=TRAVERSAL, id=EMOJI)))
    return events


@pytest.mark.parametrize(("label", "event"), planted_events(), ids=[label for label, _ in planted_events()])
def test_no_rejection_reason_contains_the_offending_value(label: str, event: dict[str, Any]) -> None:
    reason = rejection(event)
    assert not [marker for marker in MARKERS if marker in reason], reason
    assert 0 < len(reason) <= MAX_REASON_CHARS


def test_the_name_of_an_unexpected_field_is_shown_only_when_it_reads_as_a_name() -> None:
    assert "detail.salary: Extra inputs are not permitted" in rejection(hire_event(hire_detail(salary=1)))
    assert "detail.<field>: Extra inputs are not permitted" in rejection(hire_event(hire_detail(**{SQL: 1})))
