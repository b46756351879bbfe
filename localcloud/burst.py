"""`make bench`: a burst of hires against the deployed stack in the local cloud, with IAM throttling.

Puts N "Employee Hired" events on the HR bus at once (as the HR integration's role) while a share of every IAM
call is answered `Throttling`, waits until each execution has parked at AwaitMfaEnrolment (onboarded) or ended,
and reports: onboarded, duplicates, rolled back, failed otherwise, wall time, the peak number of IAM requests in
flight, each IAM-writing function's peak concurrency and how often Lambda throttled it. With
`--compare-unreserved` it runs the same burst again with `lambdas.iam_write_concurrency: null` (no reserved
concurrency), the alternative the bound is measured against. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stacks.configuration import CONFIG_ENV, DEFAULT_CONFIG, load_config
from stacks.function_specs import FUNCTIONS, writes_iam

from . import account
from .adapters.faults import Call
from .cloud import LocalCloud

IAM_WRITERS = {f"turnstile-{name}" for name, spec in FUNCTIONS.items() if writes_iam(spec)}


@dataclass
class Outcome:
    label: str
    hires: int
    executions: int
    onboarded: int
    duplicates: int
    rolled_back: int
    failed_otherwise: int
    wall_seconds: float
    iam_peak_in_flight: int
    iam_calls: int
    iam_throttled: int
    functions: dict[str, tuple[int, int]]  # IAM-writing function -> (peak concurrency, times throttled)
    causes: Counter[str]  # "state: error" that sent a hire that did not onboard to its failure path

    def table_row(self) -> str:
        return (
            f"| {self.label} | {self.hires} | {self.onboarded} | {self.duplicates} | {self.rolled_back} | "
            f"{self.failed_otherwise} | {self.wall_seconds:.0f} s | {self.iam_peak_in_flight} |"
        )


def synthesize(outdir: Path, config_overrides: dict[str, Any] | None) -> Path:
    """The app, synthesized in this process (as the tests do) from the configuration in use (TURNSTILE_CONFIG or
    the repo's), with `section.key` overrides."""
    from app import build_app

    previous = os.environ.get(CONFIG_ENV)
    if config_overrides:
        config = yaml.safe_load(Path(previous or DEFAULT_CONFIG).read_text())
        for dotted, value in config_overrides.items():
            section, key = dotted.split(".")
            config.setdefault(section, {})[key] = value
        path = outdir.parent / "turnstile.yaml"
        path.write_text(yaml.safe_dump(config))
        os.environ[CONFIG_ENV] = str(path)
    try:
        app, _ = build_app(str(outdir))
        app.synth()
    finally:
        if previous is None:
            os.environ.pop(CONFIG_ENV, None)
        else:
            os.environ[CONFIG_ENV] = previous
    return outdir


def hire(n: int) -> dict[str, Any]:
    return {
        "employee_id": f"B{n:05d}",
        "first_name": "Burst",
        "last_name": f"Hire{n:05d}",
        "email": f"burst.hire{n:05d}@example.com",
        "department": "Engineering",
        "team": "Backend",
        "access": {"console": True, "programmatic": False},
    }


def run_burst(label: str, assembly: Path, hires: int, throttle_share: float, seed: int) -> Outcome:
    chance = random.Random(seed)
    with LocalCloud() as cloud:
        account.prepare(cloud, load_config().hr.bus_name)
        deployment = cloud.deploy(assembly)
        machine = deployment.outputs["OnboardingStateMachineArn"]
        bus, hr = deployment.outputs["HrBusName"], account.hr_publisher(cloud)
        iam_calls: list[Call] = []

        def throttled(call: Call) -> bool:
            iam_calls.append(call)
            return chance.random() < throttle_share

        fault = cloud.faults.inject("iam", "*", "Throttling", when=throttled)
        cloud.faults.reset_peaks()
        started = time.monotonic()
        for n in range(hires):
            cloud.put_event(bus, "hr.system", "Employee Hired", hire(n), session=hr)
        runs = cloud.wait_for_executions(machine, hires, timeout=6 * 3600, parked_ok=True)
        wall = time.monotonic() - started
        cloud.faults.remove(fault)
        outcome = Counter(classify(cloud, run) for run in runs)
        causes = Counter(cause for run in runs if (cause := first_failure(cloud, run)) is not None)
        writers = {name: n for name, n in cloud.runtime.peak_concurrency.items() if name in IAM_WRITERS}
        return Outcome(
            label=label,
            hires=hires,
            executions=len(runs),
            onboarded=outcome["onboarded"],
            duplicates=outcome["duplicate"],
            rolled_back=outcome["rolled back"],
            failed_otherwise=outcome["failed"],
            wall_seconds=wall,
            iam_peak_in_flight=cloud.faults.peak_in_flight.get("iam", 0),
            iam_calls=len(iam_calls),
            iam_throttled=fault.hits,
            functions={name: (peak, cloud.runtime.throttled.get(name, 0)) for name, peak in sorted(writers.items())},
            causes=causes,
        )


def first_failure(cloud: LocalCloud, run: dict[str, Any]) -> str | None:
    """For a hire that did not onboard: the state and error that sent it to its failure path (the last task
    failure before the first Catch target, or before the end), as "State: Error (cause, trimmed)"."""
    if classify(cloud, run) in {"onboarded", "duplicate"}:
        return None
    history = cloud.history(run["executionArn"])
    state, last = "?", None
    for event in history:
        if entered := event.get("stateEnteredEventDetails"):
            if entered["name"] in {"RollBackHire", "RecordFailure"} and last is not None:
                break
            state = entered["name"]
        for key, details in event.items():
            if key.endswith("FailedEventDetails") or key.endswith("TimedOutEventDetails"):
                last = f"{state}: {details.get('error', '?')} ({str(details.get('cause', ''))[:100]})"
    return last or f"{state}: {run.get('status')}"


def classify(cloud: LocalCloud, run: dict[str, Any]) -> str:
    """onboarded (parked waiting for MFA), duplicate, rolled back (RollBackHire ran, whether or not it completed),
    or failed (any other end)."""
    history = cloud.history(run["executionArn"])
    states = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    if "DuplicateHire" in states:
        return "duplicate"
    if "RollBackHire" in states:
        return "rolled back"
    if run["status"] == "RUNNING" and states and states[-1] == "AwaitMfaEnrolment":
        return "onboarded"
    return "failed"


def report(outcome: Outcome) -> None:
    share = f"{outcome.iam_throttled} of {outcome.iam_calls} IAM calls throttled"
    print(f"\n== {outcome.label}: {outcome.hires} hires, {outcome.executions} executions, {share}")
    print(f"onboarded {outcome.onboarded}, duplicates {outcome.duplicates}, rolled back {outcome.rolled_back}, ")
    print(f"failed otherwise {outcome.failed_otherwise}; wall time {outcome.wall_seconds:.1f} s")
    print(f"peak IAM requests in flight: {outcome.iam_peak_in_flight}")
    for name, (peak, throttled) in outcome.functions.items():
        print(f"  {name:<34} peak concurrency {peak:>3}, throttled by Lambda {throttled:>6} times")
    for cause, count in outcome.causes.most_common():
        print(f"  not onboarded x{count}: {cause}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hires", type=int, default=1000)
    parser.add_argument("--throttle", type=float, default=0.10, help="share of IAM calls answered Throttling")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--compare-unreserved", action="store_true")
    args = parser.parse_args(argv)
    reserved = load_config().lambdas.iam_write_concurrency
    variants: list[tuple[str, dict[str, Any] | None]] = [(f"reserved concurrency {reserved} per IAM writer", None)]
    if args.compare_unreserved:
        variants.append(("no reserved concurrency", {"lambdas.iam_write_concurrency": None}))
    rows = []
    for label, overrides in variants:
        with tempfile.TemporaryDirectory() as tmp:
            assembly = synthesize(Path(tmp) / "cdk.out", overrides)
            outcome = run_burst(label, assembly, args.hires, args.throttle, args.seed)
        report(outcome)
        rows.append(outcome.table_row())
    columns = "hires | onboarded | duplicates | rolled back | failed otherwise | wall time | peak IAM in flight"
    print(f"\n| configuration | {columns} |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\ncommand: make bench ARGS='{' '.join(argv if argv is not None else sys.argv[1:])}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
