"""HR events as the HR system sends them; tests override only what they are about."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

BASE_DETAIL: dict[str, Any] = {
    "employee_id": "E1001",
    "first_name": "Jane",
    "last_name": "Smith",
    "email": "jane.smith@example.com",
    "department": "Engineering",
    "team": "Backend",
    "access": {"console": True, "programmatic": False},
    # today: a start date in the past or the far future means other rules (the validator's window, the deadline)
    "effective_date": dt.datetime.now(dt.UTC).date().isoformat(),
}


def hire_detail(**overrides: Any) -> dict[str, Any]:
    detail = copy.deepcopy(BASE_DETAIL)
    for key, value in overrides.items():
        if value is ...:
            detail.pop(key, None)
        else:
            detail[key] = value
    return detail


def hire_event(detail: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    """The EventBridge envelope the onboarding workflow receives."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Employee Hired",
        "source": "hr.system",
        "account": "123456789012",
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail if detail is not None else hire_detail(),
        **envelope,
    }
