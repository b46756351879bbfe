"""LocalCloud: an emulated AWS account (moto, in this process) that runs Turnstile as deployed."""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

import boto3
from moto import mock_aws

from . import identity
from .adapters import authorization as iam_authorization
from .adapters import (
    cfn_resources,
    change_password,
    clock,
    cloudtrail,
    credential_ages,
    credential_report,
    delete_conflicts,
    dynamodb_atomic,
    eventbridge_entries,
    eventbridge_targets,
    execution_events,
    execution_input_limit,
    execution_names,
    execution_stops,
    faults,
    function_logging,
    iam_names,
    iam_tags,
    lambda_async,
    lambda_runtime,
    log_group_arns,
    login_profiles,
    mfa_codes,
    root_access_keys,
    scheduler_schedules,
    secret_rules,
    secret_store_threads,
    securityhub_findings,
    service_credentials,
    sns_deliveries,
    sqs_event_sources,
    state_machine_roles,
    state_machines,
    unknown_actions,
    user_boundaries,
)
from .deploy import Deployment, deploy

ACCOUNT = "123456789012"
REGION = "us-east-1"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# Polling shares the GIL with the interpreter's threads: too eager and it slows what it waits for.
POLL_SECONDS = 0.1


class LocalCloud:
    """Start it (a context manager), `deploy()` a cdk.out, then drive it with `client(...)`.

    `serve()` also exposes the same account on 127.0.0.1 for the AWS CLI.
    """

    def __init__(
        self,
        workdir: Path | None = None,
        region: str = REGION,
        *,
        aws_managed_policies: bool = True,
        authorization: bool | Literal["report"] | None = None,
    ) -> None:
        """`aws_managed_policies`: load AWS's managed policies (~1 s on first IAM call); templates that attach
        them need it, tests of single steps do not. `authorization`: authorize every call as AWS does
        (`self.authorization` records each decision); "report": decide and record, refuse nothing (to list every
        gap of a run); False: raw moto, for a test that needs it. By default on, unless LOCALCLOUD_AUTHORIZATION
        says "report" or "off"."""
        self.region = region
        self.aws_managed_policies = aws_managed_policies
        self.account = ACCOUNT
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="localcloud-", ignore_cleanup_errors=True)
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.clock = clock.Clock()
        self.authorization = iam_authorization.Authorizer(self.clock.now, mode=_authorization_mode(authorization))
        self.runtime = lambda_runtime.InProcessRuntime(self.workdir / "functions", {})
        self._mock: Any = None
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self.endpoint_url: str | None = None
        self.cloudtrail: cloudtrail.Emitter | None = None
        self.faults = faults.Faults()
        self._clients: dict[str, Any] = {}
        self._session_clients: dict[tuple[int, str], tuple[boto3.session.Session, Any]] = {}
        self._clients_lock = threading.Lock()

    # lifecycle -----------------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        # Credentials that can only ever reach the emulator; a real profile or endpoint is set aside.
        wanted = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
        removed = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_PORT")
        self._saved_env = {k: os.environ.get(k) for k in (*wanted, *removed)}
        for key in removed:
            os.environ.pop(key, None)
        os.environ.update(wanted)
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "iam": {"load_aws_managed_policies": self.aws_managed_policies},
            }
        )
        self._mock.start()
        # moto's interpreter logs every Fail state as an ERROR with its internals; the history already says it.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        cfn_resources.install()
        state_machines.install()
        eventbridge_targets.install()
        clock.install(self.clock, retry_wait=self.runtime.wait_after_throttle)
        login_profiles.install()
        change_password.install()
        root_access_keys.install()
        user_boundaries.install()
        service_credentials.install()
        delete_conflicts.install()
        mfa_codes.install()
        credential_ages.install(self.clock)
        credential_report.install(self.clock)
        iam_names.install()
        iam_tags.install()  # after iam_names: both wrap CreateUser/CreateRole; AWS checks the shape first
        secret_rules.install()
        secret_store_threads.install()
        securityhub_findings.install()
        eventbridge_entries.install()
        dynamodb_atomic.install()
        faults.install(self.faults)  # before cloudtrail: a faulted IAM call is still reported as failed
        self.cloudtrail = cloudtrail.Emitter()
        cloudtrail.install(self.cloudtrail, self.clock.now)
        execution_events.install(self.cloudtrail)
        execution_stops.install()
        execution_input_limit.install()
        execution_names.install()  # after execution_input_limit: it wraps the same method
        lambda_runtime.install(self.runtime)
        lambda_async.install(self.runtime.role_credentials)
        state_machine_roles.install()
        sns_deliveries.install()
        sqs_event_sources.install()
        log_group_arns.install()
        function_logging.install()
        iam_authorization.install(self.authorization)
        return self

    def stop(self) -> None:
        try:
            self._stop_running_executions()
        finally:
            if self._server is not None:
                self._server.stop()
                self._server = None
                unknown_actions.uninstall()
            if self.cloudtrail is not None:
                self.cloudtrail.close()
            execution_names.uninstall()  # before execution_input_limit (it wraps that adapter's wrapper)
            execution_input_limit.uninstall()
            execution_stops.uninstall()
            execution_events.uninstall()
            iam_authorization.uninstall()
            log_group_arns.uninstall()
            function_logging.uninstall()
            sqs_event_sources.uninstall()
            sns_deliveries.uninstall()
            state_machine_roles.uninstall()
            cloudtrail.uninstall()
            faults.uninstall()
            dynamodb_atomic.uninstall()
            eventbridge_entries.uninstall()
            secret_store_threads.uninstall()
            securityhub_findings.uninstall()
            secret_rules.uninstall()
            iam_tags.uninstall()
            iam_names.uninstall()
            credential_report.uninstall()
            credential_ages.uninstall()
            mfa_codes.uninstall()
            identity.forget_sessions()
            lambda_async.uninstall()
            lambda_runtime.uninstall()
            self.runtime.unload()
            clock.uninstall()
            login_profiles.uninstall()
            change_password.uninstall()
            root_access_keys.uninstall()
            user_boundaries.uninstall()
            delete_conflicts.uninstall()
            service_credentials.uninstall()
            eventbridge_targets.uninstall()
            state_machines.uninstall()
            cfn_resources.uninstall()
            if self._mock is not None:
                self._mock.stop()
            for key, value in self._saved_env.items():  # key by key: threads may still be reading
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._clients.clear()
            self._session_clients.clear()
            if self._tmp is not None:
                self._tmp.cleanup()

    def serve(self, port: int | None = None) -> str:
        """Expose the account on 127.0.0.1 (loopback only) for `aws --endpoint-url ...`."""
        from moto.server import ThreadedMotoServer

        port = port or _free_port()
        os.environ["MOTO_PORT"] = str(port)  # the interpreter's own calls use localhost:$MOTO_PORT
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
        unknown_actions.install()  # outside tools calling what moto lacks get AWS's answer, not a traceback
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        return self.endpoint_url

    # using it ------------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A client of the account root (the emulator's default credentials), one per service: creating a boto3
        client costs tens of milliseconds, using one is thread-safe."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
            return self._clients[service]

    def _client_of(self, session: boto3.session.Session, service: str) -> Any:
        """A cached client of a session the caller keeps (e.g. the HR publisher's role session)."""
        key = (id(session), service)
        with self._clients_lock:
            if key not in self._session_clients:
                self._session_clients[key] = (session, session.client(service))  # type: ignore[call-overload]
            return self._session_clients[key][1]

    def deploy(self, assembly: Path, stack_name: str = "Turnstile") -> Deployment:
        services = ("ssm", "s3", "cloudformation")
        return deploy({s: self.client(s) for s in services}, assembly, stack_name, self.account, self.region)

    def put_event(
        self,
        bus: str,
        source: str,
        detail_type: str,
        detail: dict[str, Any] | str,
        *,
        session: boto3.session.Session | None = None,
    ) -> str:
        """PutEvents on `bus` (as `session`, e.g. the HR publisher's role; else the account root); returns the
        event id EventBridge assigned."""
        entry = {
            "EventBusName": bus,
            "Source": source,
            "DetailType": detail_type,
            "Detail": detail if isinstance(detail, str) else json.dumps(detail),
        }
        events = self.client("events") if session is None else self._client_of(session, "events")
        response = events.put_events(Entries=[entry])
        result = response["Entries"][0]
        if "EventId" not in result:
            raise RuntimeError(f"PutEvents rejected the event: {result}")
        return str(result["EventId"])

    def settle(self) -> None:
        """Wait until every CloudTrail event emitted so far has been delivered to its rules' targets."""
        if self.cloudtrail is not None:
            self.cloudtrail.settle()

    def console_session(self, username: str, *, mfa: bool = False) -> boto3.session.Session:
        """A simulated console session of IAM user `username`: calls made with it name that user in CloudTrail.
        No access key is created for the user. `mfa`: the user signed in with an MFA device (its calls carry
        `aws:MultiFactorAuthPresent` true)."""
        key_id, secret = identity.register_console_session(self.account, username, mfa=mfa)
        return boto3.session.Session(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token="console-session",  # noqa: S106 - a local marker, not a credential
            region_name=self.region,
        )

    def console_sign_in(
        self,
        username: str,
        password: str,
        *,
        mfa_code: str | None = None,
        source_ip: str = "198.51.100.7",
        region: str | None = None,
    ) -> boto3.session.Session | None:
        """Sign IAM user `username` in to the console, as AWS Sign-In does: the password must be the user's login
        profile's and, when the user has an MFA device enabled, `mfa_code` a current code of one of them. Emits the
        "AWS Console Sign In via CloudTrail" event (ConsoleLogin, Success or Failure) in `region` (the sign-in
        endpoint's; default the cloud's). Returns the console session (its calls come from `source_ip`), or None."""
        from moto.iam.models import iam_backends

        iam = iam_backends[self.account]["global"]
        region = region or self.region
        user = iam.users.get(username)
        if user is None:  # AWS does not record the name typed: it may be a password or another private text
            who = {"type": "IAMUser", "accountId": self.account, "accessKeyId": "", "userName": cloudtrail.HIDDEN}
            self._sign_in_event(who, False, False, region, source_ip, "No username found in supplied account")
            return None
        devices = [iam.virtual_mfa_devices.get(serial) for serial in user.mfa_devices]
        seeds = [d.base32_string_seed for d in devices if d is not None and d.base32_string_seed]
        mfa = bool(user.mfa_devices)
        password_ok = bool(user.password) and user.password == password
        mfa_ok = not mfa or (mfa_code is not None and any(mfa_codes.code_matches(s, mfa_code) for s in seeds))
        who = {
            "type": "IAMUser",
            "principalId": user.id,
            "arn": user.arn,
            "accountId": self.account,
            "userName": username,
        }
        if not (password_ok and mfa_ok):
            failed = {k: v for k, v in who.items() if k != "arn"} | {"accessKeyId": ""}
            self._sign_in_event(failed, False, mfa and mfa_code is not None, region, source_ip)
            return None
        self._sign_in_event(who, True, mfa, region, source_ip)
        key_id, secret = identity.register_console_session(self.account, username, mfa=mfa, source_ip=source_ip)
        return self._session(key_id, secret, "console-session")

    def root_console_sign_in(
        self, *, success: bool = True, mfa: bool = True, source_ip: str = "198.51.100.7", region: str | None = None
    ) -> boto3.session.Session | None:
        """A person signing in to the console as the account's root user: emits root's ConsoleLogin event (always
        recorded in us-east-1 by AWS; `region` overrides it for a test). Returns a root session, or None."""
        who = {
            "type": "Root",
            "principalId": self.account,
            "arn": f"arn:aws:iam::{self.account}:root",
            "accountId": self.account,
            "accessKeyId": "",
        }
        self._sign_in_event(who, success, mfa, region or cloudtrail.SIGN_IN_ROOT_REGION, source_ip)
        return self.root_session(source_ip=source_ip) if success else None

    def root_session(self, *, source_ip: str | None = None) -> boto3.session.Session:
        """Credentials of a person using the root user: authorized as root (as the default credentials are), and
        recorded in CloudTrail as root without `invokedBy` (the default credentials are the emulator's operator)."""
        key_id, secret = identity.register_root_session(self.account, source_ip=source_ip)
        return self._session(key_id, secret, "root-session")

    def from_ip(self, session: boto3.session.Session, ip: str) -> boto3.session.Session:
        """Make every call of `session`'s credentials (a console, root, role or user session) come from `ip`:
        CloudTrail's sourceIPAddress and the `aws:SourceIp` policies see. Returns the same session."""
        credentials = session.get_credentials()
        who = identity.user_identity(credentials.access_key if credentials else None, self.account)
        if credentials is None or who.get("invokedBy") == identity.HARNESS:
            raise ValueError("from_ip needs a session of its own (the default credentials are the emulator's)")
        identity.add_session_context(credentials.access_key, {"aws:SourceIp": ip})
        return session

    def _sign_in_event(
        self, who: dict[str, Any], success: bool, mfa_used: bool, region: str, source_ip: str, error: str = ""
    ) -> None:
        if self.cloudtrail is None:
            return
        detail = cloudtrail.sign_in(
            self.account,
            who,
            success=success,
            mfa_used=mfa_used,
            region=region,
            source_ip=source_ip,
            error=error or "Failed authentication",
        )
        self.cloudtrail.emit(self.account, detail, region=region, source="aws.signin", detail_type=cloudtrail.SIGN_IN)

    def _session(self, key_id: str, secret: str, token: str) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=self.region,
        )

    def function_session(self, function_name: str) -> boto3.session.Session:
        """The session a deployed function runs with (its execution role, as Lambda assumes it): to try, in a
        test, what that role may and may not do outside the function's own code."""
        from moto.awslambda.models import lambda_backends

        function = lambda_backends[self.account][self.region].get_function(function_name)
        creds = self.runtime.role_credentials(function)
        return boto3.session.Session(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=creds["AWS_SESSION_TOKEN"],
            region_name=self.region,
        )

    def role_session(self, role_arn: str, session_name: str = "localcloud") -> boto3.session.Session:
        """A session of `role_arn` (STS AssumeRole), e.g. the helpdesk role that reads new users' secrets."""
        creds = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
        )

    def fire_schedule(self, rule_name: str) -> list[str]:
        """Run a scheduled rule now, as of the local clock (EventBridge's "Scheduled Event")."""
        from moto.events.models import events_backends

        rule = events_backends[self.account][self.region].describe_rule(rule_name, "default")
        return eventbridge_targets.fire_schedule(rule, self.clock.now())

    def fire_scheduler_schedule(self, name: str, group: str = "default") -> str:
        """Run an EventBridge Scheduler schedule now, as its target's role; returns the execution it started."""
        return scheduler_schedules.fire(self.account, self.region, name, group)

    def executions(self, state_machine_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
            found += page["executions"]
        return found

    def wait_for_executions(
        self, state_machine_arn: str, count: int, timeout: float = 60, *, parked_ok: bool = False
    ) -> list[dict[str, Any]]:
        """Wait until at least `count` executions exist and each has finished (or, with `parked_ok`, is parked
        on a task token, e.g. waiting for MFA enrolment); oldest first."""
        deadline = time.monotonic() + timeout
        while len(runs := self.executions(state_machine_arn)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(runs)} executions after {timeout}s (wanted {count})")
            time.sleep(POLL_SECONDS)
        remaining = max(1.0, deadline - time.monotonic())
        settled = [self.wait_for_execution(r["executionArn"], remaining, parked_ok=parked_ok) for r in runs]
        return sorted(settled, key=lambda d: d["startDate"])

    def wait_for_execution(self, execution_arn: str, timeout: float = 60, *, parked_ok: bool = False) -> dict[str, Any]:
        """Wait for one execution to finish (or, with `parked_ok`, to park on a task token)."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while not self._settled(execution := sfn.describe_execution(executionArn=execution_arn), parked_ok):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still {execution['status']} after {timeout}s")
            time.sleep(POLL_SECONDS)
        return dict(execution)

    def _settled(self, execution: dict[str, Any], parked_ok: bool) -> bool:
        if execution["status"] in TERMINAL:
            return True
        if not parked_ok:
            return False
        # From the emulator's backend: the API would serialise the whole history on every poll.
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[self.account][self.region]
        found: Any = backend.describe_execution(execution_arn=execution["executionArn"])
        events = found.to_history_output()["events"]
        return bool(events) and events[-1]["type"] == "TaskSubmitted"

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events += page["events"]
        return events

    def log_messages(self) -> list[str]:
        """Every message in every CloudWatch Logs group of the account."""
        logs = self.client("logs")
        messages: list[str] = []
        for page in logs.get_paginator("describe_log_groups").paginate():
            for group in page["logGroups"]:
                for events in logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"]):
                    messages += [e["message"] for e in events["events"]]
        return messages

    def _stop_running_executions(self) -> None:
        if self._mock is None:
            return
        sfn = self.client("stepfunctions")
        for machine in sfn.list_state_machines()["stateMachines"]:
            for run in self.executions(machine["stateMachineArn"]):
                if run["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=run["executionArn"], error="LocalCloudStopped")


def _authorization_mode(flag: bool | str | None) -> iam_authorization.Mode:
    if flag is None:
        flag = os.environ.get("LOCALCLOUD_AUTHORIZATION", "on").lower()
    if flag == "report":
        return "report"
    return "off" if flag in (False, "off", "0", "false") else "enforce"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
