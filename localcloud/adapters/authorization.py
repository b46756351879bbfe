"""Gap: moto authorizes nothing (its own IAM simulation is off by default, and when on it knows identity policies
only: no boundaries, conditions, resource policies or service principals). Adapter: every API call is authorized
as AWS does it.

moto calls `_authenticate_and_authorize_normal_action` (and the S3 variant) from each request it serves,
in-process and in server mode. Here that hook: resolves the caller from the request's access key
(`localcloud.iam.principals`), works out the action, resource and context (`localcloud.iam.catalogue`), gathers
the caller's policies and the resource's (`localcloud.iam.resource_policies`), decides with
`localcloud.iam.evaluate`, records the decision (`localcloud.iam.report`), and on a denial answers with the
error the service returns (IAM User Guide, "Troubleshoot access denied error messages": "User: <arn> is not
authorized to perform: <action> on resource: <arn> because ..."). The account root (the emulator's default
credentials) is evaluated too: only a resource policy (e.g. a secret's explicit deny) can refuse it. It may still
call sts:AssumeRole, which AWS refuses to root: the emulator's administrator hands out role sessions.

The emulator's own paths act as AWS services do, through `Authorizer`: a service assumes a role only if the
role's trust policy allows the service principal (`assume_role`), and acts for a resource with `aws:SourceArn`
and `aws:SourceAccount` (`service_session`, `permits`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

import boto3
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.s3.exceptions import S3ClientError
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

from .. import identity
from ..iam import catalogue, principals, resource_policies
from ..iam.evaluation import evaluate
from ..iam.model import ContextValue, Decision, Policy, Principal, Request
from ..iam.report import DecisionLog, Record

log = logging.getLogger("localcloud.iam")

_original_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
_original_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action

# The error each service answers a denial with: (code, HTTP status). Query services answer in XML, JSON services
# with "__type"; SQS is JSON but keeps its query-protocol code through "x-amzn-query-error".
DENIAL = {
    "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "cloudformation": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "sqs": ("AccessDenied", 403),
    "s3": ("AccessDenied", 403),
    "lambda": ("AccessDeniedException", 403),
    "xray": ("AccessDeniedException", 403),
}
DEFAULT_DENIAL = ("AccessDeniedException", 400)  # JSON services: DynamoDB, KMS, Secrets Manager, EventBridge, ...
# A denied KMS call made by a service for the caller, as that service reports it.
KMS_DENIAL = {
    "dynamodb": ("AccessDeniedException", 400, "{message}"),
    "secretsmanager": ("AccessDeniedException", 400, "Access to KMS is not allowed"),
    "sns": ("KMSAccessDenied", 400, "{message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"),
}
GAP_CODE = "LocalCloudCatalogueGap"
DENIALS_FILE = "LOCALCLOUD_IAM_DENIALS"


class AccessDenied(PermissionError):
    """A denial on one of the emulator's own paths (a service assuming a role, delivering an event)."""

    def __init__(self, request: Request, decision: Decision) -> None:
        super().__init__(decision.message(request))
        self.request = request
        self.decision = decision


class _Refusal(HTTPException):
    """What moto's call_action turns into the response: the rendered error body with its status."""

    def __init__(self, body: str, status: int) -> None:
        super().__init__(description=body)
        self.code = status


Mode = Literal["enforce", "report", "off"]


class Authorizer:
    """Decides and records every call; refuses denied ones in mode "enforce", lets them through (recorded and
    logged all the same) in mode "report" (to list every gap of a run at once), decides nothing when "off".
    `decisions` and `report()` give what was decided."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None, *, mode: Mode = "enforce") -> None:
        self.mode = mode
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.log = DecisionLog(self._clock)
        self.resources = resource_policies.MotoResources()
        self._sessions: dict[tuple[str, ...], dict[str, str]] = {}
        self._clients: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    @property
    def enforce(self) -> bool:
        return self.mode == "enforce"

    @property
    def deciding(self) -> bool:
        return self.mode != "off"

    # what was decided --------------------------------------------------------------------------------------
    @property
    def decisions(self) -> list[Record]:
        return self.log.decisions

    def denied(self) -> list[Record]:
        return self.log.denied()

    def report(self, **selection: Any) -> str:
        """Readable report: `principal=` (part of an ARN), `since=`/`until=` (datetimes of the local clock),
        `denied=` (True/False), `include_root=`."""
        return self.log.render(**selection)

    # deciding ----------------------------------------------------------------------------------------------
    def context(self, *, secure: bool, region: str, who: principals.Caller) -> dict[str, ContextValue]:
        now = self._clock()
        found: dict[str, ContextValue] = {
            "aws:CurrentTime": now,
            "aws:EpochTime": int(now.timestamp()),
            "aws:SecureTransport": secure,
            "aws:RequestedRegion": region,
        }
        if who.principal.type != "AWSService":
            found["aws:SourceIp"] = "127.0.0.1"
        found.update(who.context)
        return found

    def decide(
        self,
        who: principals.Caller,
        need: catalogue.Need,
        base: Mapping[str, ContextValue],
        call: str,
        identity_side: list[Policy] | None = None,
    ) -> tuple[Request, Decision]:
        """Decide and record one need; `identity_side`: the caller's policies, if already gathered."""
        request = Request(who.principal, need.action, need.resource, {**base, **need.context})
        policies = list(principals.policies(who) if identity_side is None else identity_side)
        if need.resource != "*" and (found := resource_policies.resource_policy(need.resource, need.action)):
            policies.append(found)
        decision = evaluate(
            request, policies, resource_policy_required=resource_policies.required(need.action, need.resource)
        )
        self.log.record(call, request, decision, need.via)
        return request, decision

    def check(self, response: BaseResponse, operation: str, params: Mapping[str, Any]) -> None:
        """Authorize one request moto received; raise the service's error response when it is denied."""
        service = response.boto3_service_name
        account = response.current_account
        who = principals.caller(response.get_access_key(), account)
        call = catalogue.Call(service, operation, params, account, response.region, who.principal)
        name = f"{service}:{operation}"
        try:
            needs = catalogue.needs(call, self.resources)
        except catalogue.UnknownOperation:
            if who.principal.type == "Root":
                return  # nothing but a resource policy could refuse root, and none is known for it
            message = (
                f"local cloud: the authorization catalogue (localcloud/iam/catalogue.py) does not know {name}, "
                f"called by {who.principal.arn}; add what AWS authorizes for it"
            )
            log.error(message)
            gap = Request(who.principal, name, "*")
            self.log.record(name, gap, Decision(False, "because the local cloud's catalogue does not know it"))
            if self.enforce:
                raise _refusal(service, GAP_CODE, 400, message) from None
            return
        base = self.context(secure=response.uri.startswith("https:"), region=response.region, who=who)
        identity_side = principals.policies(who)
        for need in needs:
            request, decision = self.decide(who, need, base, name, identity_side)
            if not decision.allowed and self.enforce:
                raise _denial(service, need, request, decision)

    # the emulator's own paths ------------------------------------------------------------------------------
    def permits(self, service: str, action: str, resource: str, source_arn: str, source_account: str) -> bool:
        """Whether `service` acting for `source_arn` may do `action` on `resource` (resource policies only)."""
        if not self.deciding:
            return True
        who = self._service(service, source_arn, source_account)
        base = self.context(secure=True, region=resource.split(":")[3] if resource.count(":") > 3 else "", who=who)
        _, decision = self.decide(who, catalogue.Need(action, resource), base, f"{service} for {source_arn}")
        return decision.allowed or not self.enforce

    def allows(self, access_key_id: str, account: str, needs: list[tuple[str, str]], call: str) -> bool:
        """Whether the caller behind `access_key_id` may do each (action, resource): for a service acting with a
        customer's credentials (Lambda writing logs as the execution role). Always true unless enforcing."""
        if not self.deciding:
            return True
        who = principals.caller(access_key_id, account)
        base = self.context(secure=True, region=needs[0][1].split(":")[3], who=who)
        decisions = [self.decide(who, catalogue.Need(action, resource), base, call)[1] for action, resource in needs]
        return all(d.allowed for d in decisions) or not self.enforce

    def assume_role(
        self, role_arn: str, *, service: str, source_arn: str | None, source_account: str, session_name: str
    ) -> dict[str, str]:
        """Credentials of `role_arn` as `service` gets them acting for `source_arn`: only if the role's trust policy
        allows that service principal (with these aws:SourceArn/aws:SourceAccount). Raises AccessDenied."""
        key = (role_arn, service, source_arn or "")
        with self._lock:
            known = self._sessions.get(key)
        if known is not None:
            return known
        region = source_arn.split(":")[3] if source_arn else "us-east-1"
        if self.deciding:
            who = self._service(service, source_arn, source_account)
            need = catalogue.Need("sts:AssumeRole", role_arn, {"sts:RoleSessionName": session_name})
            base = self.context(secure=True, region=region, who=who)
            request, decision = self.decide(who, need, base, f"{service} assumes its role")
            if not decision.allowed and self.enforce:
                raise AccessDenied(request, decision)
        account = role_arn.split(":")[4]
        session = sts_backends[account]["aws"].assume_role(
            region_name=region,
            role_session_name=session_name,
            role_arn=role_arn,
            policy="",
            duration=3600,
            external_id="",
        )
        credentials = {
            "aws_access_key_id": session.access_key_id,
            "aws_secret_access_key": session.secret_access_key,
            "aws_session_token": session.session_token,
        }
        with self._lock:
            self._sessions[key] = credentials
        return credentials

    @staticmethod
    def _service(service: str, source_arn: str | None, source_account: str) -> principals.Caller:
        context: dict[str, ContextValue] = {"aws:SourceAccount": source_account}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        return principals.Caller(Principal("AWSService", service, service, "", service=service), context)

    def service_client(self, api: str, region: str, *, service: str, source_arn: str, source_account: str) -> Any:
        """A client of `api` whose calls are made by AWS service `service` acting for `source_arn`."""
        key = ("service", service, source_arn)
        with self._lock:
            known = self._sessions.get(key)
        if known is None:
            key_id, secret = identity.register_service_session(source_account, service, source_arn)
            known = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            with self._lock:
                self._sessions[key] = known
        return self.client(api, region, known)

    def client(self, api: str, region: str, credentials: Mapping[str, str]) -> Any:
        """A client with these credentials, made once: deliveries are many, and a client is costly to build."""
        key = (api, region, credentials.get("aws_access_key_id", ""))
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._clients[key] = boto3.client(api, region_name=region, **credentials)  # type: ignore[call-overload]
        return found

    def forget(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._clients.clear()
        principals.forget()


# rendering denials --------------------------------------------------------------------------------------------
def _denial(service: str, need: catalogue.Need, request: Request, decision: Decision) -> Exception:
    message = decision.message(request)
    if need.via:
        code, status, text = KMS_DENIAL.get(need.via, ("AccessDeniedException", 400, "{message}"))
        message = text.format(message=message)
    else:
        code, status = DENIAL.get(service, DEFAULT_DENIAL)
    if service == "s3":
        return S3ClientError(code, message)
    return _refusal(service, code, status, message)


def _refusal(service: str, code: str, status: int, message: str) -> _Refusal:
    body, headers = render_error(service, code, message)
    refusal = _Refusal(body, status)
    refusal.headers = headers  # type: ignore[attr-defined]
    return refusal


def render_error(service: str, code: str, message: str) -> tuple[str, dict[str, str]]:
    """The error body and headers in the service's protocol (AWS query XML, JSON 1.0/1.1, REST-JSON)."""
    model = get_service_model(service)
    protocol = model.protocol
    if protocol == "query":
        namespace = model.metadata.get("xmlNamespace", "")
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{_xml(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return body, {"Content-Type": "text/xml"}
    headers = {"X-Amzn-Errortype": code, "x-amzn-RequestId": str(uuid.uuid4())}
    if protocol == "json":
        headers["Content-Type"] = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        if "awsQueryCompatible" in model.metadata:
            headers["x-amzn-query-error"] = f"{code};Sender"
        return json.dumps({"__type": code, "message": message}), headers
    headers["Content-Type"] = "application/json"
    return json.dumps({"Type": "User", "Message": message, "message": message}), headers


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# the request's parameters --------------------------------------------------------------------------------------
def parameters(response: BaseResponse, operation: str) -> dict[str, Any]:
    """The request's parameters as the API names them, whatever the protocol (moto's own request parser)."""
    if getattr(response, "automated_parameter_parsing", False) and isinstance(getattr(response, "params", None), dict):
        return dict(response.params)
    try:
        model = get_service_model(response.boto3_service_name)
        operation_model = model.operation_model(operation)
        request = response.normalized_request
        parser = PROTOCOL_PARSERS[determine_request_protocol(model, request.content_type)]
        parsed = parser(operation_model, map_type=dict).parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": response.uri_match,
            }
        )
        return dict(parsed)
    except Exception:  # a request botocore's model cannot parse: the flat query/JSON view moto has
        return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in response.querystring.items()}


# the hooks ----------------------------------------------------------------------------------------------------
_active: Authorizer | None = None
_fallback = Authorizer(mode="off")


def active() -> Authorizer:
    """The running LocalCloud's authorizer (outside one, an authorizer that decides nothing)."""
    return _active or _fallback


def _authorize_normal(self: BaseResponse, resource: str = "*") -> None:
    authorizer = _active
    if authorizer is None or not authorizer.deciding:
        return
    operation = self._get_action()
    try:
        authorizer.check(self, operation, parameters(self, operation))
    except _Refusal as refusal:
        self.response_headers.update(getattr(refusal, "headers", {}))
        setattr(self, "_localcloud_refused", True)  # noqa: B010 - CloudTrail records the refused call (cloudtrail)
        raise


def _authorize_s3(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
    authorizer = _active
    if authorizer is None or not authorizer.deciding:
        return
    params = {"Bucket": bucket_name, "Key": key_name} if bucket_name else {}
    authorizer.check(self, str(self.data.get("Action", "ListAllMyBuckets")), params)


def install(authorizer: Authorizer) -> None:
    """Make `authorizer` the emulator's (its service paths use it even when off); hook moto if it decides."""
    global _active
    _active = authorizer
    if authorizer.deciding:
        setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", _authorize_normal)  # noqa: B010
        setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action", _authorize_s3)  # noqa: B010


def uninstall() -> None:
    """Also appends the run's denials to $LOCALCLOUD_IAM_DENIALS, if set (JSON lines: the stack's gaps)."""
    global _active
    if _active is not None:
        if path := os.environ.get(DENIALS_FILE):
            _active.log.dump(path, denied=True)
        _active.forget()
    _active = None
    setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", _original_normal)  # noqa: B010
    setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action", _original_s3)  # noqa: B010
