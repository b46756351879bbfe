"""Who made a request to the emulated account, as CloudTrail would name them (`userIdentity`).

Resolved from the request's access key: a simulated console session (registered here, no real access key
behind it), an AWS service acting for one of its resources (registered here: EventBridge delivering a rule's
event, SNS delivering to a queue), a role session from STS AssumeRole (Turnstile's functions run with their own
role's), an IAM user's access key, a root session (`register_root_session`: a person using the root user), or
else the account root as the emulator's operator (the default credentials, used by the tests and the deploy:
"testing", which moto's mock replaces with its own fake key; any key nothing else claims). CloudTrail names the
operator `{"type": "Root", ..., "invokedBy": "localcloud"}`: the emulator's operator, not a person using root;
CIS's root-usage filter (`$.userIdentity.invokedBy NOT EXISTS`) ignores it. Both are authorized as root.
Registered sessions may carry request-context keys of their own (`session_context`): whether MFA was used, the
service's `aws:SourceArn`/`aws:SourceAccount`, Lambda's `lambda:SourceFunctionArn`, the caller's `aws:SourceIp`
(also CloudTrail's `sourceIPAddress`; 127.0.0.1 when unset).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

HARNESS = "localcloud"  # userIdentity.invokedBy of the harness's calls
DEFAULT_SOURCE_IP = "127.0.0.1"
_sessions: dict[str, dict[str, Any]] = {}
_contexts: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def _new_key() -> tuple[str, str]:
    """An access key id moto recognises in a signature (20 upper-case characters) and a secret."""
    key_id = "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    return key_id, secrets.token_urlsafe(30)


def register_console_session(
    account: str, username: str, *, mfa: bool = False, source_ip: str | None = None
) -> tuple[str, str]:
    """Credentials that the emulator maps to `username` signed in to the console (CloudTrail names the user).
    `mfa`: the sign-in used an MFA device (`aws:MultiFactorAuthPresent`); `source_ip`: where its calls come from.
    Returns (access key id, secret key); nothing is created in IAM."""
    user = iam_backends[account]["global"].get_user(username)
    key_id, secret = _new_key()
    with _lock:
        _contexts[key_id] = {"aws:MultiFactorAuthPresent": mfa, **_ip(source_ip)}
        _sessions[key_id] = {
            "type": "IAMUser",
            "principalId": user.id,
            "arn": user.arn,
            "accountId": account,
            "accessKeyId": key_id,
            "userName": username,
            "sessionContext": {
                "attributes": {
                    "creationDate": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "mfaAuthenticated": "true" if mfa else "false",
                }
            },
        }
    return key_id, secret


def register_root_session(account: str, *, source_ip: str | None = None) -> tuple[str, str]:
    """Credentials of a person using the account's root user: authorized as root (as the default credentials
    are), named in CloudTrail as root without `invokedBy`. Returns (access key id, secret key)."""
    key_id, secret = _new_key()
    with _lock:
        _contexts[key_id] = _ip(source_ip)
        _sessions[key_id] = {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
            "accessKeyId": key_id,
        }
    return key_id, secret


def _ip(source_ip: str | None) -> dict[str, Any]:
    return {"aws:SourceIp": source_ip} if source_ip else {}


def source_ip(access_key_id: str | None) -> str:
    """The caller's IP address as CloudTrail records it (`sourceIPAddress`)."""
    return str(session_context(access_key_id).get("aws:SourceIp") or DEFAULT_SOURCE_IP)


def register_service_session(account: str, service: str, source_arn: str) -> tuple[str, str]:
    """Credentials of AWS service `service` (e.g. "events.amazonaws.com") acting for its resource `source_arn`
    (a rule, a topic) in `account`: its calls carry `aws:SourceArn` and `aws:SourceAccount`, and only resource
    policies can allow them. Returns (access key id, secret key)."""
    key_id, secret = _new_key()
    with _lock:
        _contexts[key_id] = {"aws:SourceArn": source_arn, "aws:SourceAccount": account}
        _sessions[key_id] = {"type": "AWSService", "invokedBy": service, "accountId": account}
    return key_id, secret


def add_session_context(access_key_id: str, keys: dict[str, Any]) -> None:
    """Request-context keys every call made with this (e.g. STS) key carries, such as Lambda's
    `lambda:SourceFunctionArn` for a function's execution-role session."""
    with _lock:
        _contexts.setdefault(access_key_id, {}).update(keys)


def session_context(access_key_id: str | None) -> dict[str, Any]:
    with _lock:
        return dict(_contexts.get(access_key_id or "", {}))


def forget_sessions() -> None:
    with _lock:
        _sessions.clear()
        _contexts.clear()


def user_identity(access_key_id: str | None, account: str) -> dict[str, Any]:
    if access_key_id and access_key_id in _sessions:
        return dict(_sessions[access_key_id])
    if access_key_id:
        for backend in sts_backends[account].values():
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                role_name = role.role_arn.split("/")[-1]
                return {
                    "type": "AssumedRole",
                    "principalId": f"{role.user_id}",
                    "arn": role.arn,
                    "accountId": account,
                    "accessKeyId": access_key_id,
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": role.user_id.split(":")[0],
                            "arn": role.role_arn,
                            "accountId": account,
                            "userName": role_name,
                        },
                        "attributes": {"mfaAuthenticated": "false"},
                    },
                }
        user = iam_backends[account]["global"].get_user_from_access_key_id(access_key_id)
        if user is not None:
            return {
                "type": "IAMUser",
                "principalId": user.id,
                "arn": user.arn,
                "accountId": account,
                "accessKeyId": access_key_id,
                "userName": user.name,
            }
    # The default credentials (and any key the emulator's own machinery makes up): its operator, not a person.
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": access_key_id or "",
        "invokedBy": HARNESS,
    }


def principal_arn(identity: dict[str, Any]) -> str:
    """`aws:PrincipalArn`: the role for a role session, else the caller's own ARN."""
    if identity["type"] == "AWSService":
        return str(identity["invokedBy"])
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer")
    return str(issuer["arn"] if identity["type"] == "AssumedRole" and issuer else identity["arn"])
