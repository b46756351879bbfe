from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import LocalCloud
from tests.conftest import Synthesized
from tests.workflows.scenarios import Deployed, deploy


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Iterator[Deployed]:
    """The synthesized stack deployed into a fresh local cloud, shared by one test module."""
    with LocalCloud() as cloud:
        yield deploy(cloud, synthesized.assembly)
