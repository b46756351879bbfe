"""Synthesized with an account and region, as the CDK CLI does when it has credentials: cdk-nag must still pass
(suppressions match a literal account id, not only the token), and outside us-east-1 a forwarder stack is added
for IAM's CloudTrail events, which reach EventBridge only in us-east-1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from stacks.constructs.iam_events import CLOUDTRAIL
from tests.conftest import Synthesized

ACCOUNT = "210987654321"


@pytest.fixture(scope="module", params=["us-east-1", "eu-west-1"])
def synthesized_in(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """A synth with CDK_DEFAULT_ACCOUNT/REGION set (only for the duration of the synth)."""
    from app import build_app

    region = str(request.param)
    saved = {k: os.environ.get(k) for k in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "TURNSTILE_CONFIG")}
    os.environ.update({"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": region})
    if region != "us-east-1":  # and console sign-ins etc. forwarded from a third region
        config = yaml.safe_load(Path("config/turnstile.yaml").read_text())
        config.setdefault("alerting", {})["forward_from_regions"] = ["eu-central-1", region]
        path = tmp_path_factory.mktemp("config") / "turnstile.yaml"
        path.write_text(yaml.safe_dump(config))
        os.environ["TURNSTILE_CONFIG"] = str(path)
    try:
        outdir = tmp_path_factory.mktemp(region) / "cdk.out"
        app, _ = build_app(str(outdir))
        app.synth()
        manifest = json.loads((outdir / "manifest.json").read_text())
        template = json.loads((outdir / "Turnstile.template.json").read_text())
        return Synthesized(assembly=outdir, template=template, manifest=manifest)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_cdk_nag_passes_with_a_real_account_id(synthesized_in: Synthesized) -> None:
    """What `cdk synth` with credentials would fail on: every error annotation, cdk-nag's included."""
    assert synthesized_in.messages("error") == []
    assert ACCOUNT in json.dumps(synthesized_in.template)  # the account is literal, not a token


def test_outside_us_east_1_a_forwarder_stack_sends_iam_events_to_turnstiles_region(
    synthesized_in: Synthesized,
) -> None:
    stacks = {
        name: a["environment"]
        for name, a in synthesized_in.manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack"
    }
    region = stacks["Turnstile"].rsplit("/", 1)[-1]
    if region == "us-east-1":
        assert stacks == {"Turnstile": f"aws://{ACCOUNT}/us-east-1"}
        return
    assert stacks == {
        "Turnstile": f"aws://{ACCOUNT}/{region}",
        "TurnstileIamEventsForwarder": f"aws://{ACCOUNT}/us-east-1",
        "TurnstileAlertingForwarder-eu-central-1": f"aws://{ACCOUNT}/eu-central-1",
    }
    forwarder = json.loads((Path(synthesized_in.assembly) / "TurnstileIamEventsForwarder.template.json").read_text())
    rules = [r["Properties"] for r in forwarder["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    [iam_rule] = [r for r in rules if r["EventPattern"] == {"source": ["aws.iam"], "detail-type": [CLOUDTRAIL]}]
    for rule in rules:
        [target] = rule["Targets"]
        assert json.dumps(target["Arn"]).count(region) == 1 and "event-bus/default" in json.dumps(target["Arn"])
    [role] = [r for r in forwarder["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert len(trust["Condition"]["ArnEquals"]["aws:SourceArn"]) == len(rules)
    # the detections' other events: console sign-ins (root's are published in us-east-1), CloudTrail, STS, root
    # activity in any service, refusals (read-only ones too)
    forwarded = json.dumps([r["EventPattern"] for r in rules])
    for source in ("aws.signin", "aws.cloudtrail", "aws.sts", "Root", "AccessDenied"):
        assert source in forwarded
    assert [r["State"] for r in rules if "AccessDenied" in json.dumps(r["EventPattern"])] == [
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    ]
    third = json.loads(
        (Path(synthesized_in.assembly) / "TurnstileAlertingForwarder-eu-central-1.template.json").read_text()
    )
    third_rules = [r["Properties"] for r in third["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert json.dumps([r["EventPattern"] for r in third_rules]) == json.dumps(
        [r["EventPattern"] for r in rules if r is not iam_rule]
    )


def test_without_a_region_synth_warns_where_iam_events_fire(synthesized: Synthesized) -> None:
    warnings = [m for _, m in synthesized.messages("warning") if "turnstile:region" in m or "us-east-1" in m]
    assert warnings and "IAM CloudTrail events" in warnings[0]
