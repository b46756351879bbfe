"""Gap: moto's PutEvents accepts entries of any size, and a `Detail` that is JSON but not an object (a string,
a list, a number, `null`) with only a Python warning. AWS:

- Size. "The total entry size must be less than 1MB" per request (PutEvents API Reference; 256 KB until AWS
  raised it on 2026-01-29, "More room to build: serverless services now support payloads up to 1 MB", AWS
  Compute Blog). The size is "Calculating PutEvents event entry size" (EventBridge User Guide): 14 bytes for
  `Time` if given, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of `Resources`. Measured
  against AWS (published lab, 2026-03): 1,048,576 bytes is accepted, one more byte is not. Over the limit the
  whole request fails: ValidationException, HTTP 400, "Total size of the entries in the request is over the
  limit." (recorded from AWS in LocalStack's snapshot tests).
- `Detail` must be "a valid JSON object" (PutEventsRequestEntry). Otherwise that entry alone fails with
  ErrorCode `MalformedDetail`, "Detail is malformed." (HTTP 200; recorded from AWS for a string, an array and a
  JSON-encoded string); the other entries are put.

Adapter: both, by wrapping EventsBackend.put_events (API in-process and server mode). Entries moto already fails
(no Source / DetailType / Detail, invalid JSON) keep moto's answer, and more than 10 entries moto's error.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.events.exceptions import ValidationException
from moto.events.models import EventsBackend

from .wrapping import Wrappers

MAX_REQUEST_BYTES = 1024 * 1024
MAX_ENTRIES = 10
TIME_BYTES = 14
OVER_THE_LIMIT = "Total size of the entries in the request is over the limit."
MALFORMED = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}


def _utf8(value: Any) -> int:
    return len(str(value).encode("utf-8")) if value is not None else 0


def entry_size(entry: dict[str, Any]) -> int:
    """EventBridge's PutEventsRequestEntry size."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    size += _utf8(entry.get("Source")) + _utf8(entry.get("DetailType")) + _utf8(entry.get("Detail"))
    return size + sum(_utf8(resource) for resource in entry.get("Resources") or [])


def detail_not_an_object(entry: dict[str, Any]) -> bool:
    """Valid JSON that is not an object, in an entry moto would otherwise put (it refuses the rest itself)."""
    if not (entry.get("Source") and entry.get("DetailType") and entry.get("Detail")):
        return False
    try:
        return not isinstance(json.loads(entry["Detail"]), dict)
    except ValueError:  # not JSON at all: moto answers MalformedDetail itself
        return False


def _put_events(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > MAX_ENTRIES:
            return list(original(self, events))  # moto's "Member must have length less than or equal to 10"
        if sum(entry_size(entry) for entry in events) > MAX_REQUEST_BYTES:
            raise ValidationException(OVER_THE_LIMIT)
        malformed = [detail_not_an_object(entry) for entry in events]
        put = iter(original(self, [e for e, bad in zip(events, malformed, strict=True) if not bad]))
        return [dict(MALFORMED) if bad else next(put) for bad in malformed]

    return put_events


_WRAPPERS = Wrappers(EventsBackend, {"put_events": _put_events})
install = _WRAPPERS.install
uninstall = _WRAPPERS.uninstall
