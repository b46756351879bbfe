"""One onboarding per hire, whatever EventBridge redelivers or the HR system re-sends — and ownership.

The first execution to claim an employee's hire owns it; any other execution for the same hire stops before
touching IAM. Ownership decides who may undo: only the claim's execution may roll back, and only while the claim
is in progress (see ClaimStatus). A failed claim (rolled back, or marked by the reconciler) may be taken over by a
later execution, so a replay of the event tries again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..dal import table
from ..dal.table import ClaimItem, ClaimStatus, ExecutionPointer
from ..errors import TurnstileError
from ..models.onboarding import ClaimOutcome, Hire

# The parts of a hire a re-send may change; a re-send that changes one is recorded and alerted, not applied.
HIRE_FIELDS = ("username", "first_name", "last_name", "email", "department", "team", "console", "programmatic")
IN_PROGRESS, ROLLING_BACK = ClaimStatus.IN_PROGRESS.value, ClaimStatus.ROLLING_BACK.value
ONBOARDED, FAILED = ClaimStatus.ONBOARDED.value, ClaimStatus.FAILED.value


class ClaimLost(TurnstileError):
    """This execution no longer owns the hire's claim (it was taken over, or never held)."""


def snapshot(hire: Hire) -> dict[str, Any]:
    values = hire.model_dump(mode="json")
    return {name: values.get(name) for name in (*HIRE_FIELDS, "effective_date")}


def claim_hire(dynamodb: Any, table_name: str, *, hire: Hire, execution_id: str) -> ClaimOutcome:
    """Claim the hire for this execution: a new claim, this execution's own (a retry), or a failed one (a replay)."""
    now = _now()
    dynamodb.put_item(
        TableName=table_name,
        Item=table.to_item(
            table.execution_key(execution_id),
            {
                "employee_id": hire.employee_id,
                "username": hire.username,
                "execution_id": execution_id,
                "expires_at": table.expires(dt.datetime.now(dt.UTC) + table.RETENTION),
            },
        ),
    )
    item = ClaimItem(
        employee_id=hire.employee_id,
        execution_id=execution_id,
        username=hire.username,
        status=ClaimStatus.IN_PROGRESS,
        claimed_at=now,
        hire=snapshot(hire),
    )
    try:
        response = dynamodb.put_item(
            TableName=table_name,
            Item=table.to_item(table.claim_key(hire.employee_id), item.model_dump(mode="json")),
            ConditionExpression=(
                "attribute_not_exists(pk) OR (execution_id = :me AND #s = :active) OR #s IN (:failed, :offboarded)"
            ),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":me": {"S": execution_id},
                ":active": {"S": IN_PROGRESS},
                ":failed": {"S": FAILED},
                ":offboarded": {"S": ClaimStatus.OFFBOARDED.value},
            },
            ReturnValues="ALL_OLD",
        )
        old = table.from_item(response.get("Attributes") or {})
        took_over = old.get("execution_id") if old.get("execution_id") not in (None, execution_id) else None
        return ClaimOutcome(owned=True, claimed_by=execution_id, status=IN_PROGRESS, took_over_from=took_over)
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
    existing = get(dynamodb, table_name, hire.employee_id)
    if existing is None:  # released between the two calls: let the workflow retry the step
        raise ClaimLost(f"the claim of employee {hire.employee_id} changed while being read; retry")
    sent = snapshot(hire)
    changed = {
        name: {"claimed": existing.hire.get(name), "sent": sent[name]}
        for name in sent
        if existing.hire and existing.hire.get(name) != sent[name]
    }
    return ClaimOutcome(owned=False, claimed_by=existing.execution_id, status=existing.status.value, changed=changed)


def get(dynamodb: Any, table_name: str, employee_id: str) -> ClaimItem | None:
    item = dynamodb.get_item(TableName=table_name, Key=table.claim_key(employee_id), ConsistentRead=True).get("Item")
    return ClaimItem.model_validate(table.from_item(item)) if item else None


def pointer(dynamodb: Any, table_name: str, execution_id: str) -> ExecutionPointer | None:
    item = dynamodb.get_item(TableName=table_name, Key=table.execution_key(execution_id), ConsistentRead=True).get(
        "Item"
    )
    return ExecutionPointer.model_validate(table.from_item(item)) if item else None


def complete_hire(dynamodb: Any, table_name: str, *, employee_id: str, execution_id: str) -> None:
    """Mark the hire onboarded. From here on no failure may delete the user: only the leaver workflow does."""
    if not _transition(dynamodb, table_name, employee_id, execution_id, (IN_PROGRESS, ONBOARDED), ONBOARDED):
        raise ClaimLost(f"execution does not own the claim of employee {employee_id}; nothing was marked onboarded")


def begin_rollback(dynamodb: Any, table_name: str, *, employee_id: str, execution_id: str) -> bool:
    """Whether this execution may roll the hire back: it owns the claim and the hire is not onboarded."""
    return _transition(dynamodb, table_name, employee_id, execution_id, (IN_PROGRESS, ROLLING_BACK), ROLLING_BACK)


def mark_failed(
    dynamodb: Any, table_name: str, *, employee_id: str, execution_id: str, failure: str, left: list[str]
) -> bool:
    """The hire failed before it was onboarded: record why and what is left, and let a replay take over."""
    return _transition(
        dynamodb,
        table_name,
        employee_id,
        execution_id,
        (IN_PROGRESS, ROLLING_BACK),
        FAILED,
        {"failure": failure[:1000], "left": left},
    )


def mark_offboarded(dynamodb: Any, table_name: str, *, employee_id: str, hire_execution: str) -> bool:
    """The leaver workflow removed this hire's user (whatever state its onboarding ended in): a re-hire of the
    employee may claim again. False if the claim is another hire's by now."""
    try:
        dynamodb.update_item(
            TableName=table_name,
            Key=table.claim_key(employee_id),
            UpdateExpression="SET #status = :offboarded, updated_at = :now",
            ConditionExpression="execution_id = :hire",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":offboarded": {"S": ClaimStatus.OFFBOARDED.value},
                ":now": {"S": _now()},
                ":hire": {"S": hire_execution},
            },
        )
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def _transition(
    dynamodb: Any,
    table_name: str,
    employee_id: str,
    execution_id: str,
    allowed_from: tuple[str, ...],
    to: str,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Move this execution's claim from one of `allowed_from` to `to`; False if it is not ours or not there."""
    updates = {"status": to, "updated_at": _now(), **(extra or {})}
    values = {f":{name}": table.attribute(value) for name, value in updates.items()}
    sources = {f":from{i}": {"S": status} for i, status in enumerate(allowed_from)}
    values.update(sources)
    values[":me"] = {"S": execution_id}
    try:
        dynamodb.update_item(
            TableName=table_name,
            Key=table.claim_key(employee_id),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in updates),
            ConditionExpression=f"execution_id = :me AND #status IN ({', '.join(sources)})",
            ExpressionAttributeNames={f"#{name}": name for name in updates},
            ExpressionAttributeValues=values,
        )
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
