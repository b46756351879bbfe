"""Onboarding step 7 (CreateLoginProfile): console password, stored in Secrets Manager, reset required."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.login_profile import ensure_login_profile
from ..models.onboarding import StepInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    result = ensure_login_profile(client("iam"), client("secretsmanager"), event.hire, env.password_policy, env)
    logger.info("login profile ensured", extra={"result": result.model_dump()})
    return result.model_dump()
