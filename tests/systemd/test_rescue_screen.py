"""The rescue screen script: what the shop owner reads to support when the kiosk is down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "systemd/libexec/rescue-screen"

pytestmark = pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 missing")


def screen(status: Path) -> str:
    """One drawing of the screen (`--once`: the unit runs it in a refresh loop)."""
    env = {**os.environ, "APPLIANCE_SETUP_STATUS": str(status)}
    result = subprocess.run(
        [str(SCRIPT), "--once"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_shows_the_provisioning_error_and_the_addresses(tmp_path: Path) -> None:
    status = tmp_path / "setup-status.json"
    message = "appliance-setup.toml: wifi.psk: 8 to 63 characters expected"
    status.write_text(json.dumps({"ok": False, "message": message}))
    text = screen(status)
    assert "CAISSE HORS SERVICE" in text
    assert f"Configuration : {message}" in text
    addresses = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for token in addresses:
        if token.count(".") == 3 and "/" in token:
            assert token.split("/")[0] in text


def test_a_successful_setup_is_not_shown_as_the_reason(tmp_path: Path) -> None:
    status = tmp_path / "setup-status.json"
    status.write_text(json.dumps({"ok": True, "message": "appliquée"}))
    assert "Configuration :" not in screen(status)
