"""boto3 clients with Turnstile's retry policy, and the mapping of AWS errors to typed ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .errors import TransientAwsError

# The SDK's "standard" mode retries throttling and 5xx with exponential backoff and full jitter.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceFailure",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServiceError",
        "InternalServerError",
        "ConcurrentModification",
        "ConcurrentModificationException",
        "ProvisionedThroughputExceededException",
    }
)


@cache
def _session() -> boto3.session.Session:
    """The container's session: credentials resolved once, from this function's environment (its role)."""
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """One client per service per container, reused across invocations."""
    return _session().client(service, config=_CLIENT_CONFIG)  # type: ignore[call-overload]


def clear_cache() -> None:
    """Forget the session and clients (a new container); for tests that change accounts."""
    client.cache_clear()
    _session.cache_clear()


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def transient_errors_as_typed() -> Iterator[None]:
    """Re-raise throttling/service faults as TransientAwsError so the state machine's Retry matches them."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in TRANSIENT_CODES:
            raise TransientAwsError(f"{error_code(error)} after SDK retries: {error}") from error
        raise
