"""The failure paths, proven as a whole (issue #6, item 16a).

Discover every AWS call the joiner's functions make on clean runs (a console user and a programmatic user, through
MFA enrolment), then for each call site, throttled and denied — and for each call of the failure path itself
after a first fault — run a hire with that fault in place and check the invariants:

1. nothing of another employee is touched (a bystander's user, groups, MFA device, claim, secrets);
2. no active access key exists without a secret whose current version holds it;
3. a hire that did not finish is alerted, and the alert says what is left;
4. the same event, sent again once the fault clears, onboards the user;
5. no password or secret key appears in any channel (checked once, after every cell).

The matrix is printed (`pytest -s`) with the number of cells that hold; every cell must hold.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from turnstile.dal.table import ClaimStatus
from turnstile.domain import claims, mfa, secrets_store
from turnstile.domain.access_keys import stored_key

from localcloud.adapters.faults import Call
from tests.workflows.scenarios import Deployed, person
from tests.workflows.test_secrets import everything_recorded, leaks, stored_secrets

THROTTLED = {
    "iam": "Throttling",
    "dynamodb": "ProvisionedThroughputExceededException",
    "sns": "Throttled",
    "secretsmanager": "ThrottlingException",
    "stepfunctions": "ThrottlingException",
    "kms": "ThrottlingException",
}
DENIED = {"iam": "AccessDenied", "sns": "AuthorizationError"}
NOT_FAULTED = ("logs", "xray", "sts")  # the platform's own calls, not Turnstile's code
Site = tuple[str, str, str]  # (function, service, action)


@dataclass
class Cell:
    site: Site
    code: str
    first_fault: Site | None = None
    status: str = ""
    violations: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.violations

    def row(self) -> str:
        where = " after " + "/".join(self.first_fault) if self.first_fault else ""
        mark = "holds" if self.holds else "FAILS: " + "; ".join(self.violations)
        return f"{'/'.join(self.site):<60} {self.code:<40} {self.status:<10} {mark}{where}"


def turnstile_sites(calls: list[Call]) -> list[Site]:
    return sorted({c.site for c in calls if c.caller.startswith("turnstile-") and c.service not in NOT_FAULTED})


def code_for(service: str, kind: str) -> str:
    if kind == "throttled":
        return THROTTLED.get(service, "ThrottlingException")
    return DENIED.get(service, "AccessDeniedException")


class Matrix:
    """Runs hires against one deployment, each under one or two faults."""

    def __init__(self, deployed: Deployed) -> None:
        self.deployed = deployed
        self.numbers = itertools.count(1)
        self.bystander = person("F0000", "By", "Stander")
        onboard(deployed, self.bystander)
        self.before = self.snapshot_bystander()

    def snapshot_bystander(self) -> dict[str, Any]:
        iam, ddb = self.deployed.client("iam"), self.deployed.client("dynamodb")
        claim = claims.get(ddb, self.deployed.table, "F0000")
        return {
            "user": iam.get_user(UserName="by.stander")["User"],
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="by.stander")["Groups"]),
            "mfa": iam.list_mfa_devices(UserName="by.stander")["MFADevices"],
            "claim": claim.model_dump() if claim else None,
            "secrets": {
                k: v
                for k, v in (
                    secrets_store.describe(
                        self.deployed.client("secretsmanager"), "turnstile/users/by.stander/console-password"
                    )
                    or {}
                ).items()
                if k != "ResponseMetadata"
            },
        }

    def hire_detail(self, programmatic: bool) -> dict[str, Any]:
        n = next(self.numbers)
        return person(f"F{n:04d}", "Cell", f"Number{n}", console=not programmatic, programmatic=programmatic)

    def run(self, cell: Cell, programmatic: bool) -> Cell:
        deployed, faults = self.deployed, self.deployed.cloud.faults
        detail = self.hire_detail(programmatic)
        username = f"cell.number{detail['employee_id'].lstrip('F0')}"
        mark = deployed.mark()
        injected = [faults.inject(cell.site[1], cell.site[2], cell.code, caller=cell.site[0])]
        if cell.first_fault is not None:
            service, action = cell.first_fault[1], cell.first_fault[2]
            injected.append(faults.inject(service, action, code_for(service, "denied"), caller=cell.first_fault[0]))
        try:
            [run] = deployed.hire(detail)
            if deployed.parked(run):
                deployed.enrol_mfa(username)
            deployed.cloud.settle()
            run = deployed.cloud.wait_for_execution(run["executionArn"], parked_ok=True)
        finally:
            for fault in injected:
                faults.remove(fault)
        if run["status"] == "RUNNING":  # e.g. the enrolment's confirmation failed: the sweeper is the backstop
            deployed.sweep_mfa()
            run = deployed.finish(run)
        cell.status = run["status"]
        self.check(cell, detail, username, run, mark)
        return cell

    def check(self, cell: Cell, detail: dict[str, Any], username: str, run: dict[str, Any], mark: int) -> None:
        deployed = self.deployed
        if self.snapshot_bystander() != self.before:
            cell.violations.append("the bystander changed")
        cell.violations += unstored_active_keys(deployed, [username, "by.stander"])
        if run["status"] != "SUCCEEDED":
            deployed.cloud.settle()
            said = [
                m
                for m in deployed.notifications(after=mark)
                if m.get("employee_id") == detail["employee_id"] or m.get("username") == username
            ]
            if not said:
                cell.violations.append(f"{run['status']} without an alert")
            elif not any("left" in m or m["event"] == "MfaDeadlinePassed" for m in said):
                cell.violations.append("the alert does not say what is left")
        [again] = deployed.hire(detail)
        if deployed.parked(again):
            deployed.enrol_mfa(username)
            again = deployed.finish(again)
        claim = claims.get(deployed.client("dynamodb"), deployed.table, detail["employee_id"])
        if claim is None or claim.status != ClaimStatus.ONBOARDED:
            cell.violations.append(f"a re-send did not onboard (claim {claim.status if claim else None})")
        elif deployed.client("iam").list_groups_for_user(UserName=username)["Groups"] == []:
            cell.violations.append("a re-send left the user without groups")
        if self.pending(username) and again["status"] != "RUNNING":
            deployed.sweep_mfa()  # the backstop: hourly in production
            if self.pending(username):
                cell.violations.append("a pending enrolment outlived its execution and the sweeper")

    def pending(self, username: str) -> bool:
        return mfa.pending_of(self.deployed.client("dynamodb"), self.deployed.table, username) is not None


def onboard(deployed: Deployed, detail: dict[str, Any]) -> None:
    [run] = deployed.hire(detail)
    assert deployed.parked(run), run
    deployed.enrol_mfa(f"{detail['first_name'].lower()}.{detail['last_name'].lower()}")
    assert deployed.finish(run)["status"] == "SUCCEEDED"


def unstored_active_keys(deployed: Deployed, usernames: list[str]) -> list[str]:
    """Active keys of these users (the cell's, the bystander's) that no secret's current version holds."""
    iam, sm = deployed.client("iam"), deployed.client("secretsmanager")
    found = []
    for username in usernames:
        try:
            keys = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
        except iam.exceptions.NoSuchEntityException:
            continue
        active = [k["AccessKeyId"] for k in keys if k["Status"] == "Active"]
        if not active:
            continue
        stored = stored_key(secrets_store.describe(sm, f"turnstile/users/{username}/access-key"), active)
        found += [f"active key of {username} without a stored secret" for k in active if k != stored]
    return found


def discover(matrix: Matrix, *, first_fault: Site | None = None) -> dict[Site, bool]:
    """Call sites of clean runs (or, with `first_fault`, of the failure path after it) -> programmatic?"""
    sites: dict[Site, bool] = {}
    for programmatic in (False, True):
        detail = matrix.hire_detail(programmatic)
        faults = matrix.deployed.cloud.faults
        with faults.recording() as calls:
            if first_fault is None:
                onboard(matrix.deployed, detail)
            else:
                service, action = first_fault[1], first_fault[2]
                with faults.injected(service, action, code_for(service, "denied"), caller=first_fault[0]):
                    [run] = matrix.deployed.hire(detail)
                    matrix.deployed.cloud.settle()
                    assert run["status"] == "FAILED"
            matrix.deployed.cloud.settle()
        for site in turnstile_sites(calls):
            sites.setdefault(site, programmatic)
    return sites


FIRST_FAULT: Site = ("turnstile-AddToGroups", "iam", "AddUserToGroup")


@dataclass
class Ran:
    matrix: Matrix
    joiner_sites: dict[Site, bool]
    joiner: list[Cell]
    failure_path_sites: dict[Site, bool]
    failure_path: list[Cell]


@pytest.fixture(scope="module")
def ran(deployed: Deployed) -> Ran:
    """Every cell, run once for the module (the tests below only read the results: their order does not matter)."""
    matrix = Matrix(deployed)
    joiner_sites = discover(matrix)
    joiner = [
        matrix.run(Cell(site, code_for(site[1], kind)), programmatic)
        for site, programmatic in joiner_sites.items()
        for kind in ("throttled", "denied")
    ]
    report(joiner, "joiner call sites")
    after_first = discover(matrix, first_fault=FIRST_FAULT)
    failure_path_sites = {s: p for s, p in after_first.items() if s[0] in FAILURE_PATH}
    failure_path = [
        matrix.run(Cell(site, code_for(site[1], kind), first_fault=FIRST_FAULT), programmatic)
        for site, programmatic in failure_path_sites.items()
        for kind in ("throttled", "denied")
    ]
    report(failure_path, "failure-path call sites after a first fault")
    return Ran(matrix, joiner_sites, joiner, failure_path_sites, failure_path)


def test_every_call_site_under_throttling_and_denial_keeps_the_invariants(ran: Ran) -> None:
    assert ("turnstile-ClaimHire", "dynamodb", "PutItem") in ran.joiner_sites and len(ran.joiner_sites) >= 25
    assert [c.row() for c in ran.joiner if not c.holds] == []


def test_every_call_of_the_failure_path_after_a_first_fault_keeps_the_invariants(ran: Ran) -> None:
    functions = {site[0] for site in ran.failure_path_sites}
    assert functions >= {"turnstile-RollBackHire", "turnstile-ReconcileOnboarding"}, ran.failure_path_sites
    assert [c.row() for c in ran.failure_path if not c.holds] == []


def test_after_every_cell_no_secret_travelled_and_every_active_key_is_stored(ran: Ran) -> None:
    deployed = ran.matrix.deployed
    assert leaks(everything_recorded(deployed), stored_secrets(deployed)) == []
    users = [u["UserName"] for u in deployed.client("iam").list_users(PathPrefix="/turnstile/")["Users"]]
    assert len(users) > len(ran.joiner) / 2 and unstored_active_keys(deployed, users) == []


def test_the_invariant_checks_can_fail(ran: Ran) -> None:
    """A changed bystander and a key without a stored secret are seen (then undone)."""
    matrix, iam = ran.matrix, ran.matrix.deployed.client("iam")
    iam.tag_user(UserName="by.stander", Tags=[{"Key": "planted", "Value": "yes"}])
    key = iam.create_access_key(UserName="by.stander")["AccessKey"]["AccessKeyId"]
    try:
        assert matrix.snapshot_bystander() != matrix.before
        assert unstored_active_keys(matrix.deployed, ["by.stander"]) == [
            "active key of by.stander without a stored secret"
        ]
    finally:
        iam.delete_access_key(UserName="by.stander", AccessKeyId=key)
        iam.untag_user(UserName="by.stander", TagKeys=["planted"])
    assert matrix.snapshot_bystander() == matrix.before


FAILURE_PATH = ("turnstile-RollBackHire", "turnstile-RecordFailure", "turnstile-ReconcileOnboarding")


def report(cells: list[Cell], title: str) -> None:
    held = sum(c.holds for c in cells)
    print(f"\n{title}: {held} of {len(cells)} cells hold")
    for cell in cells:
        print("  " + cell.row())
