"""boto3 clients the emulator itself uses (deliveries, service principals, role sessions), cached.

Creating a client loads the service's JSON models unless the botocore session has them already; a new
boto3 Session per delivery made that the emulator's main cost. All clients here share one botocore loader and are
kept per (service, region, access key): clients are thread-safe, and credentials never change for a key.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.session

_lock = threading.Lock()
_clients: dict[tuple[str, str, str | None], Any] = {}
_loader: Any = None


def client(service: str, region: str, credentials: dict[str, str] | None = None) -> Any:
    """A client for `service` in `region` with `credentials` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN; or aws_access_key_id, ... as boto3 names them), or the process's default credentials."""
    creds = _normalised(credentials)
    key = (service, region, creds.get("aws_access_key_id"))
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _session(creds).client(service, region_name=region)  # type: ignore[call-overload]
        return found


def forget() -> None:
    """Drop every cached client (the emulated account is going away)."""
    with _lock:
        _clients.clear()


def _session(creds: dict[str, str]) -> boto3.session.Session:
    global _loader
    core = botocore.session.get_session()
    if _loader is None:
        _loader = core.get_component("data_loader")
    core.register_component("data_loader", _loader)  # models are read from disk once per process
    return boto3.session.Session(botocore_session=core, **creds)


def _normalised(credentials: dict[str, str] | None) -> dict[str, str]:
    if not credentials:
        return {}
    names = {
        "AWS_ACCESS_KEY_ID": "aws_access_key_id",
        "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
        "AWS_SESSION_TOKEN": "aws_session_token",
    }
    return {names.get(k, k): v for k, v in credentials.items() if names.get(k, k) in names.values()}
