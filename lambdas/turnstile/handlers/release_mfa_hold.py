"""Onboarding step (ReleaseMfaHold): MFA is enrolled, the hold group goes."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.mfa import release_hold
from ..models.onboarding import StepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
        removed = release_hold(client("iam"), event.hire.username, settings().mfa_hold_group)
    return {"hold_group": settings().mfa_hold_group, "removed": removed}
