"""Configuration: the repo's file is valid, and a bad value fails `cdk synth` naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stacks.configuration import DEFAULT_CONFIG, ConfigurationError, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for dotted, value in changes.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    path = tmp_path / "turnstile.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_repository_configuration_has_cis_defaults() -> None:
    config = load_config()
    policy = config.password_policy
    assert (policy.minimum_password_length, policy.max_password_age, policy.password_reuse_prevention) == (14, 90, 24)
    assert policy.require_symbols and policy.require_numbers and policy.require_uppercase_characters
    assert config.user_path == "/turnstile/" and config.mfa.enrolment_deadline_days == 7


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password_policy__minimum_password_length": 8}, "password_policy.minimum_password_length"),
        ({"user_path": "/"}, "user_path"),
        ({"user_path": "turnstile"}, "user_path"),
        ({"departments__Engineering__groups": ["admins"]}, "departments.Engineering.groups: group 'admins'"),
        ({"departments__Finance__path": "/elsewhere/"}, "departments.Finance.path"),
        ({"hr__publisher_principals": ["someone"]}, "hr.publisher_principals.0"),
        ({"hr__unexpected": True}, "hr.unexpected"),
        ({"groups__bad name": {}}, "groups.bad name"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(write(tmp_path, **changes))
    assert field in str(caught.value)


def test_cdk_synth_fails_on_invalid_configuration_naming_the_field(tmp_path: Path) -> None:
    bad = write(tmp_path, password_policy__minimum_password_length=6)
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TURNSTILE_CONFIG": str(bad), "CDK_OUTDIR": str(tmp_path / "out")},
    )
    assert result.returncode != 0
    assert "password_policy.minimum_password_length" in result.stderr
    assert not (tmp_path / "out" / "Turnstile.template.json").exists()
