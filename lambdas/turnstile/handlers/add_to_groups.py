"""Onboarding step 5 (AddToGroups): membership of the hire's allow-listed groups."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.groups import ensure_groups
from ..models.onboarding import StepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
        result = ensure_groups(client("iam"), event.hire, settings().require_directory().allowed_groups)
    logger.info("groups ensured", extra={"result": result.model_dump()})
    return result.model_dump()
