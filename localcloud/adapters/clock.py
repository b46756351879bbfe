"""Gap: moto's Step Functions interpreter sleeps in real time for Wait states and Retry back-offs (and so do
the SDK's own retry back-offs in the functions it runs). Adapter: a controllable clock. Waits and back-offs
advance it instead of sleeping, so a 7-day deadline, a 90-day key age or a throttled call's six retries run in
milliseconds; `advance()` moves it by hand. One back-off waits in real time: a retry after Lambda throttled the
invocation (the function at its reserved concurrency) waits for another invocation to finish, which the clock
cannot skip (`retry_wait`, given by the Lambda runtime). The context object's `$$.State.EnteredTime` is read from
the same clock (moto reads the wall clock), so a wait that starts after an `advance()` starts at virtual time,
as every Lambda and schedule of the account sees it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time as real_time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

_original_wait_interval = WaitFunction._wait_interval
_original_time = retrier_decl.time
_original_sdk_time = botocore.endpoint.time
_original_state_datetime = sfn_state.datetime


class Clock:
    """Virtual time: real time plus every skipped wait and every manual advance."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self.skipped: list[float] = []

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(real_time.time() + self._offset, dt.UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
            self.skipped.append(seconds)


def install(clock: Clock, retry_wait: Callable[[float], bool] = lambda seconds: False) -> None:
    """`retry_wait(seconds)` is tried first for every Step Functions retry back-off: True if it waited."""

    def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        clock.advance(wait_seconds)

    def _retry_back_off(seconds: float) -> None:
        if not retry_wait(seconds):
            clock.advance(seconds)

    def _now(tz: dt.tzinfo | None = None) -> dt.datetime:
        return clock.now().astimezone(tz) if tz is not None else clock.now().replace(tzinfo=None)

    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]
    # the state's EnteredTime is `datetime.datetime.now(tz=...)` in moto's state module
    sfn_state.datetime = SimpleNamespace(  # type: ignore[assignment]
        datetime=SimpleNamespace(now=_now), timezone=dt.timezone
    )
    retrier_decl.time = SimpleNamespace(sleep=_retry_back_off, time=real_time.time)  # type: ignore[assignment]
    # the SDK's retry back-off sleeps here
    botocore.endpoint.time = SimpleNamespace(sleep=clock.advance, time=real_time.time)  # type: ignore[assignment]


def uninstall() -> None:
    WaitFunction._wait_interval = _original_wait_interval  # type: ignore[method-assign]
    sfn_state.datetime = _original_state_datetime
    retrier_decl.time = _original_time
    botocore.endpoint.time = _original_sdk_time
