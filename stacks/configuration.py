"""Load and validate config/turnstile.yaml: the one place Turnstile is configured."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError
from turnstile.config import TurnstileConfig
from turnstile.errors import field_problems

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "turnstile.yaml"
# Another file can be named with TURNSTILE_CONFIG (e.g. one per environment); the default is the repo's.
CONFIG_ENV = "TURNSTILE_CONFIG"


class ConfigurationError(SystemExit):
    """Raised at synth time; its message names each offending field."""


def load_config(path: Path | None = None) -> TurnstileConfig:
    path = path or Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"Turnstile configuration {path} could not be read: {error}") from None
    try:
        return TurnstileConfig.model_validate(raw or {})
    except ValidationError as error:
        problems = "".join(f"\n  - {problem}" for problem in field_problems(error))
        raise ConfigurationError(f"Turnstile configuration {path} is invalid:{problems}") from None
