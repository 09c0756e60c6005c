"""Login: the register's e-mail pre-filled, the personal access key typed (masked, with a
"show" toggle), as Kafinea's own till does. Used only when the key is not stored; the Till
is built from the key on a worker thread, so a slow Kafinea never freezes the screen.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from appliance.till import Till
from appliance.ui.background import run_in_background
from appliance.ui.i18n import error_text, tr
from appliance.ui.screens.base import KioskScreen
from appliance.ui.widgets import apply_text_key


class LoginScreen(KioskScreen):
    username = StringProperty("")
    key = StringProperty("")
    show_key = BooleanProperty(False)
    busy = BooleanProperty(False)

    def prepare(self, **_context: Any) -> None:
        self.username = self.app.plan.username
        self.key = ""
        self.busy = False

    def type_key(self, key: str) -> None:
        # Not `on_key`: Kivy would take it for the change handler of the `key` property.
        self.key = apply_text_key(self.key, key)

    def masked(self, key: str, show: bool) -> str:
        return key if show else "•" * len(key)

    def connect(self) -> None:
        if not self.key.strip():
            self.app.message(tr._("Tapez la clé d'accès personnelle au webservice"), error=True)
            return
        self.busy = True
        key = self.key.strip()
        run_in_background(
            lambda: self.app.plan.connect(key), self._connected, self._failed, name="login"
        )

    def _connected(self, till: Till) -> None:
        self.busy = False
        self.key = ""
        self.app.attach_till(till)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        refused = tr._("Connexion refusée : {reason}").format(reason=error_text(error))
        self.app.message(refused, error=True)
