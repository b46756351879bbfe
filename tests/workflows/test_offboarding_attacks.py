"""Attacks on the deployed leaver workflow (hostile review)."""

from __future__ import annotations

import time
from typing import Any

from localcloud.fixtures import user_with_everything
from tests.workflows.scenarios import Deployed, person


def _terminate(deployed: Deployed, detail: dict[str, Any]) -> dict[str, Any]:
    arn = deployed.deployment.outputs["OffboardingStateMachineArn"]
    known = {r["executionArn"] for r in deployed.cloud.executions(arn)}
    deployed.put_hr_event("Employee Terminated", detail)
    deadline = time.monotonic() + 60
    while not (new := [r for r in deployed.cloud.executions(arn) if r["executionArn"] not in known]):
        assert time.monotonic() < deadline, "no offboarding execution started"
        time.sleep(0.1)
    return deployed.cloud.wait_for_execution(new[0]["executionArn"])


def test_a_failed_teardown_leaves_no_credential_active(deployed: Deployed) -> None:
    """Revoke runs "before anything slower" so that a later failure leaves no access: every credential a user can
    sign in or call with (SSH keys and service-specific credentials for CodeCommit, signing certificates) must be
    inactive after RevokeAccess, not only the password and access keys. (With a retention they stay for N days.)"""
    deployed.hire(person("E7001", "Eve", "Leaver"))
    username = "eve.leaver"
    made = user_with_everything(deployed.cloud, username)
    mark = deployed.mark()
    with deployed.cloud.faults.injected(
        "iam", "DeleteSigningCertificate", "ServiceFailure", caller="turnstile-RemoveUser"
    ):
        run = _terminate(deployed, {"employee_id": "E7001", "immediate": True})
    assert run["status"] == "FAILED"
    assert any(n.get("event") == "OffboardingFailed" for n in deployed.notifications(after=mark))
    iam = deployed.client("iam")
    assert iam.get_user(UserName=username)  # the teardown failed: the user is left, disabled
    ssh = iam.list_ssh_public_keys(UserName=username)["SSHPublicKeys"]
    assert [k["Status"] for k in ssh if k["SSHPublicKeyId"] == made.ssh_public_key_id] == ["Inactive"]
    service = iam.list_service_specific_credentials(UserName=username)["ServiceSpecificCredentials"]
    assert {c["Status"] for c in service} == {"Inactive"}
    certificates = iam.list_signing_certificates(UserName=username)["Certificates"]
    assert {c["Status"] for c in certificates} == {"Inactive"}
    assert [k["Status"] for k in iam.list_access_keys(UserName=username)["AccessKeyMetadata"]] == [
        "Inactive",
        "Inactive",
    ]
    # A re-sent termination takes over and finishes it.
    run = _terminate(deployed, {"employee_id": "E7001", "immediate": True})
    assert run["status"] == "SUCCEEDED"
    assert not iam.list_users(PathPrefix="/")["Users"] or username not in {
        u["UserName"] for u in iam.list_users()["Users"]
    }
