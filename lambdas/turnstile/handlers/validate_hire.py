"""Onboarding step 1 (ValidateHire): the HR event becomes a normalised `Hire`, or is rejected."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..domain.validation import validate_hire
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    hire = validate_hire(event, env.require_directory(), env.hr_source)
    logger.info("hire validated", extra={"username": hire.username, "employee_id": hire.employee_id})
    return hire.model_dump()
