"""Gap: moto's Step Functions interpreter calls Lambda and the other services with a made-up key ("ak"), so its
calls are nobody's and the state machine's role is never used. Adapter: the interpreter's clients act as the
execution's role, assumed by `states.amazonaws.com` with the state machine as `aws:SourceArn` (the role's trust
policy must allow that: AWS Step Functions Developer Guide, "Cross-service confused deputy prevention"). A role
that does not trust Step Functions fails the task, as the service cannot act.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from moto.core.models import botocore_stubber
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils import boto_client

from . import authorization

SERVICE = "states.amazonaws.com"
_original_client_for = boto_client.boto_client_for
_original_credentials = StateTask._eval_state_credentials
_clients: dict[tuple[str, ...], BaseClient] = {}
_lock = threading.Lock()


@dataclass
class ExecutionCredentials(StateCredentials):
    """The task's role (the execution's, or the task's own Credentials) and the state machine acting."""

    state_machine_arn: str | None = None


def _credentials(self: StateTask, env: Environment) -> StateCredentials:
    found = _original_credentials(self, env)
    machine = env.states.context_object.context_object_data.get("StateMachine", {}).get("Id")
    return ExecutionCredentials(role_arn=found.role_arn, state_machine_arn=machine)


def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    role = getattr(state_credentials, "role_arn", None)
    if not role:
        return _original_client_for(region, service, state_credentials)
    machine = getattr(state_credentials, "state_machine_arn", None)
    credentials = authorization.active().assume_role(
        role, service=SERVICE, source_arn=machine, source_account=role.split(":")[4], session_name="localcloud-states"
    )
    key = (credentials["aws_access_key_id"], service, region, str(botocore_stubber.enabled))
    with _lock:
        client = _clients.get(key)
    if client is None:
        endpoint = {} if botocore_stubber.enabled else {"endpoint_url": f"http://localhost:{moto_server_port()}"}
        client = boto3.client(  # type: ignore[call-overload]
            service_name=service,
            region_name=region,
            config=Config(  # as moto's interpreter configures its clients
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            ),
            **credentials,
            **endpoint,
        )
        with _lock:
            _clients[key] = client
    return client  # type: ignore[no-any-return]


def _users() -> list[Any]:
    """Every interpreter module holding moto's `boto_client_for` (each imported it by name)."""
    import moto.stepfunctions.parser.asl.parse.preprocessor  # noqa: F401 - loads every state type's module

    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser") and module is not None and hasattr(module, "boto_client_for")
    ]


def install() -> None:
    for module in _users():
        if module.boto_client_for is _original_client_for:
            module.boto_client_for = boto_client_for
    StateTask._eval_state_credentials = _credentials  # type: ignore[method-assign]


def uninstall() -> None:
    for module in _users():
        if module.boto_client_for is boto_client_for:
            module.boto_client_for = _original_client_for
    StateTask._eval_state_credentials = _original_credentials  # type: ignore[method-assign]
    with _lock:
        _clients.clear()
