"""Offboarding failure path (RecordOffboardingFailure): what is left, audited and alerted; nothing is undone."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import record_failure
from ..models.offboarding import OffboardingFailure
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(OffboardingFailure)
def handler(event: OffboardingFailure, context: LambdaContext) -> dict[str, Any]:
    return record_failure(client("iam"), client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event)
