"""ValidateHire: every rejection rule, and what a valid hire resolves to."""

from __future__ import annotations

import pytest
from turnstile.config import Department, Directory, Team
from turnstile.domain.validation import MAX_EVENT_BYTES, derive_username, validate_hire
from turnstile.errors import InvalidHireEvent

from tests.factories import hire_detail, hire_event

BOUNDARY = "arn:aws:iam::123456789012:policy/turnstile/TurnstileUserBoundary"
DIRECTORY = Directory(
    user_path="/turnstile/",
    default_boundary_arn=BOUNDARY,
    allowed_groups=["engineering", "backend", "finance"],
    departments={
        "Engineering": Department(
            groups=["engineering"], path="/turnstile/engineering/", teams={"Backend": Team(groups=["backend"])}
        ),
        "Finance": Department(groups=["finance"]),
        # Configuration validation prevents this; the validator still refuses it at run time.
        "Rogue": Department(groups=["admins"]),
    },
)


def validate(event: dict) -> object:
    return validate_hire(event, DIRECTORY, "hr.system")


def rejection(event: dict) -> str:
    with pytest.raises(InvalidHireEvent) as caught:
        validate(event)
    return str(caught.value)


def test_valid_hire_resolves_groups_path_boundary_and_tags() -> None:
    hire = validate(hire_event(hire_detail(access={"console": True, "programmatic": True})))
    assert hire.username == "jane.smith"
    assert hire.groups == ["engineering", "backend"]
    assert hire.path == "/turnstile/engineering/"
    assert hire.permissions_boundary_arn == BOUNDARY
    assert (hire.console, hire.programmatic) == (True, True)
    assert hire.tags["turnstile:managed"] == "true" and hire.tags["turnstile:employee-id"] == "E1001"


def test_department_and_team_match_case_and_spacing_insensitively() -> None:
    hire = validate(hire_event(hire_detail(department="  engineering ", team="BACKEND")))
    assert (hire.department, hire.team) == ("Engineering", "Backend")


def test_department_without_path_uses_the_base_path() -> None:
    hire = validate(hire_event(hire_detail(department="Finance", team=...)))
    assert hire.path == "/turnstile/" and hire.groups == ["finance"]


def test_given_username_is_kept() -> None:
    assert validate(hire_event(hire_detail(username="j.smith2"))).username == "j.smith2"


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Jane", "Smith", "jane.smith"),
        ("Zoë", "Ångström", "zoe.angstrom"),
        ("Mary Ann", "O'Neil", "mary-ann.oneil"),
        ("Jean-Luc", "Picard", "jean-luc.picard"),
    ],
)
def test_derived_usernames_are_lowercase_ascii_and_iam_legal(first: str, last: str, expected: str) -> None:
    assert derive_username(first, last) == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employee_id", ..., "detail.employee_id: Field required"),
        ("employee_id", "E 1001; DROP", "detail.employee_id: String should match pattern"),
        ("first_name", "", "detail.first_name: String should have at least 1 character"),
        ("last_name", "x" * 65, "detail.last_name: String should have at most 64 characters"),
        ("email", "not-an-email", "detail.email: String should match pattern"),
        ("department", ..., "detail.department: Field required"),
        ("access", {"console": "maybe"}, "detail.access.console: Input should be a valid boolean"),
        ("access", {"console": True, "admin": True}, "detail.access.admin: Extra inputs are not permitted"),
        ("salary", 100000, "detail.salary: Extra inputs are not permitted"),
        ("effective_date", "next monday", "detail.effective_date: Input should be a valid date"),
    ],
)
def test_malformed_fields_are_rejected_naming_the_field(field: str, value: object, message: str) -> None:
    assert message in rejection(hire_event(hire_detail(**{field: value})))


def test_rejection_messages_never_echo_the_input_value() -> None:
    assert "DROP" not in rejection(hire_event(hire_detail(employee_id="E 1001; DROP")))


def test_unknown_department_is_rejected_listing_the_known_ones() -> None:
    message = rejection(hire_event(hire_detail(department="Marketing")))
    assert "department: 'Marketing' is not configured" in message and "Engineering" in message


def test_unknown_team_is_rejected() -> None:
    assert "team (of Engineering): 'Frontend' is not configured" in rejection(hire_event(hire_detail(team="Frontend")))


def test_groups_outside_the_allow_list_are_rejected() -> None:
    assert "groups: ['admins'] are not in the allow-list" in rejection(
        hire_event(hire_detail(department="Rogue", team=...))
    )


@pytest.mark.parametrize("username", ["jane smith", "jane/smith", "jöhn", "x" * 65, "jane:smith"])
def test_illegal_given_usernames_are_rejected(username: str) -> None:
    message = rejection(hire_event(hire_detail(username=username)))
    assert "username" in message


def test_names_that_derive_no_legal_username_are_rejected() -> None:
    message = rejection(hire_event(hire_detail(first_name="李", last_name="王")))
    assert "username (derived from first_name and last_name)" in message


def test_no_access_requested_is_rejected() -> None:
    assert "neither console nor programmatic" in rejection(
        hire_event(hire_detail(access={"console": False, "programmatic": False}))
    )


def test_wrong_detail_type_is_rejected() -> None:
    assert "detail-type" in rejection(hire_event(**{"detail-type": "Employee Terminated"}))


def test_wrong_source_is_rejected() -> None:
    assert "is not the configured HR source" in rejection(hire_event(source="someone.else"))


def test_missing_detail_is_rejected() -> None:
    event = hire_event()
    del event["detail"]
    assert "detail: Field required" in rejection(event)


def test_oversized_events_are_rejected_before_parsing() -> None:
    event = hire_event(hire_detail(notes="x" * MAX_EVENT_BYTES))
    assert f"the limit is {MAX_EVENT_BYTES}" in rejection(event)
