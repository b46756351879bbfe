"""Who calls the emulated account, from the request's access key, and the policies on the caller's side: an IAM
user's inline and attached policies and its groups' (IAM User Guide, "Policy evaluation logic": identity-based
policies), a role's, each one's permissions boundary, and a role session's session policy.

Read from moto's IAM and STS backends (`localcloud.identity` knows the sessions the emulator registered: console
sign-ins, AWS services acting for a resource). Unknown or missing credentials are the account root, as the
emulator's default credentials are.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from moto.iam.models import IAMBackend, iam_backends
from moto.sts.models import sts_backends

from .. import identity
from .model import ContextValue, Policy, Principal


@dataclass(frozen=True)
class Caller:
    principal: Principal
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # keys the session itself carries
    session_policy: str | None = None  # the Policy passed to AssumeRole, if any


@lru_cache(maxsize=2048)
def document(text: str) -> Mapping[str, Any]:
    """A policy document, parsed once per text: the same object each time, so the evaluator's cache holds."""
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}


def _text(doc: Any) -> str:
    return doc if isinstance(doc, str) else json.dumps(doc, sort_keys=True)


_role_sessions: dict[tuple[str, str], Caller] = {}
_lock = threading.Lock()


def forget() -> None:
    with _lock:
        _role_sessions.clear()


def backend(account: str) -> IAMBackend:
    return iam_backends[account]["global"]


def root(account: str) -> Caller:
    arn = f"arn:aws:iam::{account}:root"
    return Caller(Principal("Root", arn, arn, account, userid=account))


def caller(access_key_id: str | None, account: str) -> Caller:
    """The principal behind `access_key_id`: a registered session, a role session, an IAM user, or root."""
    with _lock:
        known = _role_sessions.get((account, access_key_id or ""))
    if known is not None:
        return known
    who = identity.user_identity(access_key_id, account)
    context = identity.session_context(access_key_id)
    kind = who["type"]
    if kind == "AWSService":
        service = str(who["invokedBy"])
        return Caller(Principal("AWSService", service, service, "", service=service), context)
    if kind == "IAMUser":
        user = backend(account).users.get(who["userName"])
        if user is None:
            return root(account)
        tags = _tags(backend(account).tagger.list_tags_for_resource(user.arn)["Tags"])
        principal = Principal("IAMUser", user.arn, user.arn, account, user.id, user.name, tags=tags)
        return Caller(principal, context)
    if kind == "AssumedRole":
        found = _role_session(access_key_id or "", account, context)
        if found is not None:
            with _lock:
                _role_sessions[(account, access_key_id or "")] = found
            return found
    return root(account)


def _role_session(access_key_id: str, account: str, context: dict[str, Any]) -> Caller | None:
    for sts in sts_backends[account].values():
        session = sts.get_assumed_role_from_access_key(access_key_id)
        if session is None:
            continue
        role = next((r for r in backend(account).roles.values() if r.arn == session.role_arn), None)
        role_arn = role.arn if role else session.role_arn
        role_id = role.id if role else "AROA" + session.role_arn.rsplit("/", 1)[-1]
        tags = _tags(role.tags) if role else {}
        principal = Principal(
            "AssumedRole", session.arn, role_arn, account, f"{role_id}:{session.session_name}", tags=tags
        )
        # Temporary credentials always carry aws:MultiFactorAuthPresent (false unless AssumeRole was given MFA).
        return Caller(principal, {"aws:MultiFactorAuthPresent": False, **context}, session.policy or None)
    return None


def _tags(tags: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def policies(who: Caller) -> list[Policy]:
    """The identity-based policies, permissions boundary and session policy that apply to `who`."""
    principal = who.principal
    iam = backend(principal.account) if principal.account else None
    if iam is None or principal.type not in ("IAMUser", "AssumedRole"):
        return []
    if principal.type == "IAMUser":
        user = iam.users.get(principal.username or "")
        if user is None:
            return []
        found = _entity_policies(f"user/{user.name}", user.policies, user.managed_policies)
        for group in iam.get_groups_for_user(user.name):
            found += _entity_policies(f"group/{group.name}", group.policies, group.managed_policies)
        found += _boundary(iam, getattr(user, "permissions_boundary_arn", None))
        return found
    role = next((r for r in iam.roles.values() if r.arn == principal.principal_arn), None)
    if role is None:
        return []
    found = _entity_policies(f"role/{role.name}", role.policies, role.managed_policies)
    found += _boundary(iam, role.permissions_boundary_arn)
    if who.session_policy:
        found.append(Policy("session", f"session policy of {principal.arn}", document(who.session_policy)))
    return found


def _entity_policies(owner: str, inline: Mapping[str, Any], managed: Mapping[str, Any]) -> list[Policy]:
    found = [Policy("identity", f"{owner} inline {name}", document(_text(doc))) for name, doc in inline.items()]
    for arn, policy in managed.items():
        found.append(Policy("identity", f"{owner} managed {arn}", document(_default_version(policy))))
    return found


def _boundary(iam: IAMBackend, arn: str | None) -> list[Policy]:
    if not arn:
        return []
    try:
        policy = iam.get_policy(arn)
    except Exception:  # a boundary that no longer exists allows nothing (AWS refuses to delete one in use)
        return [Policy("boundary", f"boundary {arn} (missing)", {"Version": "2012-10-17", "Statement": []})]
    return [Policy("boundary", f"boundary {arn}", document(_default_version(policy)))]


def _default_version(policy: Any) -> str:
    for version in policy.versions:
        if version.is_default:
            return _text(version.document)
    return _text(policy.versions[-1].document)
