"""Rich rendering. Every value read from AWS or a file is shown as plain text (never parsed as Rich markup)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .reads import Execution, IamUser, Lifecycle, parse_time
from .records import Problem, Record
from .sending import Sent, batch_size

MAX_DETAILS = 300  # characters of an audit entry's details shown in a table cell


def _out() -> Console:
    return Console(highlight=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def error(message: str) -> None:
    _err().print(Text(f"error: {message}", style="bold red"), soft_wrap=True)


def note(message: str) -> None:
    _err().print(Text(message), soft_wrap=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(value: Any) -> str:
    at = parse_time(value)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "—"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _row(table: Table, *cells: Any) -> None:
    table.add_row(*(Text("—" if c is None else str(c)) for c in cells))


def _pairs(title: str, pairs: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False)
    table.add_column(style="dim")
    table.add_column()
    for key, value in pairs:
        _row(table, key, value)
    return table


# send --------------------------------------------------------------------------------------------------------
def problems(found: list[Problem], records: int) -> None:
    rows = len({p.row for p in found})
    table = _table(f"{rows} of {_n(records, 'record')} invalid (values are not shown)", "row", "field", "rule")
    for problem in found:
        _row(table, problem.row, problem.field, problem.rule)
    _err().print(table)


def planned(detail_type: str, valid: list[Record], calls: int, rate: float, target: str, dry_run: bool) -> None:
    table = _table(f"{len(valid)} valid: {detail_type}", "row", "employee_id", "username")
    for record in valid:
        _row(table, record.row, record.detail.get("employee_id"), record.detail.get("username") or "(derived)")
    console = _out()
    if valid:
        console.print(table)
    verb = "would be sent" if dry_run else "to send"
    console.print(
        Text(
            f"{_n(len(valid), 'event')} {verb} to {target} in {_n(calls, 'PutEvents call')} "
            f"(at most {batch_size(rate)} events each, {rate:g} events/s)"
            + (": dry run, nothing sent" if dry_run else ": nothing sent")
        )
    )


@contextlib.contextmanager
def progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=_err()
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.advance(task, done)


def sent(result: Sent, *, bus: str, rate: float) -> None:
    console = _out()
    failed = result.failed
    if failed:
        table = _table(f"{_n(len(failed), 'event')} not accepted", "row", "employee_id", "error", "message")
        for outcome in failed:
            _row(table, outcome.record.row, outcome.record.detail.get("employee_id"), outcome.error_code,
                 outcome.error_message)  # fmt: skip
        console.print(table)
    accepted = len(result.outcomes) - len(failed)
    console.print(
        Text(
            f"{accepted} of {_n(len(result.outcomes), 'event')} put on {bus} in {_n(result.calls, 'PutEvents call')} "
            f"(at most {batch_size(rate)} events each, {rate:g} events/s); {len(failed)} failed"
        )
    )


# user --------------------------------------------------------------------------------------------------------
def lifecycle(found: Lifecycle) -> None:
    console = _out()
    if found.iam is None:
        console.print(Text(f"{found.username}: no IAM user (deleted, or never created); Turnstile's records follow"))
    else:
        if not found.iam.managed:
            console.print(Text(f"{found.username}: not tagged turnstile:managed=true; Turnstile's records follow"))
        console.print(_iam(found.iam))
        if found.iam.access_keys:
            console.print(_keys(found.iam))
    console.print(_claim(found))
    console.print(_executions(found.executions))
    if found.pending:
        console.print(_pending_of(found.pending))
    else:
        console.print(Text("Pending MFA enrolment: none"))
    console.print(_audit(found.audit))


def _iam(user: IamUser) -> Table:
    boundary = user.user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return _pairs(
        "IAM user",
        [
            ("ARN", user.user["Arn"]),
            ("path", user.user["Path"]),
            ("created", _when(user.user.get("CreateDate"))),
            ("boundary", boundary),
            ("tags", "\n".join(f"{k}={v}" for k, v in sorted(user.tags.items())) or "none"),
            ("groups", ", ".join(sorted(user.groups)) or "none"),
            ("login profile", "yes (console password)" if user.login_profile else "no"),
            ("MFA devices", "\n".join(user.mfa_devices) or "none"),
        ],
    )


def _keys(user: IamUser) -> Table:
    table = _table("Access keys", "access key id", "status", "created", "age (days)")
    for key in user.access_keys:
        created = parse_time(key.get("CreateDate"))
        _row(table, key["AccessKeyId"], key["Status"], _when(created), (_now() - created).days if created else None)
    return table


def _claim(found: Lifecycle) -> Table | Text:
    claim = found.claim
    if not claim:
        return Text(f"Hire claim: none (employee id {found.employee_id or 'unknown'})")
    return _pairs(
        "Hire claim",
        [
            ("employee id", claim.get("employee_id")),
            ("status", claim.get("status")),
            ("execution", claim.get("execution_id")),
            ("claimed", _when(claim.get("claimed_at"))),
            ("updated", _when(claim.get("updated_at"))),
            *([("failure", claim["failure"])] if claim.get("failure") else []),
        ],
    )


def _executions(found: list[Execution]) -> Table | Text:
    if not found:
        return Text("Executions: none found")
    table = _table("Executions", "workflow", "execution", "status", "state", "started", "stopped")
    for run in found:
        state = run.state or "—"
        if run.waiting:
            state += " (waiting for its task token)"
        if run.error:
            state += f" [{run.error}]"
        _row(table, run.workflow, run.arn.rsplit(":", 1)[-1], run.status, state, _when(run.started),
             _when(run.stopped) if run.stopped else None)  # fmt: skip
    return table


def _pending_of(item: dict[str, Any]) -> Table:
    deadline = parse_time(item.get("deadline"))
    return _pairs(
        "Pending MFA enrolment",
        [
            ("deadline", _when(deadline)),
            ("overdue", _overdue(deadline)),
            ("registered", _when(item.get("registered_at"))),
            ("last reminded", _when(item.get("last_reminded")) if item.get("last_reminded") else None),
            ("effective date", item.get("effective_date")),
            ("execution", item.get("execution_id")),
        ],
    )


def _overdue(deadline: dt.datetime | None) -> str:
    if deadline is None:
        return "?"
    late = _now() - deadline
    if late.total_seconds() <= 0:
        return f"no ({_span(-late)} left)"
    return f"yes, by {_span(late)}"


def _span(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {int(delta.total_seconds() // 60) % 60}m"


def _audit(entries: list[dict[str, Any]]) -> Table | Text:
    if not entries:
        return Text("Audit trail: empty")
    table = _table("Audit trail", "at", "action", "details")
    for entry in entries:
        details = json.dumps(entry["details"], sort_keys=True, default=str)
        if len(details) > MAX_DETAILS:
            details = details[: MAX_DETAILS - 1] + "…"
        _row(table, _when(entry["at"]), entry["action"], details)
    return table


# pending -----------------------------------------------------------------------------------------------------
def pending(found: list[dict[str, Any]]) -> None:
    console = _out()
    if not found:
        console.print(Text("no pending MFA enrolments"))
        return
    table = _table(_n(len(found), "pending MFA enrolment"), "user", "employee id", "deadline", "overdue", "reminded")
    for item in found:
        deadline = parse_time(item.get("deadline"))
        reminded = _when(item["last_reminded"]) if item.get("last_reminded") else "no"
        _row(table, item["username"], item.get("employee_id"), _when(deadline), _overdue(deadline), reminded)
    console.print(table)


# rotation ----------------------------------------------------------------------------------------------------
OUTCOMES = ("acted", "planned", "skipped", "failed")


def rotation_runs(runs: list[dict[str, Any]], lease: dict[str, Any] | None) -> None:
    console = _out()
    if lease:
        holder, since = lease.get("execution_id"), _when(lease.get("started_at"))
        console.print(Text(f"a run holds the lease: {holder} since {since}"))
    if not runs:
        console.print(Text("no key-rotation run recorded yet"))
        return
    for run in runs:
        console.print(_run_summary(run))
        users = [(outcome, entry) for outcome in OUTCOMES for entry in run.get(outcome) or []]
        if users:
            table = _table("Users", "outcome", "user", "actions", "note")
            for outcome, entry in users:
                _row(table, outcome, entry.get("username"), ", ".join(entry.get("actions") or []) or None,
                     entry.get("note"))  # fmt: skip
            console.print(table)


def _run_summary(run: dict[str, Any]) -> Table:
    counts = run.get("counts") or {}
    failed = run.get("run_failed")
    ended = run.get("ended")
    return _pairs(
        f"Key-rotation run {str(run.get('run_id', '?')).rsplit(':', 1)[-1]}",
        [
            ("when", _when(run.get("as_of") or run.get("at"))),
            ("mode", "dry run (nothing changed)" if run.get("dry_run") else "real run"),
            ("credential report", _when(run.get("report_generated"))),
            ("users in report", run.get("users_in_report")),
            ("users looked at", run.get("users_looked_at")),
            ("outcomes", ", ".join(f"{k} {v}" for k, v in counts.items())),
            ("left for next run", run.get("deferred_to_next_run")),
            *([("run failed", f"{failed.get('error')}: {failed.get('cause')}")] if failed else []),
            *([("ended", f"{ended.get('status')} {ended.get('error') or ''}".strip())] if ended else []),
        ],
    )
