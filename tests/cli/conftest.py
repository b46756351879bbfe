from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from localcloud import LocalCloud
from tests.conftest import Synthesized
from tests.workflows.scenarios import Deployed, deploy


@dataclass
class Served:
    deployed: Deployed
    endpoint: str


@pytest.fixture(scope="module")
def served(synthesized: Synthesized) -> Iterator[Served]:
    """One deployment per module, served on 127.0.0.1: the CLI reaches it over HTTP, as an operator's would."""
    with LocalCloud() as cloud:
        deployed = deploy(cloud, synthesized.assembly)
        yield Served(deployed, cloud.serve())
