"""PutEvents in batches, at a bounded rate: the HR bus feeds workflows that write to IAM, and IAM throttles."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .records import Record

MAX_BATCH = 10  # PutEvents takes at most 10 entries


def pause(seconds: float) -> None:
    """The throttle's wait (a test replaces it to count waits without waiting)."""
    time.sleep(seconds)


@dataclass
class Outcome:
    record: Record
    event_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class Sent:
    outcomes: list[Outcome] = field(default_factory=list)
    calls: int = 0  # PutEvents calls made

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error_code]


def batch_size(rate: float) -> int:
    """As many events per call as one second allows at `rate`, at most 10 and at least 1."""
    return max(1, min(MAX_BATCH, int(rate)))


def batches(records: list[Record], rate: float) -> list[list[Record]]:
    size = batch_size(rate)
    return [records[i : i + size] for i in range(0, len(records), size)]


def send(
    events: Any,
    *,
    bus: str,
    source: str,
    detail_type: str,
    records: list[Record],
    rate: float,
    on_batch: Callable[[int], None] = lambda _: None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    into: Sent | None = None,
) -> Sent:
    """Put one event per record; batch k starts no earlier than k * (batch size / rate) seconds after the first,
    so that no second carries more than `rate` events on average. Failed entries are returned, not raised; `into`
    (if given) holds what was sent so far should a call fail."""
    sent = into if into is not None else Sent()
    clock, sleep = clock or time.monotonic, sleep or pause
    start = clock()
    for index, batch in enumerate(batches(records, rate)):
        due = start + index * batch_size(rate) / rate
        if (wait := due - clock()) > 0:
            sleep(wait)
        entries = [
            {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(r.detail)}
            for r in batch
        ]
        response = events.put_events(Entries=entries)
        sent.calls += 1
        for record, entry in zip(batch, response["Entries"], strict=True):
            sent.outcomes.append(
                Outcome(record, entry.get("EventId"), entry.get("ErrorCode"), entry.get("ErrorMessage"))
            )
        on_batch(len(batch))
    return sent
