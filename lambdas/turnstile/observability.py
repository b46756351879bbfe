"""The one Logger, Tracer and Metrics every handler uses."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="turnstile")
tracer = Tracer(service="turnstile")
metrics = Metrics(namespace="Turnstile", service="turnstile")
