"""Gap: moto emits no CloudTrail events. Adapter: put the events CloudTrail delivers to EventBridge on the default
bus of the region where CloudTrail records them, so rules on CloudTrail events fire locally exactly as deployed:

- every IAM call ("AWS API Call via CloudTrail", source aws.iam) in us-east-1, as CloudTrail does for IAM;
- every STS call (source aws.sts, eventSource sts.amazonaws.com) in the region of the endpoint called: "CloudTrail
  writes calls to all Regional endpoints to their respective Regions", the global endpoint's as us-east-1
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html). Its responseElements keep
  credentials.accessKeyId, sessionToken and expiration and never the secret access key, as the examples there show;
- every CloudTrail call (source aws.cloudtrail, eventSource cloudtrail.amazonaws.com) in the region of the call
  (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudtrail.html), requestParameters as the API
  names them in lowerCamelCase (eventSelectors, advancedEventSelectors, trailName, ...);
- any other service's call that the authorization adapter refuses, as a failed call (errorCode/errorMessage,
  source aws.<service>) in the region of the call;
- console sign-ins (`sign_in`): "AWS Console Sign In via CloudTrail", source aws.signin, eventType
  AwsConsoleSignIn, responseElements {"ConsoleLogin": "Success"|"Failure"}, additionalEventData {LoginTo,
  MobileVersion, MFAUsed}, errorMessage "Failed authentication" (or "No username found in supplied account", with
  userName HIDDEN_DUE_TO_SECURITY_REASONS, for a name that is no user). A root sign-in is recorded in us-east-1, an
  IAM user's in the region of the sign-in endpoint
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html#hiddensecurity). The detail-type is
  the one delivered events carry and rules match, "AWS Console Sign In via CloudTrail"; EventBridge's list at
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html spells it "AWS Console
  Signin via CloudTrail".

Every event carries `readOnly`: Get*/List*/Describe* calls (and IAM's Generate*/Simulate*) are read-only; so are
STS AssumeRole*, GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage, while STS GetSessionToken and
GetFederationToken are change events "even though they start with the verb Get"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html). A read-only
call's responseElements is null. EventBridge matches read-only management events only against rules in state
ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (same page; see eventbridge_targets).

The event carries the caller's identity (see localcloud.identity: the emulator's default credentials are the root
user with invokedBy "localcloud"), its source IP (127.0.0.1 unless the session was given one), the request
parameters and response elements with secrets omitted as AWS does, and errorCode/errorMessage on failure.
Delivery is asynchronous (CloudTrail → EventBridge is); `settle()` waits until every emitted event is delivered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import xmltodict
from moto.core.responses import BaseResponse
from moto.events.models import events_backends

from .. import identity

IAM_EVENTS_REGION = "us-east-1"
SIGN_IN_ROOT_REGION = "us-east-1"
API_CALL = "AWS API Call via CloudTrail"
SIGN_IN = "AWS Console Sign In via CloudTrail"
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
LOGIN_TO = "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true"
BROWSER = "Mozilla/5.0 (localcloud console sign-in)"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
READ_ONLY = re.compile(r"^(Get|List|Describe|Generate|Simulate)")
READ_ONLY_BY_SERVICE = {
    "sts": re.compile(r"^(AssumeRole|GetCallerIdentity$|GetAccessKeyInfo$|DecodeAuthorizationMessage$)"),
    "cloudtrail": re.compile(r"^(Get|List|Describe|LookupEvents$)"),
}
# Services whose every call CloudTrail records here; others only when the authorization adapter refuses them.
RECORDED = {"iam", "sts", "cloudtrail"}
QUERY_PROTOCOL = {"iam", "sts"}
REFUSED = "_localcloud_refused"  # set on a moto response by the authorization adapter when it refuses the call
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
    "secretString",
    "secretBinary",
    "servicePassword",  # a service-specific credential's password (Create/ResetServiceSpecificCredential)
    "serviceCredentialSecret",
}


def _host_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The account's time (the local clock, once installed): an event's eventTime is when it happened in the account,
# so a burst spread over an hour of `clock.advance()` is spread over an hour in its events too.
_clock: Callable[[], dt.datetime] = _host_now


def _now() -> str:
    return _clock().strftime("%Y-%m-%dT%H:%M:%SZ")


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

    def emit(
        self,
        account: str,
        detail: dict[str, Any],
        *,
        region: str = IAM_EVENTS_REGION,
        source: str = "aws.iam",
        detail_type: str = API_CALL,
    ) -> None:
        """A CloudTrail event (by default an IAM "AWS API Call via CloudTrail", us-east-1). `emitted` records every
        one; a read-only one is put on the bus only if a rule there may receive it (nothing else could see it)."""
        self.emitted.append(detail)
        if self._losing:
            self.lost.append(detail)
            return
        if detail.get("readOnly") and not _receives_read_only(account, region):
            return
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail, default=str)}
        self._queue.put((account, region, entry))

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


def _receives_read_only(account: str, region: str) -> bool:
    try:
        bus = events_backends[account][region].event_buses.get("default")
    except Exception:  # no such region: nothing can receive it
        return False
    return bus is not None and any(rule.state == ALL_MANAGEMENT_EVENTS for rule in list(bus.rules.values()))


def read_only_management(event: dict[str, Any]) -> bool:
    """A read-only management event delivered through CloudTrail (what only ENABLED_WITH_ALL... rules receive)."""
    detail = event.get("detail")
    return (
        str(event.get("detail-type", "")).endswith("via CloudTrail")
        and isinstance(detail, dict)
        and detail.get("readOnly") is True
        and detail.get("managementEvent", True) is not False
    )


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
    if isinstance(value, (bytes, bytearray)):
        return HIDDEN  # a blob (a function's payload, a message body): CloudTrail does not record its content
    return value


def _response_elements(action: str, body: str) -> dict[str, Any] | None:
    if body.lstrip().startswith("{"):
        try:
            parsed_json = json.loads(body)
        except ValueError:
            return None
        return _clean(parsed_json) or None if isinstance(parsed_json, dict) else None
    try:
        parsed = xmltodict.parse(body)
    except Exception:  # not XML: nothing CloudTrail would record
        return None
    result = (parsed.get(f"{action}Response") or {}).get(f"{action}Result")
    return _clean(result) if isinstance(result, dict) else None


def _error(body: str) -> tuple[str, str]:
    if body.lstrip().startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {}
        code = str(parsed.get("__type") or parsed.get("Code") or "UnknownError").rsplit("#", 1)[-1]
        return code, str(parsed.get("message") or parsed.get("Message") or "")
    found_code = re.search(r"<Code>([^<]+)</Code>", body)
    message = re.search(r"<Message>([^<]*)</Message>", body)
    return (found_code.group(1) if found_code else "UnknownError", message.group(1) if message else "")


def read_only(service: str, action: str) -> bool:
    return bool(READ_ONLY_BY_SERVICE.get(service, READ_ONLY).match(action))


def _request_parameters(response: BaseResponse, service: str, action: str) -> Any:
    if service in QUERY_PROTOCOL:
        params = {k: v for k, v in response._get_params().items() if k != "Action"}
    else:
        from .authorization import parameters  # the authorization adapter's request parser (every protocol)

        params = parameters(response, action)
    return _clean(params) or None


def api_call(response: BaseResponse, service: str, action: str, status: int, body: str) -> dict[str, Any]:
    """The "AWS API Call via CloudTrail" detail of one call moto answered."""
    account = response.current_account
    key = response.get_access_key()
    readonly = read_only(service, action)
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity.user_identity(key, account),
        "eventTime": _now(),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": action,
        "awsRegion": IAM_EVENTS_REGION if service == "iam" else response.region,
        "sourceIPAddress": identity.source_ip(key),
        "userAgent": response.headers.get("User-Agent", "localcloud"),
        "requestParameters": _request_parameters(response, service, action),
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": readonly,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if status >= 400:
        detail["errorCode"], detail["errorMessage"] = _error(body)
    elif not readonly:
        detail["responseElements"] = _response_elements(action, body)
    return detail


def sign_in(
    account: str,
    who: dict[str, Any],
    *,
    success: bool,
    mfa_used: bool,
    region: str,
    source_ip: str,
    error: str = "Failed authentication",
) -> dict[str, Any]:
    """The "AWS Console Sign In via CloudTrail" detail of one console sign-in attempt by `who` (a userIdentity)."""
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": who,
        "eventTime": _now(),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": BROWSER,
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": {"LoginTo": LOGIN_TO, "MobileVersion": "No", "MFAUsed": "Yes" if mfa_used else "No"},
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if not success:
        detail["errorMessage"] = error
    return detail


_saved: list[Any] = []


def install(emitter: Emitter, clock: Callable[[], dt.datetime] | None = None) -> None:
    """`clock`: the account's time for eventTime (the local clock); the host's by default."""
    global _clock
    _clock = clock or _host_now
    inherited = BaseResponse.call_action  # whatever it is now (the faults adapter wraps it first)

    def call_action(self: BaseResponse) -> Any:
        status, headers, body = inherited(self)
        service = getattr(self, "boto3_service_name", None)
        if not service or service == "core":
            return status, headers, body
        refused = getattr(self, REFUSED, False)
        if service not in RECORDED and not refused:
            return status, headers, body
        try:
            action = self._get_action()
            text = body.decode() if isinstance(body, bytes) else str(body)
            detail = api_call(self, str(service), action, int(status), text)
            emitter.emit(self.current_account, detail, region=detail["awsRegion"], source=f"aws.{service}")
        except Exception as error:  # a call CloudTrail cannot describe must still be answered
            emitter.undelivered.append(f"cloudtrail: {type(error).__name__}: {error}")
        return status, headers, body

    _saved.append(inherited)
    setattr(BaseResponse, "call_action", call_action)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    global _clock
    _clock = _host_now
    if _saved:
        setattr(BaseResponse, "call_action", _saved.pop())  # noqa: B010
