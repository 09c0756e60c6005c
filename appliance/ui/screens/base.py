"""What every screen of the kiosk answers to, and what the screens that sell or count need.

The app calls the three hooks of `KioskScreen` directly: `prepare(**context)` before the
screen shows, `on_status(status)` after every status change (on each screen built so far),
and `handle_scan(code)` for a code scanned while the screen is current, whatever dialog is
open. A screen overrides the hooks it has a use for; the defaults do nothing, except that a
scan is never dropped silently.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen

from appliance.till import StatusView, Till
from appliance.ui.i18n import tr


class KioskScreen(Screen):
    """A screen of the kiosk."""

    @property
    def app(self) -> Any:
        """The running `KioskApp` (not named here: the app module imports the screens)."""
        return App.get_running_app()

    def prepare(self, **context: Any) -> None:
        """Called before the screen shows, with what the caller of `KioskApp.show` passed."""

    def on_status(self, status: StatusView) -> None:
        """Called with each new status (session, sync, printer), shown or not."""

    def handle_scan(self, code: str) -> None:
        """A code scanned here: this screen has no use for it, and says so."""
        self.app.message(tr._("Scan ignoré ici : {code}").format(code=code), error=True)


class TillScreen(KioskScreen):
    """A screen that forwards taps to the Till; the Till can change after a login or wizard.

    Shown only once a Till is attached (the login and the wizard come first otherwise).
    """

    @property
    def till(self) -> Till:
        till: Till = self.app.till
        return till
