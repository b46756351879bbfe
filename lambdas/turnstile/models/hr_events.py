"""The HR event contract (bus `turnstile-hr`). Anything else is rejected before it can touch IAM."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# The Powertools layer carries pydantic but not email-validator: a pragmatic address check.
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
OrgUnit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class Access(BaseModel):
    model_config = ConfigDict(extra="forbid")

    console: bool = True
    programmatic: bool = False


class HireDetail(BaseModel):
    """`detail` of an "Employee Hired" event."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    employee_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    first_name: Name
    last_name: Name
    email: Email
    department: OrgUnit
    team: OrgUnit | None = None
    # Optional: derived as first.last when absent. IAM's rule ([\w+=,.@-]{1,64}, ASCII) is checked by
    # the validator for given and derived names alike.
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    access: Access = Access()
    effective_date: dt.date | None = None


class HireEvent(EventBridgeModel):  # type: ignore[misc]
    """The whole EventBridge envelope, as the rule hands it to the onboarding workflow."""

    detail_type: Literal["Employee Hired"] = Field(alias="detail-type")
    detail: HireDetail
