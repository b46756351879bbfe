"""Onboarding step 6 (CreateLoginProfile): console password, stored in Secrets Manager, reset required."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.login_profile import ensure_login_profile
from ..models.onboarding import StepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    with transient_errors_as_typed():
        result = ensure_login_profile(client("iam"), client("secretsmanager"), event.hire, env.password_policy, env)
    logger.info("login profile ensured", extra={"result": result.model_dump()})
    return result.model_dump()
