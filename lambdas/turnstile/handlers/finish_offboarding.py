"""Offboarding step 5 (FinishOffboarding): secrets scheduled for deletion, pending enrolment and claim settled."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import finish
from ..models.offboarding import FinishInput
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(FinishInput)
def handler(event: FinishInput, context: LambdaContext) -> dict[str, Any]:
    return finish(client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event, removal=event.removal)
