"""The Turnstile table: every item's key layout, its typed shape and its TTL, in one place.

| item               | pk                  | sk                      | expires (TTL `expires_at`)        |
| ------------------ | ------------------- | ----------------------- | --------------------------------- |
| hire claim         | EMPLOYEE#<id>       | HIRE                    | never (the idempotency record)    |
| execution pointer  | EXECUTION#<arn>     | HIRE                    | 400 days                          |
| pending MFA        | MFA_PENDING         | <username>              | 30 days after its deadline        |
| audit entry        | <subject>           | AUDIT#<time>#<action>   | rejections: 400 days              |
| rate-limit window  | RATE#<what>         | <window start>          | 2 days                            |
| access-key record  | KEY#<access key id> | ROTATION                | 400 days after its last change    |
| rotation run lease | RUN#key-rotation    | LEASE                   | 1 day (a dead run's lease lapses) |
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from ..aws import error_code

Key = dict[str, dict[str, str]]
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()

RETENTION = dt.timedelta(days=400)
PENDING = "MFA_PENDING"
# A pending item outlives its deadline a while, so the sweeper still sees (and enforces) it.
PENDING_GRACE = dt.timedelta(days=30)


def claim_key(employee_id: str) -> Key:
    return {"pk": {"S": f"EMPLOYEE#{employee_id}"}, "sk": {"S": "HIRE"}}


def execution_key(execution_id: str) -> Key:
    return {"pk": {"S": f"EXECUTION#{execution_id}"}, "sk": {"S": "HIRE"}}


def pending_key(username: str) -> Key:
    return {"pk": {"S": PENDING}, "sk": {"S": username}}


def key_record_key(access_key_id: str) -> Key:
    return {"pk": {"S": f"KEY#{access_key_id}"}, "sk": {"S": "ROTATION"}}


ROTATION_LEASE: Key = {"pk": {"S": "RUN#key-rotation"}, "sk": {"S": "LEASE"}}


def rate_key(what: str, window: str) -> Key:
    return {"pk": {"S": f"RATE#{what}"}, "sk": {"S": window}}


def expires(at: dt.datetime) -> int:
    """The TTL attribute's value (epoch seconds, as DynamoDB's TTL wants)."""
    return int(at.timestamp())


def unless_condition_fails(write: Callable[[], Any]) -> bool:
    """`write()` (a conditional write): True if it was written, False if its condition did not hold."""
    try:
        write()
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def attribute(value: Any) -> dict[str, Any]:
    """One DynamoDB attribute value from a plain JSON-able value."""
    return dict(_serializer.serialize(value))


def to_item(key: Key, values: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from plain JSON-able values (None values are left out)."""
    return {**key, **{k: attribute(v) for k, v in values.items() if v is not None}}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Plain values from a DynamoDB item (numbers come back as int)."""
    plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in plain.items()}


class ClaimStatus(enum.StrEnum):
    """A hire's claim moves in_progress → onboarded, or in_progress → rolling_back → failed; a failed claim may be
    taken over by a later execution (a replay). Only the claim's execution may roll back, and only before onboarded."""

    IN_PROGRESS = "in_progress"
    ROLLING_BACK = "rolling_back"
    ONBOARDED = "onboarded"
    FAILED = "failed"
    OFFBOARDED = "offboarded"  # the leaver workflow removed the user: a re-hire onboards again


class ClaimItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    employee_id: str
    execution_id: str
    username: str
    status: ClaimStatus
    claimed_at: str
    updated_at: str | None = None
    # What the hire said (the fields a re-send may change), to tell a duplicate from a changed re-send.
    hire: dict[str, Any] = {}
    failure: str | None = None
    left: list[str] = []


class ExecutionPointer(BaseModel):
    """Which hire an execution was about: how the reconciler finds a failed execution's claim."""

    model_config = ConfigDict(extra="ignore")

    execution_id: str
    employee_id: str
    username: str


class PendingEnrolment(BaseModel):
    """An onboarding parked on its task token until the user enrols MFA."""

    model_config = ConfigDict(extra="ignore")

    username: str
    task_token: str
    execution_id: str
    employee_id: str
    email: str
    deadline: dt.datetime
    registered_at: dt.datetime
    effective_date: dt.date | None = None
    last_reminded: dt.datetime | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PendingEnrolment:
        values = from_item(item)
        return cls.model_validate({**values, "username": values["sk"]})

    def to_item(self) -> dict[str, Any]:
        values = self.model_dump(mode="json", exclude={"username"})
        return to_item(pending_key(self.username), {**values, "expires_at": expires(self.deadline + PENDING_GRACE)})


class KeyRecord(BaseModel):
    """What Turnstile knows about an access key that IAM does not say: when it was made (or first seen) inactive,
    when its user was reminded, and a rotation started on it (so a retry can tell its own half-made key)."""

    model_config = ConfigDict(extra="ignore")

    access_key_id: str
    username: str
    deactivated_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    rotating_since: dt.datetime | None = None
    made_by_rotation: dt.datetime | None = None  # a rotation created this key (the run's time)
    deleting_since: dt.datetime | None = None  # its deletion as a replaced key has begun

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> KeyRecord:
        values = from_item(item)
        return cls.model_validate({**values, "access_key_id": values["pk"].removeprefix("KEY#")})
