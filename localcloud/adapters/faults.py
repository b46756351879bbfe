"""Fault injection and call recording at the emulated account's API boundary (not a moto gap: a test tool).

`Faults.inject(service, action, code)` (action "*": any of the service's) makes matching requests fail the way
AWS fails them — the error code, HTTP status and body shape of that service's protocol, serialised by moto from
the service's own model — so the code under test meets exactly what botocore would raise in AWS (its retry
classification included). A fault can be limited to a caller (e.g. one function's role session), to requests
whose parameters match, and to a number of hits. `Faults.recording()` lists every request (caller, service,
action, parameters) — the call sites a fault matrix iterates over. `in_flight`/`peak_in_flight` count the
requests each service is answering at once. `Faults.held(service, action)` makes matching requests wait until
the block ends (e.g. to keep a workflow RUNNING at a known step while a second one starts).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from .. import identity

_original_call_action = BaseResponse.call_action


# Server-side errors whose HTTP status some service models omit (moto then answers 400, which botocore would not
# retry): the status the API references give them (e.g. Secrets Manager's and DynamoDB's 500s).
SERVER_ERRORS = {
    "InternalServiceError": 500,
    "InternalServerError": 500,
    "InternalFailure": 500,
    "ServiceFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}


def serialize_quietly(response: BaseResponse, error: ServiceException) -> Any:
    """The error as the service's protocol shapes it (moto warns when the code is not in the model: expected here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return response.serialized(ActionResult(error))


class InjectedFault(ServiceException):
    """Serialised from the service's own error model when the code is modelled (status, shape), else as a
    generic error of that code. (Defined outside moto so moto looks the code up in the called service only.)"""


@dataclass(frozen=True)
class Call:
    """One request to the emulated account."""

    caller: str  # the role session name (a function's name), a user name, or "root"
    service: str  # botocore's service name, e.g. "dynamodb"
    action: str  # e.g. "PutItem"
    params: dict[str, Any]

    @property
    def site(self) -> tuple[str, str, str]:
        return (self.caller, self.service, self.action)


@dataclass
class Fault:
    service: str
    action: str
    code: str
    message: str
    caller: str | None = None
    when: Callable[[Call], bool] | None = None
    times: int | None = None  # None: until removed
    hits: int = 0
    id: int = field(default_factory=itertools.count().__next__)

    def matches(self, call: Call) -> bool:
        return (
            call.service == self.service
            and self.action in ("*", call.action)
            and (self.caller is None or call.caller == self.caller)
            and (self.when is None or self.when(call))
            and (self.times is None or self.hits < self.times)
        )


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._recording: list[Call] | None = None
        self.in_flight: dict[str, int] = {}  # per service: requests being answered right now
        self.peak_in_flight: dict[str, int] = {}  # per service: the most answered at once, since the last reset
        self._holds: dict[tuple[str, str], tuple[threading.Event, threading.Event]] = {}

    def reset_peaks(self) -> None:
        with self._lock:
            self.peak_in_flight = dict(self.in_flight)

    def _enter(self, service: str) -> None:
        with self._lock:
            now = self.in_flight[service] = self.in_flight.get(service, 0) + 1
            if now > self.peak_in_flight.get(service, 0):
                self.peak_in_flight[service] = now

    def _leave(self, service: str) -> None:
        with self._lock:
            self.in_flight[service] -= 1

    def inject(
        self,
        service: str,
        action: str,
        code: str,
        *,
        message: str = "injected by the local cloud",
        caller: str | None = None,
        when: Callable[[Call], bool] | None = None,
        times: int | None = None,
    ) -> Fault:
        fault = Fault(service, action, code, message, caller, when, times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f.id != fault.id]

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    @contextlib.contextmanager
    def injected(self, service: str, action: str, code: str, **options: Any) -> Iterator[Fault]:
        fault = self.inject(service, action, code, **options)
        try:
            yield fault
        finally:
            self.remove(fault)

    @contextlib.contextmanager
    def held(self, service: str, action: str) -> Iterator[threading.Event]:
        """Requests for `service`/`action` wait (outside every lock) until the block ends: to keep a workflow
        RUNNING at a known step. Yields an event that is set once such a request is waiting."""
        release, reached = threading.Event(), threading.Event()
        with self._lock:
            self._holds[(service, action)] = (release, reached)
        try:
            yield reached
        finally:
            with self._lock:
                self._holds.pop((service, action), None)
            release.set()

    def _wait_if_held(self, service: str, action: str) -> None:
        with self._lock:
            hold = self._holds.get((service, action))
        if hold is not None:
            hold[1].set()
            hold[0].wait(timeout=300)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        """Every request made meanwhile, in order."""
        calls: list[Call] = []
        self._recording = calls
        try:
            yield calls
        finally:
            self._recording = None

    def watching(self, service: str, action: str) -> bool:
        """Whether a request needs looking at (recording, or a fault for this action): the others pass untouched."""
        return self._recording is not None or any(
            f.service == service and f.action in ("*", action) for f in self._faults
        )

    def _check(self, call: Call) -> Fault | None:
        with self._lock:
            if self._recording is not None:
                self._recording.append(call)
            for fault in self._faults:
                if fault.matches(call):
                    fault.hits += 1
                    return fault
        return None


def caller_of(response: BaseResponse) -> str:
    """A short name for who made the request: a role session's name (Lambda names its sessions after the
    function), an IAM user's name, or "root"."""
    who = identity.user_identity(response.get_access_key(), response.current_account)
    if who["type"] == "AssumedRole":
        return str(who["arn"]).rsplit("/", 1)[-1]
    return str(who.get("userName") or "root")


def params_of(response: BaseResponse) -> dict[str, Any]:
    """The request's parameters as botocore names them (moto parses some protocols itself, not all)."""
    parsed = getattr(response, "params", None)
    if isinstance(parsed, dict) and parsed:
        return parsed
    try:
        response.parse_parameters(response.normalized_request)
        return dict(response.params)
    except Exception:  # an operation moto's parser does not know: match on the action alone
        return {}


def install(faults: Faults) -> None:
    def call_action(self: BaseResponse) -> Any:
        service = getattr(self, "boto3_service_name", None)
        action = self._get_action() if service and service != "core" else None
        if not action:
            return _original_call_action(self)
        faults._enter(str(service))
        try:
            faults._wait_if_held(str(service), action)
            if faults.watching(str(service), action):
                call = Call(caller_of(self), str(service), action, params_of(self))
                fault = faults._check(call)
                if fault is not None:
                    status, headers, body = serialize_quietly(self, InjectedFault(fault.code, fault.message))
                    return SERVER_ERRORS.get(fault.code, status), headers, body
            return _original_call_action(self)
        finally:
            faults._leave(str(service))

    setattr(BaseResponse, "call_action", call_action)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(BaseResponse, "call_action", _original_call_action)  # noqa: B010
