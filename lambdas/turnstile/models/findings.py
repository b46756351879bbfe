"""A finding: what an alert says — who did what to whom, from where, why it matters — and its Security Hub form.

Every text in it is bounded and comes from a validated event or from Turnstile's own wording; a value that is not
plain and short is described, never shown (`shown`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

MAX_TEXT = 256
_PLAIN = re.compile(r"^[\w .:/@+=,()*#-]{1,256}$")


def shown(value: Any, limit: int = MAX_TEXT) -> str | None:
    """`value` if it is short plain text; else a description of it (its type and size)."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= limit and _PLAIN.fullmatch(value):
        return value
    return f"(not shown: {type(value).__name__}, {len(json.dumps(value, default=str))} characters)"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    arn: str | None = None
    user_name: str | None = None
    session_issuer: str | None = None
    invoked_by: str | None = None


class TargetUser(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_name: str
    arn: str | None = None
    managed: bool = False
    employee_id: str | None = None
    department: str | None = None
    team: str | None = None


class Burst(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    count: int
    counts: str  # events | users
    window_minutes: int


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    detection: str
    severity: str
    title: str
    rationale: str
    control: str | None
    finding_type: str
    why: str
    also: list[str] = []
    time: dt.datetime
    action: str
    succeeded: bool
    principal: Principal
    target: TargetUser | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    region: str
    account: str
    event_id: str
    console_link: str
    burst: Burst | None = None

    @property
    def subject(self) -> str:
        """SNS subject: ASCII, no line breaks, under 100 characters."""
        text = f"Turnstile {self.severity}: {self.title}"
        return text.encode("ascii", "replace").decode()[:99]

    @property
    def summary(self) -> str:
        """One readable line: why it matters, who did what to whom, from where, when (a burst: how many, key)."""
        who = self.principal.arn or self.principal.type
        whom = f" on user {self.target.user_name}" if self.target else ""
        if self.target and self.target.employee_id:
            whom += f" (employee {self.target.employee_id}, {self.target.team or self.target.department or '-'})"
        where = f" from {self.source_ip}" if self.source_ip else ""
        if self.burst:
            return (
                f"{self.why}: {self.burst.count} {self.burst.counts} within {self.burst.window_minutes} minutes "
                f"({self.burst.key}); the latest, {self.action} by {who}{whom}{where} at {self.time.isoformat()}."
            )
        return f"{self.why}. {who} called {self.action}{whom}{where} at {self.time.isoformat()}."

    def message(self) -> dict[str, Any]:
        """The SNS message body (readable JSON: a summary line first, then every field)."""
        return {"summary": self.summary, **self.model_dump(mode="json", exclude_none=True)}

    def asff(self, *, partition: str, hub_region: str) -> dict[str, Any]:
        """The finding in AWS Security Finding Format (Security Hub User Guide, "Required attributes")."""
        at = self.time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {
            "SchemaVersion": "2018-10-08",
            "Id": f"turnstile/{self.id}",
            "ProductArn": f"arn:{partition}:securityhub:{hub_region}:{self.account}:product/{self.account}/default",
            "GeneratorId": f"turnstile/{self.detection}",
            "AwsAccountId": self.account,
            "Types": [self.finding_type],
            "CreatedAt": at,
            "UpdatedAt": at,
            "Severity": {"Label": self.severity},
            "Title": self.title[:256],
            "Description": self.summary[:1024],
            "SourceUrl": self.console_link,
            "Remediation": {"Recommendation": {"Text": self.rationale[:512]}},
            "ProductFields": {
                k: v
                for k, v in {
                    "turnstile/detection": self.detection,
                    "turnstile/also": ",".join(self.also),
                    "turnstile/control": self.control or "",
                    "turnstile/action": self.action,
                    "turnstile/event-id": self.event_id,
                    "turnstile/principal": self.principal.arn or self.principal.type,
                }.items()
                if v
            },
            "Resources": [self._resource(partition)],
        }

    def _resource(self, partition: str) -> dict[str, Any]:
        if self.target and self.target.arn:
            return {"Type": "AwsIamUser", "Id": self.target.arn, "Partition": partition, "Region": self.region}
        if self.principal.session_issuer:
            return {"Type": "AwsIamRole", "Id": self.principal.session_issuer, "Partition": partition}
        if self.principal.type == "IAMUser" and self.principal.arn:
            return {"Type": "AwsIamUser", "Id": self.principal.arn, "Partition": partition}
        return {"Type": "AwsAccount", "Id": f"AWS::::Account:{self.account}", "Partition": partition}
