"""`appliance demo`: sandbox, virtual printer and kiosk in one process tree, in a window."""

import json
import os
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from appliance.cli import main


def test_demo_without_a_display_says_so_in_one_line(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("appliance demo:") and "DISPLAY" in err
    assert len(err.splitlines()) == 1


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)")
def test_demo_draws_the_till_against_a_running_sandbox_and_printer(tmp_path):
    notify = tmp_path / "notify"
    env = {**os.environ, "NOTIFY_SOCKET": str(notify)}
    log_path = tmp_path / "demo.log"
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
        log_path.open("wb") as log,  # a file, not a pipe: a full pipe would stall the demo
    ):
        sock.bind(str(notify))
        sock.settimeout(90)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "appliance",
                "demo",
                "--dir",
                str(tmp_path / "demo"),
                "--window",
                "800x480",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            ready = sock.recv(64)
            info = json.loads((tmp_path / "demo" / "sandbox" / "sandbox.json").read_text())
            # The sandbox of the same process tree answers on loopback while the kiosk runs.
            with socket.create_connection(("127.0.0.1", urlsplit(info["url"]).port), timeout=5):
                pass
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert ready == b"READY=1"
    assert "Codes-barres à taper" in log_path.read_text(encoding="utf-8", errors="replace")
    assert (tmp_path / "demo" / "appliance.toml").exists()
    assert oct((tmp_path / "demo" / "kafinea.key").stat().st_mode & 0o777) == "0o600"
