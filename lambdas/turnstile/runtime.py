"""What every Turnstile Lambda entry point shares, in one decorator.

`@entrypoint(Model)` wraps a handler in Powertools' Logger, Tracer and Metrics, parses the event into `Model`
(strict, at the edge: an event that does not fit fails as InvalidEvent naming each field and rule, never echoing
a value into the logs, the retry record or the dead-letter queue), and maps AWS errors the SDK gave up on to
`TransientAwsError` — so no handler can forget the mapping that the state machine's Retry relies on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from .aws import transient_errors_as_typed
from .errors import InvalidEvent, field_problems
from .observability import logger, metrics, tracer

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[dict[str, Any], LambdaContext], Any]


def entrypoint(model: type[M] | None = None) -> Callable[[Callable[[Any, LambdaContext], Any]], Handler]:
    """Decorate `handler(event, context)`; with a model, `event` arrives parsed into it."""

    def decorate(function: Callable[[Any, LambdaContext], Any]) -> Handler:
        @logger.inject_lambda_context
        @tracer.capture_lambda_handler
        @metrics.log_metrics
        @functools.wraps(function)
        def handler(event: dict[str, Any], context: LambdaContext) -> Any:
            parsed = _parsed(model, event) if model is not None else event
            with transient_errors_as_typed():
                return function(parsed, context)

        return handler

    return decorate


def _parsed(model: type[M], event: dict[str, Any]) -> M:
    try:
        return model.model_validate(event)
    except ValidationError as error:
        raise InvalidEvent(f"{model.__name__}: " + "; ".join(field_problems(error))) from None
