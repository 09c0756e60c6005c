"""`appliance sandbox` as a real process: it listens, writes sandbox.json, applies --faults."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import ProtocolError
from appliance.kafinea.vtql import select


def _start(data: Path, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "appliance", "sandbox", "--port", "0", "--data", str(data), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process


def test_sandbox_process(tmp_path: Path) -> None:
    process = _start(tmp_path, "--products", "120", "--faults", "http500=1,ops=listtypes")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("sandbox : http://127.0.0.1:")
        info_path = tmp_path / "sandbox.json"
        info = json.loads(info_path.read_text())
        assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
        assert info["register"] == "Caisse 1" and "@" in info["username"]
        with KafineaClient(info["url"], info["username"], info["access_key"]) as client:
            with pytest.raises(ProtocolError):
                client.listtypes()
            assert client.count(select("Products")) == 86 + 120
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_restart_keeps_state_and_seed_resets(tmp_path: Path) -> None:
    for extra, expected in (((), 86), (("--products", "10"), 96), (("--seed",), 86)):
        process = _start(tmp_path, *extra)
        try:
            assert process.stdout is not None
            process.stdout.readline()
            info = json.loads((tmp_path / "sandbox.json").read_text())
            with KafineaClient(info["url"], info["username"], info["access_key"]) as client:
                assert client.count(select("Products")) == expected
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "192.0.2.1"], "n'est pas une adresse de boucle locale"),
        (["--faults", "explode"], "sandbox : --faults : panne inconnue 'explode'"),
        (["--products", "300000"], "--products doit être entre 0 et 200000"),
    ],
)
def test_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "sandbox", "--data", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
