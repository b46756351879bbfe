"""The audit trail: what Turnstile did or refused, and why, in the Turnstile table."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

REJECTION_RETENTION = dt.timedelta(days=400)


def record(
    dynamodb: Any,
    table: str,
    *,
    subject: str,
    action: str,
    details: dict[str, Any],
    retention: dt.timedelta | None = None,
) -> str:
    """Append one audit entry under `subject` (e.g. USER#jane.smith); returns its sort key."""
    now = dt.datetime.now(dt.UTC)
    sort_key = f"AUDIT#{now.isoformat()}#{action}"
    item = {
        "pk": {"S": subject},
        "sk": {"S": sort_key},
        "action": {"S": action},
        "at": {"S": now.isoformat()},
        "details": {"S": json.dumps(details, sort_keys=True, default=str)},
    }
    if retention is not None:
        item["expires_at"] = {"N": str(int((now + retention).timestamp()))}
    dynamodb.put_item(TableName=table, Item=item)
    return sort_key


def entries(dynamodb: Any, table: str, subject: str) -> list[dict[str, Any]]:
    """Audit entries of a subject, oldest first, with details decoded."""
    paginator = dynamodb.get_paginator("query")
    found = []
    for page in paginator.paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
        ExpressionAttributeValues={":pk": {"S": subject}, ":audit": {"S": "AUDIT#"}},
    ):
        for item in page["Items"]:
            found.append(
                {"action": item["action"]["S"], "at": item["at"]["S"], "details": json.loads(item["details"]["S"])}
            )
    return found
