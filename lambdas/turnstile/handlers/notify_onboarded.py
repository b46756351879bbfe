"""Onboarding step 9 (NotifyOnboarded): mark the hire onboarded, audit it, announce the secret ARNs."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.outcomes import finish_onboarding
from ..models.onboarding import OnboardedInput
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(OnboardedInput)
def handler(event: OnboardedInput, context: LambdaContext) -> dict[str, Any]:
    return finish_onboarding(client("dynamodb"), client("sns"), settings(), event)
