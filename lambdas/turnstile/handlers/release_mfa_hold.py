"""Onboarding step 11 (ReleaseMfaHold): MFA is enrolled, the hold group goes."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import release_hold
from ..models.onboarding import StepInput
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    group = settings().mfa_hold_group
    return {"hold_group": group, "removed": release_hold(client("iam"), event.hire.username, group)}
