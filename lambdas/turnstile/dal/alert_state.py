"""Alert state in the Turnstile table: one claim per alert (so a CloudTrail event delivered twice alerts once) and
the members of each burst window (so failed sign-ins or refusals are counted across invocations).

| item          | pk                                  | sk       | expires (TTL `expires_at`)          |
| ------------- | ----------------------------------- | -------- | ----------------------------------- |
| alert claim   | ALERT#<event id> / ALERT#<burst id> | CLAIM    | 2 days (longer than any redelivery) |
| burst member  | BURST#<detection>#<digest of key>   | <member> | the window after its time, + 1 day  |

A claim is `sending` until the alert is out, then `sent` (and `imported` once Security Hub has it). Its owner (a
token of the claiming invocation) holds it until that invocation's own deadline — as long as it can possibly be
sending — so nobody takes over from a slow sender. A second delivery that finds it `sending` waits: the alert is
sent meanwhile (a duplicate: nothing to do), or the holder's deadline passes (it died: this one takes over), or
its own deadline nears first (`AlertInProgress`: Lambda retries it later). Never two alerts, never none. Only the
owner marks a claim sent or gives it back.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import TurnstileError
from . import table

CLAIM_RETENTION = dt.timedelta(days=2)
POLL_SECONDS = 0.25
# A waiter gives up this long before its own deadline (to return its error before Lambda stops it).
GIVE_UP_MARGIN_SECONDS = 5.0
MEMBER_GRACE = dt.timedelta(days=1)
MAX_MEMBER_LENGTH = 512


def digest(text: str) -> str:
    """A fixed-size key part for a value of any length (an ARN, an address)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _claim_key(claim_id: str) -> table.Key:
    return {"pk": {"S": f"ALERT#{claim_id}"}, "sk": {"S": "CLAIM"}}


class AlertInProgress(TurnstileError):
    """Another invocation holds this alert and may still be sending it: retried later (Lambda's retry)."""


@dataclass(frozen=True)
class Claim:
    owner: str | None  # this invocation's token: it must send the alert, then `sent()`; None: sent already
    imported: bool = False  # Security Hub has the finding


def claim(
    dynamodb: Any,
    table_name: str,
    claim_id: str,
    *,
    deadline: float,
    window_until: dt.datetime | None = None,
    event_time: dt.datetime | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Claim:
    """The claim on alert `claim_id` for an invocation that may run until `deadline` (epoch seconds). A burst's
    claim (`window_until`) is free again for an event after that time."""
    key = _claim_key(claim_id)
    owner = uuid.uuid4().hex
    while True:
        now = clock()
        values: dict[str, Any] = {":sending": {"S": "sending"}, ":now": {"N": str(now)}}
        condition = "attribute_not_exists(pk) OR (#status = :sending AND lease_until < :now)"
        if window_until is not None and event_time is not None:
            condition += " OR window_until < :event_time"
            values[":event_time"] = {"N": str(event_time.timestamp())}
        item = {
            **key,
            "status": {"S": "sending"},
            "owner": {"S": owner},
            "lease_until": {"N": str(deadline)},
            "expires_at": {"N": str(table.expires(dt.datetime.now(dt.UTC) + CLAIM_RETENTION))},
        }
        if window_until is not None:
            item["window_until"] = {"N": str(window_until.timestamp())}
        request = {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
        if table.unless_condition_fails(lambda request=request: dynamodb.put_item(**request)):  # type: ignore[misc]
            return Claim(owner)
        current = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")
        if current is None:
            continue  # expired by TTL meanwhile: try again
        if current["status"]["S"] == "sent":
            return Claim(None, imported=current.get("imported", {}).get("BOOL", False))
        lapses = float(current["lease_until"]["N"])
        if clock() + POLL_SECONDS > deadline - GIVE_UP_MARGIN_SECONDS:
            raise AlertInProgress(f"alert {claim_id} is being sent by another invocation (held until {lapses:.0f})")
        sleep(max(POLL_SECONDS, min(lapses - clock(), 2.0) / 4))


def _owned(owner: str) -> dict[str, Any]:
    return {
        "ConditionExpression": "#owner = :owner AND #status = :sending",
        "ExpressionAttributeNames": {"#owner": "owner", "#status": "status"},
        "ExpressionAttributeValues": {":owner": {"S": owner}, ":sending": {"S": "sending"}},
    }


def sent(dynamodb: Any, table_name: str, claim_id: str, owner: str) -> None:
    """The owner's alert is out."""
    owned = _owned(owner)
    table.unless_condition_fails(
        lambda: dynamodb.update_item(
            TableName=table_name,
            Key=_claim_key(claim_id),
            UpdateExpression="SET #status = :sent REMOVE lease_until",
            ConditionExpression=owned["ConditionExpression"],
            ExpressionAttributeNames=owned["ExpressionAttributeNames"],
            ExpressionAttributeValues={**owned["ExpressionAttributeValues"], ":sent": {"S": "sent"}},
        )
    )


def imported(dynamodb: Any, table_name: str, claim_id: str) -> None:
    """Security Hub has the finding (a retry after Security Hub refused it imports it again, and only that)."""
    dynamodb.update_item(
        TableName=table_name,
        Key=_claim_key(claim_id),
        UpdateExpression="SET imported = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )


def release(dynamodb: Any, table_name: str, claim_id: str, owner: str) -> None:
    """The owner gives up a claim whose alert could not be sent, so the retry sends it at once (another
    invocation's claim is never touched)."""
    table.unless_condition_fails(
        lambda: dynamodb.delete_item(TableName=table_name, Key=_claim_key(claim_id), **_owned(owner))
    )


def count_in_window(
    dynamodb: Any,
    table_name: str,
    *,
    detection_id: str,
    key: str,
    member: str,
    at: dt.datetime,
    window: dt.timedelta,
    enough: int,
) -> int:
    """Record `member` (an event id, a user name) under `key` at `at`; return the most distinct members seen under
    the key within one `window` that includes `at` (events arrive out of order: the window may lie before or after
    it), counting no further than `enough`."""
    pk = {"S": f"BURST#{detection_id}#{digest(key)}"}
    member = member[:MAX_MEMBER_LENGTH]
    table.unless_condition_fails(
        lambda: dynamodb.update_item(
            TableName=table_name,
            Key={"pk": pk, "sk": {"S": member}},
            UpdateExpression="SET seen_at = :at, expires_at = :expires",
            ConditionExpression="attribute_not_exists(seen_at) OR seen_at < :at",
            ExpressionAttributeValues={
                ":at": {"N": str(at.timestamp())},
                ":expires": {"N": str(table.expires(at + window + MEMBER_GRACE))},
            },
        )
    )
    times: list[float] = []
    paginator = dynamodb.get_paginator("query")
    for page in paginator.paginate(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        FilterExpression="seen_at BETWEEN :since AND :until",
        ExpressionAttributeValues={
            ":pk": pk,
            ":since": {"N": str((at - window).timestamp())},
            ":until": {"N": str((at + window).timestamp())},
        },
        ProjectionExpression="seen_at",
    ):
        times += [float(item["seen_at"]["N"]) for item in page["Items"]]
        if len(times) >= 2 * enough:
            return enough  # [at - window, at] or [at, at + window] holds half of them at least
    return min(_densest(sorted(times), at.timestamp(), window.total_seconds()), enough)


def _densest(times: list[float], at: float, window: float) -> int:
    """The most of `times` (sorted, all within `window` of `at`) inside one window [start, start + window] that
    includes `at`."""
    best = 0
    for first, start in enumerate(times):
        if start > at:
            break
        best = max(best, bisect.bisect_right(times, start + window) - first)
    return best
