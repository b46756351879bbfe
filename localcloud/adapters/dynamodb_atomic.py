"""Gap: moto's DynamoDB checks a ConditionExpression and then writes, with nothing between the two: concurrent
conditional writes to the same item can both succeed. On AWS a conditional write is atomic — which is exactly what
Turnstile's claims and pending enrolments rely on. Adapter: each write (put, update, delete, transaction) runs
under one lock, so the check and the write are one step, as in DynamoDB.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_originals: dict[str, Callable[..., Any]] = {name: getattr(DynamoDBBackend, name) for name in WRITES}
_lock = threading.RLock()


def _atomic(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return write(*args, **kwargs)

    return locked


def install() -> None:
    for name, original in _originals.items():
        setattr(DynamoDBBackend, name, _atomic(original))


def uninstall() -> None:
    for name, original in _originals.items():
        setattr(DynamoDBBackend, name, original)
