"""Configuration: the repo's file is valid, and a bad value fails `cdk synth` naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from turnstile.config import DEFAULT_RESERVED_USERNAMES

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
        # department and team names become IAM tag values (IAM API Reference, Tag: [\p{L}\p{Z}\p{N}_.:/=+\-@]*)
        ({"departments__R&D": {}}, "departments: 'R&D' contains a character outside"),
        ({"departments__Sales!": {}}, "departments: 'Sales!' contains a character outside"),
        ({"departments__aws:internal": {}}, "departments: 'aws:internal' must not start with 'aws:'"),
        ({"departments__" + "D" * 129: {}}, "longer than 128 characters"),
        ({"departments__Engineering__teams__Web #1": {}}, "departments.Engineering.teams: 'Web #1' contains"),
        ({"departments__ENGINEERING": {}}, "departments: 'ENGINEERING' and 'Engineering' are the same name to HR"),
        ({"departments__Engineering__teams__data ": {}}, "departments.Engineering.teams: 'Data' and 'data '"),
        ({"reserved_usernames": ["support"]}, "reserved_usernames: Value error, must include root, admin"),
        ({"reserved_usernames": ["Root", "ADMIN"]}, "(missing: administrator)"),
        ({"reserved_usernames": [""]}, "reserved_usernames.0"),
        ({"hr__max_effective_date_days": -1}, "hr.max_effective_date_days"),
        ({"hr__max_effective_date_days": 400}, "hr.max_effective_date_days"),
        ({"hr__max_effective_date_age_days": -1}, "hr.max_effective_date_age_days"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(write(tmp_path, **changes))
    assert field in str(caught.value)


def test_the_repository_configuration_reserves_the_default_names_and_the_effective_date_window() -> None:
    config = load_config()
    assert set(DEFAULT_RESERVED_USERNAMES) <= set(config.reserved_usernames)
    assert (config.hr.max_effective_date_days, config.hr.max_effective_date_age_days) == (90, 30)
    directory = config.directory("arn:aws:iam::123456789012:policy/turnstile/Boundary")
    assert directory.reserved_usernames == config.reserved_usernames
    assert (directory.max_effective_date_days, directory.max_effective_date_age_days) == (90, 30)


def test_defaults_apply_when_the_keys_are_absent(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    del raw["reserved_usernames"], raw["hr"]["max_effective_date_days"], raw["hr"]["max_effective_date_age_days"]
    path = tmp_path / "turnstile.yaml"
    path.write_text(yaml.safe_dump(raw))
    config = load_config(path)
    assert config.reserved_usernames == list(DEFAULT_RESERVED_USERNAMES)
    assert (config.hr.max_effective_date_days, config.hr.max_effective_date_age_days) == (90, 30)


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
