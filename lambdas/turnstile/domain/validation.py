"""Turn an "Employee Hired" event into a `Hire`, or reject it with a reason that names the field.

Nothing here calls AWS: a rejected event cannot have created anything.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, TypeVar

from pydantic import ValidationError

from ..config import Directory, normalise_key
from ..errors import InvalidHireEvent, field_problems
from ..models.hr_events import HireEvent
from ..models.onboarding import Hire

MAX_EVENT_BYTES = 16 * 1024
T = TypeVar("T")
IAM_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def validate_hire(event: dict[str, Any], directory: Directory, expected_source: str) -> Hire:
    """Validate the envelope and the HR record, then resolve groups, path and boundary from configuration."""
    size = len(json.dumps(event, default=str).encode())
    if size > MAX_EVENT_BYTES:
        raise InvalidHireEvent(f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        parsed = HireEvent.model_validate(event)
    except ValidationError as error:
        raise InvalidHireEvent("; ".join(field_problems(error))) from None
    if parsed.source != expected_source:
        raise InvalidHireEvent(f"source: {parsed.source!r} is not the configured HR source {expected_source!r}")

    detail = parsed.detail
    if not (detail.access.console or detail.access.programmatic):
        raise InvalidHireEvent("access: neither console nor programmatic access was requested")

    dept_name, department = _lookup(directory.departments, detail.department, "department")
    groups = list(department.groups)
    team_name = None
    if detail.team is not None:
        team_name, team = _lookup(department.teams, detail.team, f"team (of {dept_name})")
        groups += [g for g in team.groups if g not in groups]
    outside = sorted(set(groups) - set(directory.allowed_groups))
    if outside:
        raise InvalidHireEvent(f"groups: {outside} are not in the allow-list")

    return Hire(
        employee_id=detail.employee_id,
        username=_username(detail.username, detail.first_name, detail.last_name),
        first_name=detail.first_name,
        last_name=detail.last_name,
        email=detail.email,
        department=dept_name,
        team=team_name,
        path=department.path or directory.user_path,
        permissions_boundary_arn=department.permissions_boundary_arn or directory.default_boundary_arn,
        groups=groups,
        console=detail.access.console,
        programmatic=detail.access.programmatic,
        event_id=parsed.id,
    )


def derive_username(first_name: str, last_name: str) -> str:
    """`first.last`, lower-case, accents folded to ASCII, anything IAM would refuse dropped."""
    parts = []
    for name in (first_name, last_name):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        parts.append(re.sub(r"[^a-z0-9+=,@_-]", "", ascii_name.lower().replace(" ", "-")))
    return ".".join(p for p in parts if p)


def _username(given: str | None, first_name: str, last_name: str) -> str:
    name = given if given is not None else derive_username(first_name, last_name)
    if not IAM_USER_NAME.fullmatch(name):
        source = "username" if given is not None else "username (derived from first_name and last_name)"
        raise InvalidHireEvent(f"{source}: {name!r} is not a legal IAM user name ([\\w+=,.@-]{{1,64}}, ASCII)")
    return name


def _lookup(options: dict[str, T], wanted: str, what: str) -> tuple[str, T]:
    by_key = {normalise_key(name): (name, value) for name, value in options.items()}
    found = by_key.get(normalise_key(wanted))
    if found is None:
        known = ", ".join(sorted(options)) or "none configured"
        raise InvalidHireEvent(f"{what}: {wanted!r} is not configured (known: {known})")
    return found
