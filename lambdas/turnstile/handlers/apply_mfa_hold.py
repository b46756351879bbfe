"""Onboarding step 5 (ApplyMfaHold): the MFA-hold group, before any credential exists."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import apply_hold
from ..models.onboarding import StepInput
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    group = settings().mfa_hold_group
    return {"hold_group": group, "added": apply_hold(client("iam"), event.hire.username, group)}
