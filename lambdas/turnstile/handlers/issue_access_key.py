"""Onboarding step 7 (IssueAccessKey): one access key, stored in Secrets Manager (programmatic users)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.access_keys import ensure_access_key
from ..models.onboarding import StepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
        result = ensure_access_key(client("iam"), client("secretsmanager"), event.hire, settings())
    logger.info("access key ensured", extra={"result": result.model_dump()})
    return result.model_dump()
