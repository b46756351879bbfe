"""The HR event contract (bus `turnstile-hr`). Anything else is rejected before it can touch IAM.

Strict: nothing is coerced ("yes" and 1 are not booleans, 5 is not a string, 1764547200 is not a date), and
every string is bounded. What becomes an IAM tag value (e-mail, department, team) is checked against IAM's
tag-value set here, so AWS cannot refuse it halfway through an onboarding. The user name's rules, and the
rules that need configuration (departments, reserved names, the effective-date window), are the validator's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from .aws_formats import PLAIN_TEXT, TAG_VALUE, IsoDate, StrictEnvelope

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), PLAIN_TEXT]
# The Powertools layer carries pydantic but not email-validator: a pragmatic address check, then IAM's
# tag-value set (the address becomes the `turnstile:email` tag: no ' ! # & and the like).
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), TAG_VALUE
]
# Matched against configured names, which become `turnstile:department` / `turnstile:team` tag values.
OrgUnit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), TAG_VALUE]


class Access(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    console: StrictBool = True
    programmatic: StrictBool = False


class HireDetail(BaseModel):
    """`detail` of an "Employee Hired" event."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    employee_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    first_name: Name
    last_name: Name
    email: Email
    department: OrgUnit
    team: OrgUnit | None = None
    # Optional: derived as first.last when absent. Its character set and the reserved names are checked by
    # the validator, for given and derived names alike.
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    access: Access = Access()
    effective_date: IsoDate | None = None


class HireEvent(StrictEnvelope):
    """The whole EventBridge envelope, as the rule hands it to the onboarding workflow."""

    detail_type: Literal["Employee Hired"] = Field(alias="detail-type")
    detail: HireDetail


EmployeeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
# Recorded in the audit trail and, while a disabled user is retained, as the `turnstile:termination-reason` tag.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), PLAIN_TEXT, TAG_VALUE]


class TerminationDetail(BaseModel):
    """`detail` of an "Employee Terminated" event. The user is found from Turnstile's own record of the hire; a
    `username`, if given, must be that user's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    employee_id: EmployeeId
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    # Access ends at the start of this day (UTC); absent or past: now.
    effective_date: IsoDate | None = None
    # For cause: now, whatever the effective date says.
    immediate: StrictBool = False
    reason: Reason | None = None


class TerminationEvent(StrictEnvelope):
    detail_type: Literal["Employee Terminated"] = Field(alias="detail-type")
    detail: TerminationDetail


class TransferDetail(BaseModel):
    """`detail` of an "Employee Transferred" event: the new department (and team), checked like a hire's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    employee_id: EmployeeId
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    department: OrgUnit
    team: OrgUnit | None = None
    effective_date: IsoDate | None = None


class TransferEvent(StrictEnvelope):
    detail_type: Literal["Employee Transferred"] = Field(alias="detail-type")
    detail: TransferDetail
