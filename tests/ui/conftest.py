"""Kivy settings for the UI tests, set before the first Kivy import of the session: a plain
800x480 window at the top-left of the (Xvfb) display, the smallest panel the till supports."""

import tempfile
from pathlib import Path

from appliance.ui import kiosk_env

kiosk_env.apply(kiosk_env.window_environment(Path(tempfile.mkdtemp(prefix="kivy-home-")), 800, 480))
