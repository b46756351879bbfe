"""Fixtures shared by every suite. The CDK app is synthesized once per session."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud

ROOT = Path(__file__).resolve().parent.parent
# The CDK's jsii runtime runs on the Node.js package.json pins (as `make` arranges), also under a bare `pytest`.
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_DEPRECATED", "quiet")


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
def synthesized(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Synthesized:
    """The app synthesized once per test run: under pytest-xdist the first worker synthesizes (behind a file lock)
    and the others read the same cloud assembly."""
    from app import STACK_NAME, build_app

    root = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    outdir = root / "synth" / "cdk.out"
    done = outdir.parent / "done"
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with open(outdir.parent / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            app, _ = build_app(str(outdir))
            app.synth()
            done.touch()
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
