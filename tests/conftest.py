"""Fixtures shared by every suite. The CDK app is synthesized once per session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Synthesized:
    assembly: Path
    template: dict[str, Any]
    manifest: dict[str, Any]

    def messages(self, level: str) -> list[tuple[str, str]]:
        """(construct path, message) of every `aws:cdk:<level>` annotation, cdk-nag's findings included.
        Stack metadata is in the manifest or, in newer assemblies, in the file `additionalMetadataFile` names."""
        found = []
        for artifact in self.manifest["artifacts"].values():
            metadata = dict(artifact.get("metadata", {}))
            if "additionalMetadataFile" in artifact:
                metadata.update(json.loads((self.assembly / artifact["additionalMetadataFile"]).read_text()))
            for path, entries in metadata.items():
                found += [(path, str(e["data"])) for e in entries if e["type"] == f"aws:cdk:{level}"]
        return found


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from app import STACK_NAME, build_app

    outdir = tmp_path_factory.mktemp("synth") / "cdk.out"
    app, _ = build_app(str(outdir))
    app.synth()
    return Synthesized(
        assembly=outdir,
        template=json.loads((outdir / f"{STACK_NAME}.template.json").read_text()),
        manifest=json.loads((outdir / "manifest.json").read_text()),
    )


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    """A fresh, empty emulated account (moto with Turnstile's adapters), without AWS managed policies."""
    with LocalCloud(aws_managed_policies=False) as local:
        yield local
