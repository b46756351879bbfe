"""The operator CLI against the local cloud, over HTTP (`--endpoint-url`): send a CSV of hires as the HR
integration, then look at users, pending MFA enrolments and key-rotation runs as an operator."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from turnstile.cli import sending
from turnstile.cli.main import app
from typer.testing import CliRunner

from tests.cli.conftest import Served

HIRES_CSV = """employee_id,first_name,last_name,email,department,team,access.console,access.programmatic
C2001,Ada,Lovelace,ada.lovelace@example.com,Engineering,Backend,true,false
C2002,Alan,Turing,alan.turing@example.com,Engineering,,true,false
C2003,Grace,Hopper,grace.hopper@example.com,Finance,,true,false
"""
USERS = ("ada.lovelace", "alan.turing", "grace.hopper")
INVALID_CSV = """employee_id,first_name,last_name,email,department,console,programmatic
C3001,Edsger,Dijkstra,edsger.dijkstra@example.com,Engineering,true,false
C3002,Barbara,Liskov,barbara.liskov(at)example.com,Engineering,true,false
C3003,Donald,Knuth,donald.knuth@example.com,Engineering,maybe,false
"""
ROTATION_SCHEDULE = "turnstile-key-rotation"


def run(served: Served, *args: str, session: boto3.session.Session | None = None) -> Any:
    """The CLI, in this process, against the served endpoint; with `session`'s credentials if given (else the
    account root's, which the local cloud puts in the environment)."""
    env = {"COLUMNS": "250"}
    if session is not None:
        creds = session.get_credentials().get_frozen_credentials()
        env |= {"AWS_ACCESS_KEY_ID": creds.access_key, "AWS_SECRET_ACCESS_KEY": creds.secret_key}
        env |= {"AWS_SESSION_TOKEN": creds.token}
    return CliRunner().invoke(app, ["--endpoint-url", served.endpoint, *args], env=env)


def put_events_calls(served: Served) -> int:
    return sum(1 for d in served.deployed.cloud.authorization.decisions if d.call == "events:PutEvents")


@pytest.fixture(scope="module")
def hired(served: Served, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Three hires sent from a CSV at 2 events a second: two PutEvents calls (2 + 1); returns their onboarding
    executions, parked waiting for MFA enrolment."""
    path = tmp_path_factory.mktemp("hr") / "team.csv"
    path.write_text(HIRES_CSV)
    waits: list[float] = []
    before = put_events_calls(served)
    original, sending.pause = sending.pause, waits.append
    try:
        result = run(
            served,
            "send",
            "hire",
            "--file",
            str(path),
            "--rate",
            "2",
            "--bus",
            "turnstile-hr",
            session=served.deployed.hr_publisher,
        )
    finally:
        sending.pause = original
    assert result.exit_code == 0, result.output
    assert "3 of 3 events put on turnstile-hr in 2 PutEvents calls" in result.output
    assert put_events_calls(served) - before == 2
    # the second call waits out the rest of its second (recorded, not waited; how much is left depends on how
    # long the first call took: test_records.py checks the arithmetic with a fake clock)
    assert len(waits) <= 1 and all(0 < w <= 1.0 for w in waits)
    cloud = served.deployed.cloud
    return cloud.wait_for_executions(served.deployed.state_machine, 3, parked_ok=True)


def test_a_csv_of_hires_becomes_three_onboardings(served: Served, hired: list[dict[str, Any]]) -> None:
    assert all(served.deployed.parked(execution) for execution in hired)
    iam = served.deployed.client("iam")
    assert {u["UserName"] for u in iam.list_users(PathPrefix="/turnstile/")["Users"]} >= set(USERS)


def test_an_invalid_row_is_reported_by_field_and_rule_and_nothing_is_sent(served: Served, tmp_path: Path) -> None:
    path = tmp_path / "invalid.csv"
    path.write_text(INVALID_CSV)
    before = put_events_calls(served)
    result = run(served, "send", "hire", "--file", str(path), session=served.deployed.hr_publisher)
    assert result.exit_code == 1
    assert "2 of 3 records invalid" in result.output
    assert "│ 3   │ email" in result.output and "String should match pattern" in result.output
    assert "│ 4   │ access.console" in result.output and "valid boolean" in result.output
    assert "nothing was sent" in result.output
    assert "barbara.liskov(at)" not in result.output and "maybe" not in result.output  # values never shown
    assert put_events_calls(served) == before
    # --dry-run with --skip-invalid: what would go, still nothing sent
    result = run(served, "send", "hire", "--file", str(path), "--skip-invalid", "--dry-run")
    assert result.exit_code == 1
    assert "1 event would be sent" in result.output and "C3001" in result.output
    assert put_events_calls(served) == before


def test_user_shows_the_parked_execution_the_deadline_and_tags(served: Served, hired: list[dict[str, Any]]) -> None:
    result = run(served, "user", "ada.lovelace")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "AwaitMfaEnrolment (waiting for its task token)" in out
    assert "onboarding" in out and "RUNNING" in out
    assert "turnstile:managed=true" in out and "turnstile:employee-id=C2001" in out
    assert "login profile │ yes" in out
    table = served.deployed.table
    pending = served.deployed.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": "MFA_PENDING"}, "sk": {"S": "ada.lovelace"}}
    )["Item"]
    deadline = dt.datetime.fromisoformat(pending["deadline"]["S"]).astimezone(dt.UTC)
    assert f"deadline       │ {deadline:%Y-%m-%d %H:%M:%S} UTC" in out
    assert pending["task_token"]["S"] not in out
    assert "Hire claim" in out and "onboarded" in out  # the claim is done; the MFA wait is the workflow's
    assert "Audit trail" in out


def test_a_user_turnstile_does_not_manage_says_so(served: Served) -> None:
    served.deployed.client("iam").create_user(UserName="bob.builder")
    for name, what in (("bob.builder", "is an IAM user that"), ("nobody.here", "is not an IAM user, and")):
        result = run(served, "user", name)
        assert result.exit_code == 1
        assert f"{name} {what} Turnstile does not manage" in result.output


def test_pending_lists_the_enrolments_by_deadline(served: Served, hired: list[dict[str, Any]]) -> None:
    result = run(served, "pending")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if any(u in line for u in USERS)]
    assert len(lines) == 3
    dynamodb = served.deployed.client("dynamodb")
    items = dynamodb.query(
        TableName=served.deployed.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "MFA_PENDING"}},
    )["Items"]
    by_deadline = [i["sk"]["S"] for i in sorted(items, key=lambda i: i["deadline"]["S"])]
    assert [next(u for u in USERS if u in line) for line in lines] == by_deadline
    assert all("no (" in line for line in lines)  # not overdue
    assert "C2002" in result.output


def test_rotation_shows_the_last_run(served: Served, hired: list[dict[str, Any]]) -> None:
    cloud = served.deployed.cloud
    assert "no key-rotation run recorded yet" in run(served, "rotation").output
    execution = cloud.wait_for_execution(cloud.fire_scheduler_schedule(ROTATION_SCHEDULE), timeout=180)
    assert execution["status"] == "SUCCEEDED"
    result = run(served, "rotation", "--runs", "3")
    assert result.exit_code == 0, result.output
    assert f"Key-rotation run {execution['executionArn'].rsplit(':', 1)[-1]}" in result.output
    assert "dry run (nothing changed)" in result.output
    assert "left for next run" in result.output


def test_refusals_are_one_line_errors(served: Served) -> None:
    result = run(served, "--stack-name", "NoSuchStack", "pending")
    assert result.exit_code == 1
    assert "error: stack 'NoSuchStack' not found in us-east-1" in result.output
    # the HR integration's role may put events, and nothing else
    result = run(served, "pending", session=served.deployed.hr_publisher)
    assert result.exit_code == 1
    assert "error: access denied: cloudformation:DescribeStacks" in result.output
    assert "Traceback" not in result.output


def test_the_command_in_its_own_process(served: Served, tmp_path: Path) -> None:
    """`python -m turnstile.cli` (what the console script runs): one line on stderr, exit code 1."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cli = [sys.executable, "-m", "turnstile.cli", "--endpoint-url", served.endpoint, "--region", "us-east-1"]
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    unknown = subprocess.run(
        [*cli, "--stack-name", "Nope", "rotation"], env=base | credentials, capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 1
    assert (
        unknown.stderr.strip()
        == "error: stack 'Nope' not found in us-east-1 (deployed elsewhere? --stack-name, --region)"
    )
    nowhere = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    anonymous = subprocess.run(
        [*cli, "pending"], env=base | nowhere | {"AWS_EC2_METADATA_DISABLED": "true"}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert anonymous.returncode == 1
    assert anonymous.stderr.startswith("error: no AWS credentials")
    assert "Traceback" not in unknown.stderr + anonymous.stderr
