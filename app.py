#!/usr/bin/env python3
"""The Turnstile CDK app: `cdk synth | diff | deploy` run this file (see cdk.json)."""

from __future__ import annotations

import os

from aws_cdk import Annotations, App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks

from stacks.configuration import load_config
from stacks.forwarder_stack import IAM_EVENTS_REGION, AlertingEventsForwarderStack, IamEventsForwarderStack
from stacks.turnstile_stack import TurnstileStack

STACK_NAME = "Turnstile"


def build_app(outdir: str | None = None) -> tuple[App, TurnstileStack]:
    """The app with cdk-nag's AwsSolutions checks on every resource: an unsuppressed finding fails synth."""
    app = App(outdir=outdir) if outdir else App()
    config = load_config()
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    stack = TurnstileStack(app, STACK_NAME, config=config, env=env)
    if region and region != IAM_EVENTS_REGION:
        IamEventsForwarderStack(
            app,
            f"{STACK_NAME}IamEventsForwarder",
            target_region=region,
            env=Environment(account=account, region=IAM_EVENTS_REGION),
        )
    for other in config.alerting.forward_from_regions:
        if other in (region, IAM_EVENTS_REGION):
            continue  # Turnstile's own region needs none; us-east-1's forwarder sends the detections' events too
        if not region:
            raise ValueError("alerting.forward_from_regions needs CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION set")
        AlertingEventsForwarderStack(
            app,
            f"{STACK_NAME}AlertingForwarder-{other}",
            target_region=region,
            env=Environment(account=account, region=other),
        )
    if not region:
        Annotations.of(stack).add_warning_v2(
            "turnstile:region",
            "No region set: IAM CloudTrail events (MFA enrolment, password-policy changes) reach EventBridge only "
            "in us-east-1. Deploy to us-east-1, or set CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION so that the "
            "us-east-1 forwarder stack is added.",
        )
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
