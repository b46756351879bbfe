"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized template."""

from __future__ import annotations

from cfnlint.api import lint_all

from stacks.nag_suppressions import SUPPRESSIONS
from tests.conftest import Synthesized


def test_cdk_nag_aws_solutions_reports_no_errors_or_warnings(synthesized: Synthesized) -> None:
    nag = [m for m in synthesized.messages("error") + synthesized.messages("warning") if "AwsSolutions" in m[1]]
    assert nag == []


def test_synth_reports_no_errors_at_all(synthesized: Synthesized) -> None:
    assert synthesized.messages("error") == []


def test_the_annotation_reader_sees_synth_messages(synthesized: Synthesized) -> None:
    """Guard for the two tests above: the reader finds the annotations that synth does write."""
    assert any("turnstile:region" in message for _, message in synthesized.messages("warning"))


def test_every_suppression_gives_a_reason() -> None:
    for rules in SUPPRESSIONS.values():
        for rule in rules:
            assert len(str(rule["reason"])) >= 40, rule


# W3005 (a DependsOn that a Ref/GetAtt already implies) is how CDK wires a function after its role's policy.
ACCEPTED = {"W3005"}


def test_cfn_lint_finds_no_errors_or_warnings(synthesized: Synthesized) -> None:
    template = (synthesized.assembly / "Turnstile.template.json").read_text()
    findings = [m for m in lint_all(template) if m.rule.id[0] in "EW" and m.rule.id not in ACCEPTED]
    assert [f"{m.rule.id} {m.message} ({m.path})" for m in findings] == []
