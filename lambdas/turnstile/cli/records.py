"""HR records from a file (CSV or YAML), validated against the event contract before anything is sent.

A problem names the record (its row), the field and the rule — never the value: the file holds personal data,
and the terminal, a CI log or a ticket is no place to copy it to.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import field_problems
from ..models.hr_events import HireDetail, TerminationDetail, TransferDetail
from .cloud import CliError

MAX_DETAIL_BYTES = 16 * 1024  # what the onboarding workflow accepts (the validator's limit)


@dataclass(frozen=True)
class Kind:
    detail_type: str
    model: type[BaseModel]
    booleans: frozenset[str]  # dotted fields a CSV cell gives as true/false


KINDS = {
    "hire": Kind("Employee Hired", HireDetail, frozenset({"access.console", "access.programmatic"})),
    "transfer": Kind("Employee Transferred", TransferDetail, frozenset()),
    "terminate": Kind("Employee Terminated", TerminationDetail, frozenset({"immediate"})),
}
# CSV shorthands: a hire's `console` column is `access.console`.
ALIASES = {"console": "access.console", "programmatic": "access.programmatic"}


@dataclass(frozen=True)
class Record:
    row: int  # CSV: the spreadsheet row (the header is row 1); YAML: the record's position, from 1
    detail: dict[str, Any]


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    rule: str


def read(path: Path, kind: Kind) -> list[Record | Problem]:
    """The file's records, in order; a record that cannot even be read as one is a Problem."""
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{path}: cannot be read as UTF-8 text ({type(error).__name__})") from None
    if suffix == ".csv":
        return _from_csv(text, kind)
    if suffix in (".yaml", ".yml", ".json"):
        return _from_yaml(text, path)
    raise CliError(f"{path}: expected a .csv, .yaml, .yml or .json file")


def _from_csv(text: str, kind: Kind) -> list[Record | Problem]:
    reader = csv.reader(text.splitlines())
    header = [ALIASES.get(name.strip(), name.strip()) for name in next(reader, [])]
    if not any(header):
        raise CliError("the CSV file has no header row")
    found: list[Record | Problem] = []
    for index, cells in enumerate(reader):
        row = index + 2
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) > len(header):
            found.append(Problem(row, "(row)", f"has {len(cells)} cells; the header names {len(header)} columns"))
            continue
        detail: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if value and name:
                _put(detail, name, _boolean(value) if name in kind.booleans else value)
        found.append(Record(row, detail))
    return found


def _boolean(value: str) -> bool | str:
    """true/false (any case) as booleans; anything else stays a string, for the model to reject by rule."""
    return {"true": True, "false": False}.get(value.lower(), value)


def _put(detail: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = detail
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _from_yaml(text: str, path: Path) -> list[Record | Problem]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CliError(f"{path}: not valid YAML{where}") from None
    items = loaded if isinstance(loaded, list) else [] if loaded is None else [loaded]
    found: list[Record | Problem] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict):
            found.append(Record(index, _dates_as_text(item)))
        else:
            found.append(Problem(index, "(record)", "must be a mapping of field names to values"))
    return found


def _dates_as_text(value: Any) -> Any:
    """YAML reads an unquoted 2026-12-01 as a date; the event carries it as the string it was."""
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validate(items: list[Record | Problem], kind: Kind) -> tuple[list[Record], list[Problem]]:
    """Records that satisfy the contract, and every problem of the others (field and rule)."""
    valid: list[Record] = []
    problems: list[Problem] = [item for item in items if isinstance(item, Problem)]
    first_row: dict[str, int] = {}
    for record in (item for item in items if isinstance(item, Record)):
        found = _problems(record, kind)
        employee = record.detail.get("employee_id")
        if isinstance(employee, str) and not found:
            if employee in first_row:
                found.append(Problem(record.row, "employee_id", f"repeats row {first_row[employee]} of this file"))
            first_row.setdefault(employee, record.row)
        if found:
            problems += found
        else:
            valid.append(record)
    return valid, sorted(problems, key=lambda p: p.row)


def _problems(record: Record, kind: Kind) -> list[Problem]:
    try:
        kind.model.model_validate(record.detail)
    except ValidationError as error:
        return [Problem(record.row, *_split(problem)) for problem in field_problems(error, error.error_count())]
    size = len(json.dumps(record.detail).encode())
    if size > MAX_DETAIL_BYTES:
        return [Problem(record.row, "(record)", f"is {size} bytes as JSON; the limit is {MAX_DETAIL_BYTES}")]
    return []


def _split(problem: str) -> tuple[str, str]:
    field, _, rule = problem.partition(": ")
    return field, rule
