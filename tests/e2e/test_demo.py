"""The demo a new user runs (`make demo`): CDK CLI synth, local deploy, hires, a throttled re-send, a rejection,
the AWS CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_joiner_lifecycle_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localcloud.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stack Turnstile: CREATE_COMPLETE" in out
    assert re.search(r"Execution \w+… of turnstile-onboarding: RUNNING .*\n(.*\n)*.*AwaitMfaEnrolment", out)
    assert "parked at AwaitMfaEnrolment" in out
    assert re.search(r"Execution \w+… of turnstile-onboarding: SUCCEEDED", out)
    for step in (
        "ValidateHire",
        "ClaimHire",
        "EnsurePasswordPolicy",
        "CreateUser",
        "ApplyMfaHold",
        "AddToGroups",
        "CreateLoginProfile",
        "NotifyOnboarded",
        "AwaitMfaEnrolment",
        "ReleaseMfaHold",
        "Onboarded",
        "IssueAccessKey",
        "FailedBeforeClaim",
        "RecordFailure",
        "RecordRejection",
    ):
        assert re.search(rf"\+\s*[\d.]+s\s+{step}\s", out), step
    assert "b'" not in result.stderr and "b'" not in out  # child output is decoded text
    assert "groups      engineering, backend, turnstile-mfa-required, turnstile-self-service-keys" in out
    assert "access keys none" in out  # a console user makes their own (CIS 1.11)
    assert "helpdesk (arn:aws:iam::123456789012:role/turnstile-helpdesk) read" in out
    assert "the account root tried too: AccessDeniedException" in out
    assert "enable-mfa-device with made-up codes: InvalidAuthenticationCode" in out
    assert "groups now: engineering, backend, turnstile-self-service-keys (the MFA hold is released)" in out
    assert "user        arn:aws:iam::123456789012:user/turnstile/engineering/jane.smith" in out
    assert "boundary    arn:aws:iam::123456789012:policy/turnstile/TurnstileUserBoundary" in out
    assert "PasswordResetRequired=True" in out
    assert "turnstile/users/jane.smith/console-password" in out
    assert re.search(
        r"secret      turnstile/users/svc\.reporting/access-key: current version [\w-]+ holds that key", out
    )
    assert "changed nothing" in out and "jane.smith untouched: groups unchanged=True, MFA devices=1" in out
    assert re.search(r"of turnstile-onboarding: FAILED .*\n(.*\n)*.*HireRejected", out)
    assert "alert (HireRejected): detail.last_name" in out
    assert "alert (HrEventUnrouted): no Turnstile workflow handles" in out
    assert "IAM users before/after: 2/2; secrets before/after: 2/2" in out
    assert re.search(r"\|\s*jane\.smith\s*\|\s*/turnstile/engineering/\s*\|", out), "aws iam list-users output"
    assert "keep it up:     make demo ARGS=--serve" in out
    # key rotation on the local clock: planned, rotated into a new secret version, old key off, then deleted
    assert re.search(r"svc\.reporting: planned rotate AKIA\w+\n  access keys AKIA\w+ Active\n", out)
    assert "SUCCEEDED (dry run: nothing changed)" in out
    rotated = re.search(r"svc\.reporting: acted rotate (AKIA\w+)\n  access keys \1 Active, (AKIA\w+) Active", out)
    assert rotated, "rotation"
    old, new = rotated.groups()
    assert re.search(r"secret version [\w-]+: AWSPREVIOUS \(value never printed\)", out)
    assert f"now uses {new}" in out
    assert f"svc.reporting: acted deactivate-old {old}" in out and f"access keys {old} Inactive, {new} Active" in out
    assert f"svc.reporting: acted delete-old {old}\n  access keys {new} Active\n" in out
    assert "of turnstile-key-rotation: SUCCEEDED" in out
    # the alerting chapter: Turnstile's own work raised nothing; the administrator's CLI and the spray did
    assert "alerts raised so far by two hires, an MFA enrolment and four key-rotation runs: 0" in out
    assert "[CRITICAL] administrator-grant (also: policy-on-user, iam-policy-change)" in out
    assert "[HIGH] backdoor-access-key" in out and "target: employee E1003 (Finance, managed by Turnstile)" in out
    assert "[HIGH] signin-failures-from-one-address" in out
    assert "assumed-role/ops-admin/alex called iam:AttachUserPolicy on user jane.smith (employee E1001" in out
    assert out.count("] ") >= 3 and "SecretAccessKey" not in out
    # the leaver: access revoked, the user torn down and deleted, secrets on their way out, no alert of its own
    assert re.search(r"Execution \w+… of turnstile-offboarding: SUCCEEDED", out)
    assert "RevokeAccess" in out and "RemoveUser" in out and "FinishOffboarding" in out
    assert "user jane.smith" in out and "NoSuchEntity" in out
    assert "turnstile/users/svc.reporting/access-key: scheduled for deletion (recovery window)" in out
    assert "The user with name svc.reporting cannot be found" in out
    assert "alerts raised by the leavers' own IAM calls: 0" in out
