"""Kivy settings for the UI tests, set before the first Kivy import of the session: a plain
800x480 window at the top-left of the (Xvfb) display, the smallest panel the till supports."""

import tempfile
from pathlib import Path

import pytest

from appliance.commands.demo import write_demo_config
from appliance.devices.virtual_printer import running_virtual_printer
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.ui import kiosk_env

kiosk_env.apply(kiosk_env.window_environment(Path(tempfile.mkdtemp(prefix="kivy-home-")), 800, 480))


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """A sandbox Kafinea, a virtual printer and the configuration `appliance setup` would write
    for them, shared by one test module (a module may define its own `parts`)."""
    base = tmp_path_factory.mktemp("kiosk")
    with (
        running_sandbox(base / "sandbox") as sandbox,
        running_virtual_printer(base / "printer") as printer,
    ):
        yield sandbox, printer, write_demo_config(base, sandbox, printer.connection_string)

