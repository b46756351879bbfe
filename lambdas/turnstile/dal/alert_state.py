"""Alert state in the Turnstile table: one claim per alert (so a CloudTrail event delivered twice alerts once) and
the members of each burst window (so failed sign-ins or refusals are counted across invocations).

| item          | pk                                  | sk       | expires (TTL `expires_at`)          |
| ------------- | ----------------------------------- | -------- | ----------------------------------- |
| alert claim   | ALERT#<event id> / ALERT#<burst id> | CLAIM    | 2 days (longer than any redelivery) |
| burst member  | BURST#<detection>#<digest of key>   | <member> | the window after its time, + 1 day  |

A claim is `sending` (with a short lease) until the alert is out, then `sent`. A second delivery of the same event
that finds `sending` waits for the lease: the alert is either sent meanwhile (a duplicate) or the first invocation
died and this one takes over — never two alerts, never none.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from typing import Any

from . import table

CLAIM_RETENTION = dt.timedelta(days=2)
LEASE_SECONDS = 10.0
POLL_SECONDS = 0.25
MEMBER_GRACE = dt.timedelta(days=1)
MAX_MEMBER_LENGTH = 512


def digest(text: str) -> str:
    """A fixed-size key part for a value of any length (an ARN, an address)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _claim_key(claim_id: str) -> table.Key:
    return {"pk": {"S": f"ALERT#{claim_id}"}, "sk": {"S": "CLAIM"}}


def claim(
    dynamodb: Any,
    table_name: str,
    claim_id: str,
    *,
    window_until: dt.datetime | None = None,
    event_time: dt.datetime | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True if this invocation now owns the alert `claim_id` (it must send it, then `sent()`); False if the alert
    was already sent. A burst's claim (`window_until`) is free again for an event after that time."""
    key = _claim_key(claim_id)
    while True:
        now = clock()
        values: dict[str, Any] = {
            ":sending": {"S": "sending"},
            ":now": {"N": str(now)},
        }
        condition = "attribute_not_exists(pk) OR (#status = :sending AND lease_until < :now)"
        if window_until is not None and event_time is not None:
            condition += " OR window_until < :event_time"
            values[":event_time"] = {"N": str(event_time.timestamp())}
        item = {
            **key,
            "status": {"S": "sending"},
            "lease_until": {"N": str(now + LEASE_SECONDS)},
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
        written = table.unless_condition_fails(lambda request=request: dynamodb.put_item(**request))  # type: ignore[misc]
        if written:
            return True
        current = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")
        if current is None:
            continue  # expired by TTL meanwhile: try again
        if current["status"]["S"] == "sent":
            return False
        # Another invocation is sending it: wait for it to finish, or for its lease to lapse.
        sleep(max(POLL_SECONDS, min(LEASE_SECONDS, float(current["lease_until"]["N"]) - clock()) / 4))


def sent(dynamodb: Any, table_name: str, claim_id: str) -> None:
    dynamodb.update_item(
        TableName=table_name,
        Key=_claim_key(claim_id),
        UpdateExpression="SET #status = :sent REMOVE lease_until",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":sent": {"S": "sent"}},
    )


def release(dynamodb: Any, table_name: str, claim_id: str) -> None:
    """Give up a claim whose alert could not be sent, so the retry sends it at once."""
    dynamodb.delete_item(
        TableName=table_name,
        Key=_claim_key(claim_id),
        ConditionExpression="#status = :sending",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":sending": {"S": "sending"}},
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
