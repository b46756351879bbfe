"""Onboarding step 8 (IssueAccessKey): one access key, stored in Secrets Manager (programmatic-only users)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.access_keys import ensure_access_key
from ..models.onboarding import StepInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    result = ensure_access_key(client("iam"), client("secretsmanager"), event.hire, settings())
    logger.info("access key ensured", extra={"result": result.model_dump()})
    return result.model_dump()
