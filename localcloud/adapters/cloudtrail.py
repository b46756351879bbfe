"""Gap: moto emits no CloudTrail events. Adapter: for every mutating IAM call made against the emulated
account, put an "AWS API Call via CloudTrail" event (source aws.iam) on the default bus of us-east-1, as
CloudTrail does for IAM, so Turnstile's CloudTrail rules fire locally exactly as deployed.

The event carries the caller's identity (see localcloud.identity), the request parameters and response
elements with secrets omitted as AWS does, and errorCode/errorMessage on failure. Delivery is asynchronous
(CloudTrail → EventBridge is); `settle()` waits until every emitted event has been delivered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import xmltodict
from moto.events.models import events_backends
from moto.iam.responses import IamResponse

from .. import identity

IAM_EVENTS_REGION = "us-east-1"
READ_ONLY = re.compile(r"^(Get|List|Describe|Generate|Simulate)")
# Request/response fields CloudTrail never records.
SECRET_FIELDS = {
    "password",
    "newPassword",
    "oldPassword",
    "authenticationCode1",
    "authenticationCode2",
    "secretAccessKey",
    "base32StringSeed",
    "qRCodePNG",
    "privateKey",
}


class Emitter:
    """Puts events on a default bus asynchronously, as AWS services do (CloudTrail here; other adapters reuse it
    for their services' events). `settle()` waits until everything emitted so far has been delivered."""

    def __init__(self) -> None:
        self.emitted: list[dict[str, Any]] = []
        self.lost: list[dict[str, Any]] = []
        self._losing = False
        self._closed = False
        self.undelivered: list[str] = []  # why an event could not be put on the bus (it is then lost, as in AWS)
        self._queue: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._deliver, name="localcloud-events", daemon=True)
        self._worker.start()

    def emit(self, account: str, detail: dict[str, Any]) -> None:
        """A CloudTrail "AWS API Call via CloudTrail" event for IAM (us-east-1)."""
        self.emitted.append(detail)
        if self._losing:
            self.lost.append(detail)
            return
        entry = {"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}
        self._queue.put((account, IAM_EVENTS_REGION, entry))

    def put(self, account: str, region: str, entry: dict[str, Any]) -> None:
        """Any service event (a PutEvents entry) for the default bus of `region`."""
        self._queue.put((account, region, entry))

    @contextlib.contextmanager
    def losing(self) -> Iterator[None]:
        """CloudTrail → EventBridge delivery is best effort: events emitted meanwhile never reach EventBridge."""
        self.settle()
        self._losing = True
        try:
            yield
        finally:
            self._losing = False

    def settle(self) -> None:
        self._queue.join()

    def close(self) -> None:
        """Stop delivering: what is still queued is dropped (the account is going away)."""
        self._closed = True
        self._queue.put(None)
        self._worker.join(timeout=10)

    def _deliver(self) -> None:
        """One event at a time, in order; one that cannot be put is recorded and the next delivered."""
        while (item := self._queue.get()) is not None:
            account, region, entry = item
            try:
                if not self._closed:
                    events_backends[account][region].put_events([{**entry, "EventBusName": "default"}])
            except Exception as error:  # a delivery thread that died would lose every later event
                self.undelivered.append(f"{type(error).__name__}: {error}")
            finally:
                self._queue.task_done()
        self._queue.task_done()


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _clean(value: Any) -> Any:
    """CloudTrail's shape: lowerCamelCase keys, secret fields omitted."""
    if isinstance(value, dict):
        return {
            _camel(k): _clean(v) for k, v in value.items() if _camel(k) not in SECRET_FIELDS and not k.startswith("@")
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _response_elements(action: str, body: str) -> dict[str, Any] | None:
    try:
        parsed = xmltodict.parse(body)
    except Exception:  # not XML: nothing CloudTrail would record
        return None
    result = (parsed.get(f"{action}Response") or {}).get(f"{action}Result")
    return _clean(result) if isinstance(result, dict) else None


def _error(body: str) -> tuple[str, str]:
    code = re.search(r"<Code>([^<]+)</Code>", body)
    message = re.search(r"<Message>([^<]*)</Message>", body)
    return (code.group(1) if code else "UnknownError", message.group(1) if message else "")


def install(emitter: Emitter) -> None:
    inherited = IamResponse.call_action  # whatever BaseResponse's is now (other adapters may wrap it)

    def call_action(self: IamResponse) -> Any:
        status, headers, body = inherited(self)
        action = self._get_action()
        if not READ_ONLY.match(action):
            detail: dict[str, Any] = {
                "eventVersion": "1.08",
                "userIdentity": identity.user_identity(self.get_access_key(), self.current_account),
                "eventTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventSource": "iam.amazonaws.com",
                "eventName": action,
                "awsRegion": IAM_EVENTS_REGION,
                "sourceIPAddress": "127.0.0.1",
                "userAgent": self.headers.get("User-Agent", "localcloud"),
                "requestParameters": _clean({k: v for k, v in self._get_params().items() if k != "Action"}) or None,
                "responseElements": None,
                "requestID": str(uuid.uuid4()),
                "eventID": str(uuid.uuid4()),
                "readOnly": False,
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": self.current_account,
                "eventCategory": "Management",
            }
            text = body.decode() if isinstance(body, bytes) else str(body)
            if int(status) >= 400:
                detail["errorCode"], detail["errorMessage"] = _error(text)
            else:
                detail["responseElements"] = _response_elements(action, text)
            emitter.emit(self.current_account, detail)
        return status, headers, body

    setattr(IamResponse, "call_action", call_action)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    if "call_action" in IamResponse.__dict__:
        delattr(IamResponse, "call_action")
