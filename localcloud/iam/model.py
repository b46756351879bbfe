"""The vocabulary of the local cloud's IAM evaluation: who asks, to do what, on which resource, in what context,
under which policies — and what was decided, by which statement.

Pure data: nothing here touches moto. `evaluation.evaluate()` turns a Request and its Policies into a Decision;
`localcloud.adapters.authorization` builds both from each request moto receives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# A request-context value: single-valued keys are str/bool/int/datetime; multi-valued keys (aws:TagKeys) lists.
ContextValue = str | bool | int | dt.datetime | Sequence[str]

PrincipalType = Literal["Root", "IAMUser", "AssumedRole", "AWSService", "Anonymous"]
PolicyKind = Literal["identity", "boundary", "resource", "session"]


@dataclass(frozen=True)
class Principal:
    """The caller. `arn` is what AWS names in "User: <arn> is not authorized ..." (the assumed-role session ARN
    for a role session); `principal_arn` is `aws:PrincipalArn` (the role's ARN for a session)."""

    type: PrincipalType
    arn: str
    principal_arn: str
    account: str
    userid: str = ""
    username: str | None = None  # aws:username (IAM users only)
    service: str | None = None  # for AWSService: e.g. "events.amazonaws.com"
    tags: Mapping[str, str] = field(default_factory=dict)  # aws:PrincipalTag/<key>


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str  # "service:Action", as the Service Authorization Reference spells it
    resource: str  # an ARN, or "*" for actions without a resource type
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # keys as AWS spells them (case-insensitive)


@dataclass(frozen=True)
class Policy:
    kind: PolicyKind
    source: str  # who holds it, for reports: e.g. "role/turnstile-ClaimHireRole inline ClaimHireRoleDefaultPolicy"
    document: Mapping[str, Any]  # the parsed JSON policy document
    # Resource policies only: the account owning the resource (same-account grants differ from cross-account ones).
    resource_account: str | None = None


@dataclass(frozen=True)
class StatementRef:
    """One statement of one policy, as a report names it."""

    kind: PolicyKind
    source: str
    index: int  # position in the policy's Statement list
    sid: str | None
    effect: Literal["Allow", "Deny"]

    def __str__(self) -> str:
        name = f"Sid {self.sid}" if self.sid else f"statement #{self.index}"
        return f"{self.effect} {name} of {self.kind} policy {self.source}"


@dataclass(frozen=True)
class Decision:
    """The outcome. When denied, `reason` is AWS's phrase, e.g. "because no identity-based policy allows the
    iam:CreateUser action" or "with an explicit deny in a resource-based policy"."""

    allowed: bool
    reason: str = ""
    allowed_by: tuple[StatementRef, ...] = ()
    denied_by: StatementRef | None = None

    def message(self, request: Request) -> str:
        """AWS's AccessDenied message for this decision."""
        resource = f" on resource: {request.resource}" if request.resource != "*" else ""
        return f"User: {request.principal.arn} is not authorized to perform: {request.action}{resource} {self.reason}"
