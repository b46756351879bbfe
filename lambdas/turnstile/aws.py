"""boto3 clients with Turnstile's retry policy, and the mapping of AWS errors to typed ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .errors import TransientAwsError

# The SDK's "standard" mode retries what botocore classifies as throttling or transient (each service's modelled
# retryable errors, 5xx, 429, timeouts) with exponential backoff and full jitter: 5 retries, 6 attempts in all.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
# IAM's ConcurrentModification ("multiple requests to change this object were submitted simultaneously ... submit
# your request again", IAM API reference, Common Errors) is not modelled as retryable, but is transient.
TRANSIENT_BEYOND_BOTOCORE = frozenset({"ConcurrentModification", "ConcurrentModificationException"})


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


def is_transient(error: Exception) -> bool:
    """Whether the SDK gave up on an error its standard retry mode classifies as retryable.

    botocore marks a response `MaxAttemptsReached` only after retrying it (its own classification: throttling codes
    of every service, modelled retryable errors, 5xx and 429); connection failures and timeouts surface as
    botocore's ConnectionError/HTTPClientError after the same retries.
    """
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return True
    if not isinstance(error, ClientError):
        return False
    metadata = error.response.get("ResponseMetadata", {})
    return bool(metadata.get("MaxAttemptsReached")) or error_code(error) in TRANSIENT_BEYOND_BOTOCORE


@contextmanager
def transient_errors_as_typed() -> Iterator[None]:
    """Re-raise what the SDK retried in vain as TransientAwsError, which every Task state retries."""
    try:
        yield
    except (ClientError, ConnectionError, HTTPClientError) as error:
        if is_transient(error):
            code = error_code(error) if isinstance(error, ClientError) else type(error).__name__
            raise TransientAwsError(f"{code}, still, after the SDK's retries") from error
        raise
