"""The CLI's reading, validation and sending, without a cloud: files in, events (or problems) out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from turnstile.cli import main, records, sending
from turnstile.cli.cloud import Options
from typer.testing import CliRunner

TRANSFERS_YAML = """
- employee_id: E1001
  department: Finance
  effective_date: 2026-12-01   # unquoted: YAML reads a date; the event carries the string
- employee_id: 1002            # a number, not a string: the contract is strict
  department: Finance
  salary: 100000               # not in the contract
"""


def load(tmp_path: Path, name: str, text: str, kind: str) -> tuple[list[records.Record], list[records.Problem]]:
    path = tmp_path / name
    path.write_text(text)
    event = records.KINDS[kind]
    return records.validate(records.read(path, event), event)


def test_yaml_transfers(tmp_path: Path) -> None:
    valid, problems = load(tmp_path, "t.yaml", TRANSFERS_YAML, "transfer")
    assert [r.detail for r in valid] == [
        {"employee_id": "E1001", "department": "Finance", "effective_date": "2026-12-01"}
    ]
    assert [(p.row, p.field) for p in problems] == [(2, "employee_id"), (2, "salary")]
    assert problems[0].rule == "Input should be a valid string"
    assert problems[1].rule == "Extra inputs are not permitted"


def test_one_yaml_record_and_csv_terminations(tmp_path: Path) -> None:
    valid, problems = load(tmp_path, "one.yml", "employee_id: E7\nimmediate: true\nreason: misconduct\n", "terminate")
    assert not problems and valid[0].detail == {"employee_id": "E7", "immediate": True, "reason": "misconduct"}
    csv = "employee_id,immediate,effective_date\nE8,TRUE,\nE9,false,2026-13-01\nE8,,\n"
    valid, problems = load(tmp_path, "t.csv", csv, "terminate")
    assert [r.detail for r in valid] == [{"employee_id": "E8", "immediate": True}]
    assert [(p.row, p.field, p.rule) for p in problems] == [
        (3, "effective_date", "Value error, is not a valid calendar date"),
        (4, "employee_id", "repeats row 2 of this file"),
    ]


def test_hire_csv_columns(tmp_path: Path) -> None:
    csv = (
        "employee_id,first_name,last_name,email,department,console,programmatic,username\n"
        "E1,Jo,Li,jo.li@example.com,Engineering,false,true,svc.jo\n"
        "E2,Al,Bo,al.bo@example.com,Engineering,yes,,\n"
        "E3,Cy,Do,cy.do@example.com\n"
    )
    valid, problems = load(tmp_path, "h.csv", csv, "hire")
    assert valid[0].detail["access"] == {"console": False, "programmatic": True}
    assert [(p.row, p.field) for p in problems] == [(3, "access.console"), (4, "department")]


class FakeEvents:
    def __init__(self, fail: set[str]) -> None:
        self.fail = fail
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        return {
            "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
                if any(f in e["Detail"] for f in self.fail)
                else {"EventId": f"id-{len(self.calls)}-{i}"}
                for i, e in enumerate(Entries)
            ]
        }


def test_batches_are_throttled() -> None:
    rows = [records.Record(i, {"employee_id": f"E{i}"}) for i in range(25)]
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    events = FakeEvents(set())
    sent = sending.send(events, bus="b", source="s", detail_type="d", records=rows, rate=20, clock=lambda: now[0],
                        sleep=sleep)  # fmt: skip
    assert [len(c) for c in events.calls] == [10, 10, 5] and sent.calls == 3
    assert waits == [0.5, 0.5]  # 10 events per half second: 20 a second
    assert sending.batches(rows, 0.5) == [[r] for r in rows]  # below one a second: one per call
    assert sending.batch_size(3) == 3


def test_failed_entries_are_reported_and_the_exit_code_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = FakeEvents({"E2"})

    class FakeCloud:
        def __init__(self, options: Options) -> None:
            self.options = options
            self.last_call = "events:PutEvents"

        def client(self, service: str) -> Any:
            assert service == "events"
            return events

    monkeypatch.setattr(main, "Cloud", FakeCloud)
    path = tmp_path / "t.csv"
    path.write_text("employee_id,department\nE1,Finance\nE2,Finance\nE3,Finance\n")
    result = CliRunner().invoke(
        main.app, ["send", "transfer", "-f", str(path), "--bus", "hr", "--rate", "100"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "1 event not accepted" in result.output and "InternalFailure" in result.output
    assert "2 of 3 events put on hr in 1 PutEvents call" in result.output
