"""HR-bus events no workflow handled: those no rule routes (another source or detail-type), and those EventBridge
could not deliver (e.g. larger than a workflow's 256 KiB input, after its retries). Each is audited with bounded
envelope fields only; an alert goes out for the first of each kind in an hour, so a misconfigured HR system pages
once, not a thousand times."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..dal import table
from . import audit, notifications

SAFE = re.compile(r"^[\w .:/@+=-]{1,128}$")
WINDOW = dt.timedelta(hours=1)
UNROUTED = "no Turnstile workflow handles this source and detail-type; nothing was done"


def shown(value: Any) -> str:
    """A value fit to show in an alert: itself if short and plain, else a description of it."""
    if isinstance(value, str) and SAFE.fullmatch(value):
        return value
    return f"(not shown: {type(value).__name__}, {len(json.dumps(value, default=str))} characters)"


def record_unhandled(
    dynamodb: Any, sns: Any, table_name: str, topic_arn: str, event: Any, *, action: str, why: str
) -> dict[str, Any]:
    """Audit one unhandled event under `action` (HrEventUnrouted, HrEventUndeliverable) and alert, rate-limited."""
    now = dt.datetime.now(dt.UTC)
    envelope = event if isinstance(event, dict) else {}
    body = {
        "event_id": shown(envelope.get("id")),
        "source": shown(envelope.get("source")),
        "detail_type": shown(envelope.get("detail-type")),
        "size_bytes": len(json.dumps(event, default=str).encode()),
        "why": why[:500],
    }
    audit.record(dynamodb, table_name, subject="UNHANDLED", action=action, details=body, retention=table.RETENTION)
    kind = f"{action}|{body['source']}|{body['detail_type']}"[:256]
    window = now.replace(minute=0, second=0, microsecond=0).isoformat()
    seen = dynamodb.update_item(
        TableName=table_name,
        Key=table.rate_key(kind, window),
        UpdateExpression="ADD seen :one SET expires_at = :expires",
        ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(table.expires(now + 2 * WINDOW))}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]["seen"]["N"]
    alerted = int(seen) == 1
    if alerted:
        notifications.publish(
            sns,
            topic_arn,
            event=action,
            subject="Turnstile: an HR-bus event was not handled",
            body={**body, "note": "further events of this kind this hour are recorded, not alerted"},
        )
    return {"action": action, "alerted": alerted}


def record_dead_letters(
    dynamodb: Any, sns: Any, table_name: str, topic_arn: str, letters: list[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """Events EventBridge sent to the HR dead-letter queue: (body, error code, error message) each."""
    recorded = []
    for body, code, message in letters:
        try:
            event: Any = json.loads(body)
        except ValueError:
            event = body
        why = f"EventBridge could not deliver it to its workflow: {code} {message[:300]}".strip()
        recorded.append(
            record_unhandled(dynamodb, sns, table_name, topic_arn, event, action="HrEventUndeliverable", why=why)
        )
    return recorded
