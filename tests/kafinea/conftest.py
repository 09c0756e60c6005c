"""Shared fixtures: a real sandbox on a loopback port, and a client logged in to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path / "sandbox") as handle:
        yield handle


@pytest.fixture
def client(sandbox: SandboxHandle) -> Iterator[KafineaClient]:
    with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key, timeout_s=5) as c:
        yield c
