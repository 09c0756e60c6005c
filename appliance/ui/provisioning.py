"""The banner that tells why the last provisioning failed, on the kiosk's first screen.

`appliance setup` (run at boot from the technician's `appliance-setup.toml`) writes its outcome
to `setup-status.json`; when it failed, nothing was applied and the till runs with what it had
before (or opens the wizard). The person in front of the screen must learn that the file was
refused, why, and what to do, without the banner ever standing between a cashier and a
working till: it sits above the screens, takes no touch outside its own button, and goes away
for good (until a newer failure) once dismissed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from kivy.app import App
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from appliance.ui.i18n import tr
from appliance.ui.widgets import KButton


class ProvisioningFailure(Protocol):
    """The last provisioning's failure, as `appliance run` reads it from the data directory."""

    @property
    def message(self) -> str:
        """The first problem, in French."""

    @property
    def problems(self) -> Sequence[str]:
        """Every problem, one French sentence each."""

    @property
    def at(self) -> str:
        """When it failed (ISO 8601)."""

    def dismiss(self) -> None:
        """Remember that it was read, so that it is not shown again."""


def failure_text(failure: ProvisioningFailure, configured: bool) -> str:
    """Three short lines: what was wrong, that nothing was applied, what to do.

    `configured`: the till has a configuration of its own (else the wizard is on screen).
    """
    problems = list(failure.problems) or [failure.message]
    what = problems[0]
    if len(problems) > 1:
        what += " " + tr._("(et {n} autre(s) problème(s))").format(n=len(problems) - 1)
    if configured:
        kept = tr._("Rien n'a été appliqué : la caisse garde sa configuration précédente.")
        todo = tr._("Corrigez le fichier sur la carte SD et redémarrez, ou passez par l'assistant.")
    else:
        kept = tr._("Rien n'a été appliqué : la caisse n'est pas encore configurée.")
        todo = tr._("Corrigez le fichier sur la carte SD et redémarrez, ou configurez ci-dessous.")
    failed = tr._("La dernière configuration (appliance-setup.toml) a échoué : {what}")
    return "\n".join([failed.format(what=what), kept, todo])


class ProvisioningBanner(BoxLayout):
    """Amber strip with the failure and an "OK, compris" button that dismisses it."""

    def __init__(self, failure: ProvisioningFailure, *, configured: bool, **kwargs: Any) -> None:
        super().__init__(
            orientation="horizontal",
            size_hint_y=None,
            height=dp(84),
            padding=(dp(8), dp(4)),
            spacing=dp(8),
            **kwargs,
        )
        self.failure = failure
        theme = App.get_running_app().theme
        with self.canvas.before:
            Color(rgba=theme.warning)
            self._background = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=self._paint, size=self._paint)
        self.text = Label(
            text=failure_text(failure, configured),
            color=(0.1, 0.1, 0.1, 1),
            font_size="14sp",
            halign="left",
            valign="middle",
        )
        self.text.bind(size=lambda label, size: setattr(label, "text_size", size))
        self.add_widget(self.text)
        self.dismiss_button = KButton(text=tr._("OK, compris"), size_hint_x=None, width=dp(120))
        self.dismiss_button.bind(on_release=lambda *_: self.dismiss())
        self.add_widget(self.dismiss_button)

    def _paint(self, *_args: Any) -> None:
        self._background.pos, self._background.size = self.pos, self.size

    def dismiss(self) -> None:
        """Gone from the screen now, and remembered (the failure's own `dismiss`)."""
        self.failure.dismiss()
        if self.parent is not None:
            self.parent.remove_widget(self)
