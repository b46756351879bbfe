"""Onboarding step 6 (AddToGroups): membership of the hire's allow-listed groups."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.groups import ensure_groups
from ..models.onboarding import StepInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(StepInput)
def handler(event: StepInput, context: LambdaContext) -> dict[str, Any]:
    result = ensure_groups(client("iam"), event.hire, settings().require_directory().allowed_groups)
    logger.info("groups ensured", extra={"result": result.model_dump()})
    return result.model_dump()
