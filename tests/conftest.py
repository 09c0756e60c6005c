"""Fixtures many test modules share: a fresh sandbox Kafinea per test, on loopback."""

import pytest

from appliance.kafinea.sandbox.server import running_sandbox


@pytest.fixture
def sandbox(tmp_path):
    """A seeded sandbox (the demo shop) for this test only; modules needing one shared
    sandbox define their own module-scoped `sandbox`."""
    with running_sandbox(tmp_path / "sandbox") as handle:
        yield handle
