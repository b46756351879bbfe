"""Onboarding step 3 (EnsurePasswordPolicy), and the daily PasswordPolicySchedule: the account password policy
equals the configured one."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.password_policy import ensure_password_policy
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    changes = ensure_password_policy(client("iam"), settings().password_policy)
    if changes:
        metrics.add_metric(name="PasswordPolicyReapplied", unit=MetricUnit.Count, value=1)
        logger.warning("password policy had drifted; re-applied", extra={"fields": sorted(changes)})
    return {"changed": sorted(changes)}
