"""Onboarding step 2 (ClaimHire): the first execution for an employee's hire owns it; others stop."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.claims import claim_hire
from ..models.onboarding import ExecutionStepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=ExecutionStepInput)
def handler(event: ExecutionStepInput, context: LambdaContext) -> dict[str, Any]:
    claim = claim_hire(
        client("dynamodb"),
        settings().table_name,
        employee_id=event.hire.employee_id,
        username=event.hire.username,
        execution_id=event.execution_id,
    )
    logger.info("hire claimed" if not claim.duplicate else "duplicate hire", extra={"claim": claim.model_dump()})
    return claim.model_dump()
