"""PasswordPolicyChangedRule target (GuardPasswordPolicy): a change by anyone else is reverted and alerted."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.iam_events import on_password_policy_changed, parse
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    with transient_errors_as_typed():
        parsed = parse(client("dynamodb"), env, event)
        if parsed is None:
            return {"outcome": "rejected"}
        result = on_password_policy_changed(client("iam"), client("dynamodb"), client("sns"), env, parsed)
    logger.info("password policy change handled", extra={"result": result})
    return result
