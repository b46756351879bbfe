"""A refused event, summarised for the audit trail and the alert: bounded, and only values that are themselves
valid — the offending values are never repeated (they may be huge, hostile, or personal data)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..models.onboarding import MAX_REASON, Rejection

SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KNOWN_DETAIL_TYPES = frozenset({"Employee Hired", "Employee Transferred", "Employee Terminated"})


def summarize(event: Any, reason: str) -> Rejection:
    envelope = event if isinstance(event, dict) else {}
    found = envelope.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else {}
    event_id, detail_type = envelope.get("id"), envelope.get("detail-type")
    employee_id = detail.get("employee_id")
    return Rejection(
        reason=reason[:MAX_REASON],
        event_id=event_id if isinstance(event_id, str) and SAFE_ID.fullmatch(event_id) else None,
        detail_type=detail_type if detail_type in KNOWN_DETAIL_TYPES else ("(other)" if detail_type else None),
        employee_id=employee_id if isinstance(employee_id, str) and EMPLOYEE_ID.fullmatch(employee_id) else None,
        size_bytes=len(json.dumps(event, default=str).encode()),
    )
