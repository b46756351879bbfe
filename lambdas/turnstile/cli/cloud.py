"""The AWS side of the CLI: a boto3 session (profile, region, endpoint), the stack's outputs, and errors turned
into one-line messages that name what failed (never a stack trace)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

REQUIRED_OUTPUTS = ("HrBusName", "TableName", "OnboardingStateMachineArn", "KeyRotationStateMachineArn")
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"})
REFUSED_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class CliError(Exception):
    """A failure the CLI explains in one line (exit code 1)."""


@dataclass(frozen=True)
class Options:
    endpoint_url: str | None
    region: str | None
    profile: str | None
    stack_name: str


class Cloud:
    """Clients of one session, and the stack's outputs (read once)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.last_call = "?"
        try:
            self.session = boto3.session.Session(profile_name=options.profile, region_name=options.region)
        except ProfileNotFound:
            raise CliError(f"AWS profile {options.profile!r} not found (~/.aws/config)") from None
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(  # type: ignore[call-overload]
                service, endpoint_url=self.options.endpoint_url, config=_CONFIG
            )
            client.meta.events.register("before-call", self._note_call)
            self._clients[service] = client
        return self._clients[service]

    def _note_call(self, model: Any, **_: Any) -> None:
        """Remember the action being called, so that a refusal can name it (e.g. events:PutEvents)."""
        self.last_call = f"{model.service_model.signing_name}:{model.name}"

    @functools.cached_property
    def outputs(self) -> dict[str, str]:
        stack = self.options.stack_name
        try:
            found = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in str(error):
                raise CliError(
                    f"stack {stack!r} not found in {self.region} (deployed elsewhere? --stack-name, --region)"
                ) from None
            if error.response.get("Error", {}).get("Code") in DENIED:
                raise CliError(
                    "access denied: cloudformation:DescribeStacks (it finds the stack's resources; "
                    "`send --bus NAME` needs no stack)"
                ) from None
            raise
        outputs = {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
        missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
        if missing:
            raise CliError(f"stack {stack!r} has no output {', '.join(missing)}: is it a Turnstile stack?")
        return outputs

    def output(self, name: str) -> str:
        return self.outputs[name]

    @property
    def region(self) -> str:
        return self.session.region_name or "(no region)"


@contextlib.contextmanager
def explained(cloud: Cloud | None = None) -> Iterator[None]:
    """Turn AWS and SDK failures into a CliError with one readable line."""
    try:
        yield
    except CliError:
        raise
    except ClientError as error:
        raise CliError(describe_client_error(error, cloud.last_call if cloud else None)) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise CliError(
            "no AWS credentials: use --profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(and AWS_SESSION_TOKEN)"
        ) from None
    except NoRegionError:
        raise CliError("no region: pass --region or set AWS_REGION") from None
    except EndpointConnectionError as error:
        raise CliError(f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}") from None
    except BotoCoreError as error:
        raise CliError(str(error)) from None


def describe_client_error(error: ClientError, action: str | None) -> str:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    action = action or error.operation_name
    if code in DENIED:
        return f"access denied: {action} (the credentials in use may not call it)"
    if code in REFUSED_CREDENTIALS:
        return f"the credentials were refused ({code}) calling {action}: expired or not valid for this endpoint"
    message = str(details.get("Message", "")).splitlines()[0][:300] if details.get("Message") else ""
    return f"{action} failed: {code}" + (f": {message}" if message else "")
