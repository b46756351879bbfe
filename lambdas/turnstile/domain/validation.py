"""Turn an "Employee Hired" event into a `Hire`, or reject it with a reason that names the field and the rule.

Nothing here calls AWS: a rejected event cannot have created anything. A reason never repeats an offending
value: it is copied into logs, the alert, the audit trail and the execution history. It names the field, the
rule and at most configuration (the known departments).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any, TypeVar

from pydantic import ValidationError

from ..config import Directory, normalise_key
from ..errors import MAX_PROBLEMS, InvalidHireEvent, field_problems
from ..models.aws_formats import USER_NAME, USER_NAME_RULE
from ..models.hr_events import HireDetail, HireEvent
from ..models.onboarding import Hire

MAX_EVENT_BYTES = 16 * 1024
# The alert and the audit record quote a reason whole: problems beyond this are counted, not listed.
MAX_REASON_CHARS = 1000
MAX_KNOWN_SHOWN = 10
T = TypeVar("T")

# Latin letters that NFKD does not decompose into an ASCII letter and a mark.
_LATIN_FOLDS = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
    | {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "\u0131": "i", "ħ": "h", "Ħ": "H"}
)
# In a name part: these separate words (they become '-'), these are dropped (O'Neil → oneil, St. → st).
_WORD_SEPARATORS = frozenset("-\u2010\u2011")
_DROPPED = frozenset("'\u2019\u2018\u02bc.\u00b7")  # apostrophes (straight, curly, modifier), period, middle dot


def validate_hire(event: dict[str, Any], directory: Directory, expected_source: str) -> Hire:
    """Validate the envelope and the HR record, then resolve groups, path and boundary from configuration."""
    size = len(json.dumps(event, default=str).encode())
    if size > MAX_EVENT_BYTES:
        raise InvalidHireEvent(f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        parsed = HireEvent.model_validate(event)
    except ValidationError as error:
        raise InvalidHireEvent(_joined(field_problems(error, limit=error.error_count()))) from None
    if parsed.source != expected_source:
        raise InvalidHireEvent(f"source: is not the configured HR source ({expected_source})")

    detail: HireDetail = parsed.detail
    if not (detail.access.console or detail.access.programmatic):
        raise InvalidHireEvent("access: neither console nor programmatic access was requested")
    _check_effective_date(detail.effective_date, parsed.time, directory)

    dept_name, department = _lookup(directory.departments, detail.department, "department")
    groups = list(department.groups)
    team_name = None
    if detail.team is not None:
        team_name, team = _lookup(department.teams, detail.team, f"team (of {dept_name})")
        groups += [g for g in team.groups if g not in groups]
    if detail.access.console and detail.access.programmatic:  # keys of their own, once MFA is present
        groups.append(directory.self_service_keys_group)
    outside = sorted(set(groups) - set(directory.allowed_groups))
    if outside:
        raise InvalidHireEvent(f"groups: {outside} are not in the allow-list")

    return Hire(
        employee_id=detail.employee_id,
        username=_username(detail, directory.reserved_usernames),
        first_name=detail.first_name,
        last_name=detail.last_name,
        email=detail.email,
        department=dept_name,
        team=team_name,
        path=department.path or directory.user_path,
        permissions_boundary_arn=directory.department_boundaries.get(dept_name, directory.default_boundary_arn),
        groups=groups,
        console=detail.access.console,
        programmatic=detail.access.programmatic,
        event_id=parsed.id,
        effective_date=detail.effective_date,
    )


def derive_username(first_name: str, last_name: str) -> str:
    """`first.last`, lower-case, accents folded to ASCII (José → jose, Straße → strasse).

    A part that cannot be folded — another script (Иван, and so a Cyrillic homoglyph in a Latin name), an
    emoji or a symbol — is rejected, asking for an explicit `username`, rather than silently dropped.
    """
    return ".".join(
        _fold_name_part(name, field) for name, field in ((first_name, "first_name"), (last_name, "last_name"))
    )


def _fold_name_part(name: str, field: str) -> str:
    words: list[str] = []
    for char in unicodedata.normalize("NFKD", name.translate(_LATIN_FOLDS)):
        if unicodedata.combining(char):
            continue  # the accent of a folded letter
        if char.isascii() and char.isalnum():
            words.append(char.lower())
        elif char.isspace() or char in _WORD_SEPARATORS:
            words.append("-")
        elif char not in _DROPPED:
            raise InvalidHireEvent(
                f"{field}: has a character that cannot be folded into a user name (another script, a symbol or "
                "an emoji), so none is derived from it; give an explicit username"
            )
    folded = re.sub(r"-{2,}", "-", "".join(words)).strip("-")
    if not folded:
        raise InvalidHireEvent(f"{field}: has no letter or digit to derive a user name from; give an explicit username")
    return folded


def _username(detail: HireDetail, reserved: list[str]) -> str:
    if detail.username is not None:
        field, name, hint = "username", detail.username, ""
    else:
        field, hint = "username (derived from first_name and last_name)", "; give an explicit username"
        name = derive_username(detail.first_name, detail.last_name)
    if not USER_NAME.fullmatch(name):
        raise InvalidHireEvent(f"{field}: must be {USER_NAME_RULE}{hint}")
    # IAM user names are unique case-insensitively ("Admin" is "admin"), and so is the deny-list.
    if name.casefold() in {r.casefold() for r in reserved}:
        raise InvalidHireEvent(
            f"{field}: is a reserved name (see reserved_usernames){hint or '; give another username'}"
        )
    return name


def _check_effective_date(day: dt.date | None, sent: dt.datetime, directory: Directory) -> None:
    """Measured from the envelope's `time`, not this function's clock, so a replay is judged as the original was."""
    if day is None:
        return
    offset = (day - sent.astimezone(dt.UTC).date()).days
    if offset > directory.max_effective_date_days:
        raise InvalidHireEvent(
            f"effective_date: more than {directory.max_effective_date_days} days after the event's time "
            "(hr.max_effective_date_days)"
        )
    if -offset > directory.max_effective_date_age_days:
        raise InvalidHireEvent(
            f"effective_date: more than {directory.max_effective_date_age_days} days before the event's time "
            "(hr.max_effective_date_age_days)"
        )


def _joined(problems: list[str]) -> str:
    """At most MAX_PROBLEMS problems and MAX_REASON_CHARS characters; the rest are counted."""
    reason = ""
    for listed, problem in enumerate(problems):
        longer = f"{reason}; {problem}" if reason else problem
        if listed == MAX_PROBLEMS or len(longer) > MAX_REASON_CHARS - len("; and 999 more"):
            return f"{reason}; and {len(problems) - listed} more" if reason else problem[:MAX_REASON_CHARS]
        reason = longer
    return reason


def _lookup(options: dict[str, T], wanted: str, what: str) -> tuple[str, T]:
    by_key = {normalise_key(name): (name, value) for name, value in options.items()}
    found = by_key.get(normalise_key(wanted))
    if found is None:
        names = sorted(options)
        known = ", ".join(names[:MAX_KNOWN_SHOWN]) + (", …" if len(names) > MAX_KNOWN_SHOWN else "")
        raise InvalidHireEvent(f"{what}: is not configured (known: {known or 'none configured'})")
    return found
