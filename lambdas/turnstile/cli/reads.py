"""What Turnstile knows and did, read from IAM, the table and Step Functions. Read-only: nothing here writes, and
nothing reads a secret (the CLI never calls GetSecretValue)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..dal import table
from ..dal.iam_reads import EMPLOYEE_TAG, MANAGED_TAG
from ..domain import audit
from ..domain.rotation_runs import RUN_SUBJECT

# Which workflows act on a user: (label, stack output). Offboarding and mover are used when the stack has them.
WORKFLOWS = (
    ("onboarding", "OnboardingStateMachineArn"),
    ("offboarding", "OffboardingStateMachineArn"),
    ("mover", "MoverStateMachineArn"),
)
RUN_SUMMARIES = frozenset({"KeyRotationRun", "KeyRotationDryRun"})
ENTERED = "StateEntered"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# IAM ---------------------------------------------------------------------------------------------------------
@dataclass
class IamUser:
    user: dict[str, Any]
    tags: dict[str, str]
    groups: list[str]
    login_profile: bool
    access_keys: list[dict[str, Any]]
    mfa_devices: list[str]

    @property
    def managed(self) -> bool:
        return self.tags.get(MANAGED_TAG) == "true"

    @property
    def employee_id(self) -> str | None:
        return self.tags.get(EMPLOYEE_TAG)


def iam_user(iam: Any, username: str) -> IamUser | None:
    try:
        user = iam.get_user(UserName=username)["User"]
    except ClientError as error:
        if _code(error) == "NoSuchEntity":
            return None
        raise
    tags: dict[str, str] = {}
    for page in iam.get_paginator("list_user_tags").paginate(UserName=username):
        tags.update({t["Key"]: t["Value"] for t in page["Tags"]})
    groups = [
        g["GroupName"]
        for page in iam.get_paginator("list_groups_for_user").paginate(UserName=username)
        for g in page["Groups"]
    ]
    try:
        iam.get_login_profile(UserName=username)
        login_profile = True
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        login_profile = False
    keys = [
        k
        for page in iam.get_paginator("list_access_keys").paginate(UserName=username)
        for k in page["AccessKeyMetadata"]
    ]
    devices = [
        d["SerialNumber"]
        for page in iam.get_paginator("list_mfa_devices").paginate(UserName=username)
        for d in page["MFADevices"]
    ]
    return IamUser(user, tags, groups, login_profile, keys, devices)


# the table ---------------------------------------------------------------------------------------------------
def item(dynamodb: Any, table_name: str, key: table.Key) -> dict[str, Any] | None:
    found = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")
    return table.from_item(found) if found else None


def pending_enrolments(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every pending MFA enrolment, soonest deadline first (the task token left out: it resumes a workflow)."""
    found: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("query").paginate(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": table.PENDING}},
    ):
        found += [without_token({**table.from_item(i), "username": i["sk"]["S"]}) for i in page["Items"]]
    return sorted(found, key=lambda p: parse_time(p.get("deadline")) or dt.datetime.max.replace(tzinfo=dt.UTC))


def without_token(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "task_token"}


def audit_entries(dynamodb: Any, table_name: str, subject: str) -> list[dict[str, Any]]:
    return audit.entries(dynamodb, table_name, subject)


def rotation_runs(dynamodb: Any, table_name: str, count: int) -> list[dict[str, Any]]:
    """The last `count` run summaries (newest first), each with the end record of its run if one exists."""
    runs: list[dict[str, Any]] = []
    ended: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("query").paginate(
        TableName=table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
        ExpressionAttributeValues={":pk": {"S": RUN_SUBJECT}, ":audit": {"S": "AUDIT#"}},
        ScanIndexForward=False,
    ):
        for entry in page["Items"]:
            action, details = entry["action"]["S"], json.loads(entry["details"]["S"])
            if action == "KeyRotationRunEnded":
                ended.setdefault(str(details.get("run_id")), {**details, "at": entry["at"]["S"]})
            elif action in RUN_SUMMARIES:
                runs.append({"action": action, "at": entry["at"]["S"], **details})
        if len(runs) >= count:
            break
    return [{**run, "ended": ended.get(str(run.get("run_id")))} for run in runs[:count]]


def rotation_lease(dynamodb: Any, table_name: str) -> dict[str, Any] | None:
    return item(dynamodb, table_name, table.ROTATION_LEASE)


# Step Functions ----------------------------------------------------------------------------------------------
@dataclass
class Execution:
    workflow: str
    arn: str
    status: str
    started: dt.datetime | None
    stopped: dt.datetime | None
    state: str | None  # the state it is in (RUNNING) or ended in
    waiting: bool = False  # RUNNING, parked on a task token
    error: str | None = None


@dataclass
class Lifecycle:
    username: str
    iam: IamUser | None
    employee_id: str | None
    claim: dict[str, Any] | None
    pending: dict[str, Any] | None
    audit: list[dict[str, Any]]
    executions: list[Execution] = field(default_factory=list)

    @property
    def known(self) -> bool:
        """Turnstile manages the user, or has a record of it."""
        return bool((self.iam and self.iam.managed) or self.claim or self.pending or self.audit)


def lifecycle(
    iam: Any, dynamodb: Any, sfn: Any, outputs: dict[str, str], username: str, max_executions: int
) -> Lifecycle:
    table_name = outputs["TableName"]
    user = iam_user(iam, username)
    pending = item(dynamodb, table_name, table.pending_key(username))
    trail = audit_entries(dynamodb, table_name, f"USER#{username}")
    employee_id = (user.employee_id if user else None) or (pending or {}).get("employee_id") or _from_audit(trail)
    claim = item(dynamodb, table_name, table.claim_key(employee_id)) if employee_id else None
    if claim and claim.get("username") != username:
        claim = None  # the employee's hire made another user
    found = Lifecycle(username, user, employee_id, claim, without_token(pending) if pending else None, trail)
    if found.known:
        known = {str(x) for x in ((claim or {}).get("execution_id"), (pending or {}).get("execution_id")) if x}
        found.executions = executions_for(sfn, dynamodb, outputs, found, known, max_executions)
    return found


def _from_audit(trail: list[dict[str, Any]]) -> str | None:
    for entry in reversed(trail):
        employee = entry["details"].get("employee_id")
        if isinstance(employee, str):
            return employee
    return None


def executions_for(
    sfn: Any, dynamodb: Any, outputs: dict[str, str], user: Lifecycle, known: set[str], limit: int
) -> list[Execution]:
    """The user's executions of each workflow the stack has, among the `limit` most recent of each (plus those the
    claim and the pending enrolment name). Onboarding executions are matched by Turnstile's execution pointers
    (one BatchGetItem per 100); the other workflows' by their input's employee id or user name."""
    found: list[Execution] = []
    for workflow, output in WORKFLOWS:
        machine = outputs.get(output)
        if not machine:
            continue
        recent = _recent(sfn, machine, limit)
        if workflow == "onboarding":
            arns = _pointed(dynamodb, outputs["TableName"], recent, user.username) | {a for a in known if a}
        else:
            arns = {a for a in recent if _input_names(sfn, a, user)}
        found += [_execution(sfn, workflow, arn) for arn in arns if arn.split(":")[6:7] == machine.split(":")[6:7]]
    return sorted(found, key=lambda e: e.started or dt.datetime.min.replace(tzinfo=dt.UTC))


def _recent(sfn: Any, machine: str, limit: int) -> list[str]:
    arns: list[str] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine, PaginationConfig={"MaxItems": limit}
    ):
        arns += [e["executionArn"] for e in page["executions"]]
    return arns[:limit]


def _pointed(dynamodb: Any, table_name: str, arns: list[str], username: str) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(arns), 100):
        request: dict[str, Any] = {
            table_name: {
                "Keys": [table.execution_key(a) for a in arns[start : start + 100]],
                "ProjectionExpression": "pk, username",
            }
        }
        while request:
            response = dynamodb.batch_get_item(RequestItems=request)
            for entry in response["Responses"].get(table_name, []):
                if entry.get("username", {}).get("S") == username:
                    found.add(entry["pk"]["S"].removeprefix("EXECUTION#"))
            request = response.get("UnprocessedKeys") or {}
    return found


def _input_names(sfn: Any, arn: str, user: Lifecycle) -> bool:
    try:
        event = json.loads(sfn.describe_execution(executionArn=arn).get("input") or "{}")
    except ValueError:
        return False
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        return False
    return bool(
        (user.employee_id and detail.get("employee_id") == user.employee_id) or detail.get("username") == user.username
    )


def _execution(sfn: Any, workflow: str, arn: str) -> Execution:
    described = sfn.describe_execution(executionArn=arn)
    history = _latest_events(sfn, arn)
    state = next((e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith(ENTERED)), None)
    status = str(described["status"])
    return Execution(
        workflow=workflow,
        arn=arn,
        status=status,
        started=described.get("startDate"),
        stopped=described.get("stopDate"),
        state=state,
        waiting=status == "RUNNING" and bool(history) and history[0]["type"] == "TaskSubmitted",
        error=described.get("error"),
    )


def _latest_events(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's most recent history events, newest first (one call; the whole history if the endpoint
    ignores reverseOrder, as the emulator does)."""
    page = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=100)
    events: list[dict[str, Any]] = page["events"]
    if len(events) > 1 and events[0]["id"] < events[-1]["id"]:
        token = page.get("nextToken")
        while token:
            page = sfn.get_execution_history(executionArn=arn, maxResults=1000, nextToken=token)
            events += page["events"]
            token = page.get("nextToken")
    return sorted(events, key=lambda e: int(e["id"]), reverse=True)


def parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
