"""`turnstile`: send HR events, and see what Turnstile did — in an AWS account or in the local cloud."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from . import reads, records, sending, views
from .cloud import CliError, Cloud, Options, explained

app = typer.Typer(
    name="turnstile",
    help="Turnstile's operator CLI: send HR events (validated, throttled) and see users, MFA enrolments and key "
    "rotation runs. Resources are found from the CloudFormation stack's outputs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class EventKind(enum.StrEnum):
    hire = "hire"
    transfer = "transfer"
    terminate = "terminate"


@app.callback()
def main(
    ctx: typer.Context,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="AWS endpoint, e.g. http://127.0.0.1:4566 for the local cloud (make demo ARGS=--serve)."),
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: the profile's or AWS_REGION).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: the SDK's default credentials).")] = None,
    stack_name: Annotated[str, typer.Option(help="The Turnstile CloudFormation stack.")] = "Turnstile",
) -> None:
    ctx.obj = Options(endpoint_url=endpoint_url, region=region, profile=profile, stack_name=stack_name)


def _fail(message: str) -> typer.Exit:
    views.error(message)
    return typer.Exit(1)


@app.command()
def send(
    ctx: typer.Context,
    kind: Annotated[EventKind, typer.Argument(help="hire, transfer or terminate.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file", "-f", help="CSV (with a header row) or YAML (a list of records, or one).", dir_okay=False
        ),
    ],
    bus: Annotated[
        str | None,
        typer.Option(help="The HR bus (the stack's HrBusName output); given, the stack is not read (DescribeStacks)."),
    ] = None,
    source: Annotated[str, typer.Option(help="The event source Turnstile is configured to accept.")] = "hr.system",
    rate: Annotated[float, typer.Option(help="Events per second at most.", min=0.1)] = 5.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and print; send nothing.")] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Send the valid records even if some are invalid.")
    ] = False,
) -> None:
    """Validate HR records, then put them on the HR bus (throttled).

    Every record is checked against the event contract first; an invalid one is listed by row, field and rule
    (never its value) and nothing is sent unless --skip-invalid. Events go out in PutEvents calls of at most 10,
    at most --rate a second. Run it with the HR integration's credentials: the bus accepts no other principal.
    """
    options: Options = ctx.obj
    event = records.KINDS[kind.value]
    try:
        valid, problems = records.validate(records.read(file, event), event)
    except CliError as error:
        raise _fail(str(error)) from None
    if problems:
        views.problems(problems, len(valid) + len({p.row for p in problems}))
        if not skip_invalid:
            views.note("nothing was sent (--skip-invalid sends the valid records)")
            raise typer.Exit(1)
    plan = sending.batches(valid, rate)
    if dry_run or not valid:
        target = f"bus {bus}" if bus else f"the HR bus of stack {options.stack_name}"
        views.planned(event.detail_type, valid, len(plan), rate, target, dry_run)
        raise typer.Exit(1 if problems else 0)
    cloud = _cloud(options)
    sent = sending.Sent()
    try:
        with explained(cloud):
            bus = bus or cloud.output("HrBusName")
            with views.progress(len(valid), f"{event.detail_type} → {bus}") as advance:
                sending.send(
                    cloud.client("events"),
                    bus=bus,
                    source=source,
                    detail_type=event.detail_type,
                    records=valid,
                    rate=rate,
                    on_batch=advance,
                    into=sent,
                )
    except CliError as error:
        if sent.outcomes:
            views.sent(sent, bus=bus or "?", rate=rate)
        raise _fail(f"{error} ({len(sent.outcomes)} of {len(valid)} events were sent before it)") from None
    views.sent(sent, bus=bus, rate=rate)
    if sent.failed or problems:
        raise typer.Exit(1)


@app.command()
def user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The IAM user name.")],
    max_executions: Annotated[
        int, typer.Option(help="How many recent executions of each workflow to look through.", min=1)
    ] = 100,
) -> None:
    """A user's lifecycle: IAM, hire claim, executions, MFA enrolment, audit trail."""
    cloud = _cloud(ctx.obj)
    with _explained(cloud):
        outputs = cloud.outputs
        found = reads.lifecycle(
            cloud.client("iam"), cloud.client("dynamodb"), cloud.client("stepfunctions"), outputs, username,
            max_executions,
        )  # fmt: skip
    if not found.known:
        what = "is an IAM user that" if found.iam else "is not an IAM user, and"
        raise _fail(f"{username} {what} Turnstile does not manage (no {reads.MANAGED_TAG}=true tag, no records)")
    views.lifecycle(found)


@app.command()
def pending(ctx: typer.Context) -> None:
    """Pending MFA enrolments, soonest deadline first."""
    cloud = _cloud(ctx.obj)
    with _explained(cloud):
        found = reads.pending_enrolments(cloud.client("dynamodb"), cloud.output("TableName"))
    views.pending(found)


@app.command()
def rotation(
    ctx: typer.Context,
    runs: Annotated[int, typer.Option(help="How many runs to show, newest first.", min=1)] = 1,
) -> None:
    """The last key-rotation run(s): actions per user, skipped and why, failed, deferred."""
    cloud = _cloud(ctx.obj)
    with _explained(cloud):
        dynamodb, table_name = cloud.client("dynamodb"), cloud.output("TableName")
        found = reads.rotation_runs(dynamodb, table_name, runs)
        lease = reads.rotation_lease(dynamodb, table_name)
    views.rotation_runs(found, lease)


def _cloud(options: Options) -> Cloud:
    try:
        return Cloud(options)
    except CliError as error:
        raise _fail(str(error)) from None


@contextlib.contextmanager
def _explained(cloud: Cloud) -> Iterator[None]:
    """`explained()`, ending the command with its one-line message and exit code 1."""
    try:
        with explained(cloud):
            yield
    except CliError as error:
        raise _fail(str(error)) from None
