#!/usr/bin/env python3
"""The Turnstile CDK app: `cdk synth | diff | deploy` run this file (see cdk.json)."""

from __future__ import annotations

import os

from aws_cdk import App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks

from stacks.configuration import load_config
from stacks.turnstile_stack import TurnstileStack

STACK_NAME = "Turnstile"


def build_app(outdir: str | None = None) -> tuple[App, TurnstileStack]:
    """The app with cdk-nag's AwsSolutions checks on every resource: an unsuppressed finding fails synth."""
    app = App(outdir=outdir) if outdir else App()
    config = load_config()
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    stack = TurnstileStack(app, STACK_NAME, config=config, env=env)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
