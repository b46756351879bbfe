"""IAM's CloudTrail events reach EventBridge only in us-east-1: outside it, a us-east-1 forwarder stack is added."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def synthesized_in_ireland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second synth with an account and region set (only for the duration of the synth)."""
    from app import build_app

    saved = {k: os.environ.get(k) for k in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    os.environ.update({"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"})
    try:
        outdir = tmp_path_factory.mktemp("eu") / "cdk.out"
        app, _ = build_app(str(outdir))
        app.synth()
        return outdir
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_outside_us_east_1_a_forwarder_stack_sends_iam_events_to_turnstiles_region(
    synthesized_in_ireland: Path,
) -> None:
    manifest = json.loads((synthesized_in_ireland / "manifest.json").read_text())
    stacks = {
        name: a["environment"] for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"
    }
    assert stacks == {
        "Turnstile": "aws://123456789012/eu-west-1",
        "TurnstileIamEventsForwarder": "aws://123456789012/us-east-1",
    }
    forwarder = json.loads((synthesized_in_ireland / "TurnstileIamEventsForwarder.template.json").read_text())
    [rule] = [r for r in forwarder["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert rule["Properties"]["EventPattern"] == {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}
    [target] = rule["Properties"]["Targets"]
    assert json.dumps(target["Arn"]).count("eu-west-1") == 1 and "event-bus/default" in json.dumps(target["Arn"])


def test_without_a_region_synth_warns_where_iam_events_fire(synthesized: Synthesized) -> None:
    warnings = [m for _, m in synthesized.messages("warning") if "turnstile:region" in m or "us-east-1" in m]
    assert warnings and "IAM CloudTrail events" in warnings[0]
