"""The request context a policy is evaluated against: the request's own keys plus the principal's global keys.

Key names are case-insensitive (IAM User Guide, "Variables and tags": `aws:CurrentTime` equals `AWS:currenttime`).
The principal's keys follow "AWS global condition context keys" and the principal table of "Variables and tags":
`aws:username` for IAM users only; `aws:userid` is the account id for the root user and `role-id:session-name`
for a role session; `aws:PrincipalType` is Account, User, AssumedRole or Anonymous. Keys the request supplies
override derived ones. `aws:CurrentTime` and `aws:EpochTime` are in every request: the clock is read only when a
policy asks for them and the request did not supply them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .model import ContextValue, Principal, Request

_PRINCIPAL_TYPE = {"Root": "Account", "IAMUser": "User", "AssumedRole": "AssumedRole", "Anonymous": "Anonymous"}


class RequestContext:
    __slots__ = ("_values",)

    def __init__(self, request: Request) -> None:
        values = principal_keys(request.principal)
        values.update((key.lower(), value) for key, value in request.context.items())
        self._values = values

    def get(self, key: str) -> ContextValue | None:
        """The value of a (lower-case) key, None when the request has no such key."""
        value = self._values.get(key)
        if value is None and key in ("aws:currenttime", "aws:epochtime"):
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            value = now if key == "aws:currenttime" else int(now.timestamp())
        return value

    def variable(self, key: str) -> str | None:
        """The value a policy variable takes: single-valued keys only (a multivalued key cannot be substituted)."""
        value = self.get(key)
        if value is None or is_multivalued(value):
            return None
        return as_text(value)


def principal_keys(principal: Principal) -> dict[str, ContextValue]:
    values: dict[str, ContextValue] = {"aws:principalisawsservice": principal.type == "AWSService"}
    if principal.type == "AWSService":
        if principal.service:
            values["aws:principalservicename"] = principal.service
        return values
    values["aws:principaltype"] = _PRINCIPAL_TYPE[principal.type]
    if principal.type == "Anonymous":
        return values
    values["aws:principalarn"] = principal.principal_arn
    values["aws:principalaccount"] = principal.account
    userid = principal.userid or (principal.account if principal.type == "Root" else "")
    if userid:
        values["aws:userid"] = userid
    if principal.type == "IAMUser" and principal.username:
        values["aws:username"] = principal.username
    for tag, tag_value in principal.tags.items():
        values[f"aws:principaltag/{tag.lower()}"] = tag_value
    return values


def is_multivalued(value: ContextValue) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def as_text(value: ContextValue) -> str:
    """A single context value as the string policies compare it to (booleans are "true"/"false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
