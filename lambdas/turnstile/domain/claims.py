"""One onboarding per hire, whatever EventBridge redelivers or the HR system re-sends.

The first execution to claim an employee's hire owns it; any other execution for the same hire
stops before touching IAM. The failure path releases the claim so that a replay can try again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..models.onboarding import Claim


def _key(employee_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EMPLOYEE#{employee_id}"}, "sk": {"S": "HIRE"}}


def claim_hire(dynamodb: Any, table: str, *, employee_id: str, username: str, execution_id: str) -> Claim:
    """Claim the hire for this execution. Claiming again from the same execution (a retry) succeeds."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                **_key(employee_id),
                "execution_id": {"S": execution_id},
                "username": {"S": username},
                "claimed_at": {"S": dt.datetime.now(dt.UTC).isoformat()},
                "status": {"S": "in_progress"},
            },
            ConditionExpression="attribute_not_exists(pk) OR execution_id = :me",
            ExpressionAttributeValues={":me": {"S": execution_id}},
        )
        return Claim(duplicate=False, claimed_by=execution_id)
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
    item = dynamodb.get_item(TableName=table, Key=_key(employee_id), ConsistentRead=True).get("Item", {})
    return Claim(duplicate=True, claimed_by=item.get("execution_id", {}).get("S", "unknown"))


def complete_hire(dynamodb: Any, table: str, *, employee_id: str, execution_id: str) -> None:
    dynamodb.update_item(
        TableName=table,
        Key=_key(employee_id),
        UpdateExpression="SET #s = :done, completed_at = :now",
        ConditionExpression="execution_id = :me",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":done": {"S": "onboarded"},
            ":now": {"S": dt.datetime.now(dt.UTC).isoformat()},
            ":me": {"S": execution_id},
        },
    )


def release_hire(dynamodb: Any, table: str, *, employee_id: str, execution_id: str) -> bool:
    """Drop this execution's claim (never another's). Returns whether a claim was released."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=_key(employee_id),
            ConditionExpression="execution_id = :me",
            ExpressionAttributeValues={":me": {"S": execution_id}},
        )
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
