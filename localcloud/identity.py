"""Who made a request to the emulated account, as CloudTrail would name them (`userIdentity`).

Resolved from the request's access key: a simulated console session (registered here, no real access key
behind it), a role session from STS AssumeRole (Turnstile's functions run with their own role's), an IAM
user's access key, or else the account root (the emulator's default credentials).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

_sessions: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def register_console_session(account: str, username: str) -> tuple[str, str]:
    """Credentials that the emulator maps to `username` signed in to the console (CloudTrail names the user).
    Returns (access key id, secret key); nothing is created in IAM."""
    user = iam_backends[account]["global"].get_user(username)
    key_id = "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    secret = secrets.token_urlsafe(30)
    with _lock:
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
                    "mfaAuthenticated": "false",
                }
            },
        }
    return key_id, secret


def forget_sessions() -> None:
    with _lock:
        _sessions.clear()


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
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": access_key_id or "",
    }


def principal_arn(identity: dict[str, Any]) -> str:
    """`aws:PrincipalArn`: the role for a role session, else the caller's own ARN."""
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer")
    return str(issuer["arn"] if identity["type"] == "AssumedRole" and issuer else identity["arn"])
