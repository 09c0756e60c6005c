"""The setup wizard: first start, or from the technician screen.

Language, Kafinea instance (an id such as kfn123456789 or a full URL), e-mail, access key
(masked, with "show"), a real login check with the precise reason when it fails, the register
picked from Kafinea's own list, printer detection and a test print, a drawer test, the scanner
learnt from a test code, the manager PIN, a summary. Nothing is written before the summary is
confirmed (test before configure), and then the same configuration file as `appliance setup`.

The work that touches Kafinea, devices or files is done by a `SetupBackend` the command hands
in (`appliance.commands.run.WizardBackend`), always on a worker thread.

Reopened from the technician screen (`prepare(reconfigure=True)`), the running till keeps
selling until "Enregistrer": "Annuler" goes back to the technician screen at any step with the
old till untouched, and the key typed is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from appliance.till import Till
from appliance.ui.background import run_in_background
from appliance.ui.i18n import tr
from appliance.ui.screens.base import KioskScreen
from appliance.ui.widgets import (
    PIN_KEYS,
    PIN_LENGTH,
    KButton,
    Keypad,
    OnScreenKeyboard,
    apply_key,
    apply_text_key,
)

SCANNER_TEST_CODE = "3760123456781"

STEPS: tuple[str, ...] = (
    "language",
    "instance",
    "email",
    "key",
    "register",
    "printer",
    "drawer",
    "scanner",
    "pin",
    "summary",
)


class SetupBackend(Protocol):
    """What the wizard needs done; every method may block and raises `ValueError`-like
    errors whose text is shown as is (already French)."""

    def check_login(self, instance: str, email: str, key: str) -> list[tuple[str, str]]: ...
    def detect_printers(self) -> list[tuple[str, str]]: ...
    def network_printer(self, address: str) -> tuple[str, str]: ...
    def test_print(self, connection: str) -> str: ...
    def test_drawer(self, connection: str) -> str: ...
    def learn_scanner(self, expected: str) -> str: ...
    def finish(self, answers: dict[str, Any]) -> Till: ...
    def reopen(self) -> Till: ...
    def current_answers(self) -> dict[str, Any]: ...


def blank_answers() -> dict[str, Any]:
    return {
        "language": "fr",
        "instance": "",
        "email": "",
        "key": "",
        "register": "",
        "printer": "none",
        "drawer": "printer",
        "scanner_layout": "us",
        "manager_pin": "",
        "network_address": "",
    }


class WizardScreen(KioskScreen):
    """One step at a time; "Précédent" and "Suivant" on every step (no dead end)."""

    step = NumericProperty(0)
    busy = BooleanProperty(False)
    note = StringProperty("")  # the last outcome, also flashed in the message bar
    step_title = StringProperty("")
    reconfigure = BooleanProperty(False)  # from the technician screen: "Annuler" is offered

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answers: dict[str, Any] = blank_answers()
        self.registers: list[tuple[str, str]] = []
        self.printers: list[tuple[str, str]] = []
        self.show_key = False
        self.network_entry = False  # the printer step is asking for an address

    @property
    def backend(self) -> SetupBackend:
        """The plan's back end (the kiosk opens the wizard only when it has one)."""
        backend: SetupBackend = self.app.plan.setup
        return backend

    def prepare(self, reconfigure: bool = False, **_context: Any) -> None:
        self.reconfigure = reconfigure
        self.answers = blank_answers()
        self.registers, self.printers = [], []
        if reconfigure:  # start from what is in place: often only the printer changes
            known = self.backend.current_answers()
            self.answers |= {k: v for k, v in known.items() if k in self.answers}
            if self.answers["printer"] != "none":
                current = tr._("Imprimante actuelle ({c})").format(c=self.answers["printer"])
                self.printers = [(self.answers["printer"], current)]
        self.show_key = self.network_entry = self.busy = False
        self.step = 0
        self._render()

    def cancel(self) -> None:
        """Back to the technician screen; the running till was never touched."""
        if self.busy or not self.reconfigure:
            return
        self.answers = blank_answers()  # the key typed is not kept
        self.app.show("manager")
        self.app.message(tr._("Assistant annulé : rien n'a changé"))

    # -- navigation -------------------------------------------------------------------------

    def next(self) -> None:
        name = STEPS[self.step]
        problem = self._check(name)
        if problem:
            self.app.message(problem, error=True)
            return
        if name == "key":
            self._login()
            return
        if name == "summary":
            self._finish()
            return
        self.step += 1
        self._render()

    def back(self) -> None:
        if self.step > 0 and not self.busy:
            self.step -= 1
            self._render()

    def _check(self, name: str) -> str:
        a = self.answers
        if name == "instance" and not a["instance"].strip():
            return tr._("Tapez l'identifiant de l'instance (kfn…) ou son adresse")
        if name == "email" and "@" not in a["email"]:
            return tr._("Tapez l'adresse e-mail de l'utilisateur technique")
        if name == "key" and not a["key"].strip():
            return tr._("Tapez la clé d'accès personnelle au webservice")
        if name == "register" and not a["register"]:
            return tr._("Choisissez la caisse")
        if name == "pin" and not (4 <= len(a["manager_pin"]) <= 8):
            return tr._("Le code gérant a de 4 à 8 chiffres")
        return ""

    # -- rendering --------------------------------------------------------------------------

    def on_note(self, _instance: Any, note: str) -> None:
        if note:
            self.app.message(note)

    def _render(self) -> None:
        name = STEPS[self.step]
        body: BoxLayout = self.ids.body
        body.clear_widgets()
        self.note = ""
        titles = {
            "language": tr._("Langue de la caisse"),
            "instance": tr._("Instance Kafinea (kfn123456789 ou adresse complète)"),
            "email": tr._("E-mail de l'utilisateur technique"),
            "key": tr._("Clé d'accès personnelle au webservice"),
            "register": tr._("Caisse enregistreuse"),
            "printer": tr._("Imprimante de tickets"),
            "drawer": tr._("Tiroir-caisse"),
            "scanner": tr._("Scanner"),
            "pin": tr._("Code gérant"),
            "summary": tr._("Résumé"),
        }
        if name == "printer" and self.network_entry:
            titles[name] = tr._("Adresse de l'imprimante réseau (ex. 192.168.1.50:9100)")
        self.step_title = f"{self.step + 1}/{len(STEPS)}  {titles[name]}"
        getattr(self, f"_render_{name}")(body)
        if not any(child.size_hint_y for child in body.children):
            body.add_widget(Widget())  # choices stay at the top of the step

    def _choices(
        self,
        body: BoxLayout,
        options: Sequence[tuple[str, str]],
        key: str,
        on_pick: Callable[[str], object] | None = None,
    ) -> None:
        theme = self.app.theme
        for value, label in options:
            button = KButton(
                text=label,
                size_hint_y=None,
                height=dp(52),
                bg=theme.accent if self.answers.get(key) == value else theme.neutral,
            )

            def picked(_b: Any, value: str = value) -> None:
                self.answers[key] = value
                if on_pick is not None:
                    on_pick(value)
                self._render()

            button.bind(on_release=picked)
            body.add_widget(button)

    def _render_language(self, body: BoxLayout) -> None:
        self._choices(body, [("fr", "Français"), ("en", "English")], "language", tr.switch)

    def _text_step(
        self, body: BoxLayout, key: str, masked: bool = False, buttons: Sequence[KButton] = ()
    ) -> None:
        """The typed text, the `buttons` beside it, and the on-screen keyboard below."""
        row = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(6))
        self._display = Label(color=self.app.theme.text, font_size="22sp")
        self._masked = masked
        self._show_text(key)
        row.add_widget(self._display)
        if masked:
            toggle = KButton(text=tr._("Masquer") if self.show_key else tr._("Afficher"))
            toggle.bind(on_release=lambda *_: self._toggle_key())
            buttons = (toggle, *buttons)
        for button in buttons:
            button.size_hint_x = 0.25
            row.add_widget(button)
        body.add_widget(row)
        keyboard = OnScreenKeyboard()
        keyboard.bind(on_key=lambda _board, key_text: self._type(key, key_text))
        body.add_widget(keyboard)

    def _toggle_key(self) -> None:
        self.show_key = not self.show_key
        self._render()

    def _type(self, key: str, key_text: str) -> None:
        self.answers[key] = apply_text_key(self.answers[key], key_text)
        self._show_text(key)

    def _show_text(self, key: str) -> None:
        value = self.answers[key]
        hidden = self._masked and not self.show_key
        self._display.text = ("•" * len(value) if hidden else value) + "_"

    def _render_instance(self, body: BoxLayout) -> None:
        self._text_step(body, "instance")

    def _render_email(self, body: BoxLayout) -> None:
        self._text_step(body, "email")

    def _render_key(self, body: BoxLayout) -> None:
        self._text_step(body, "key", masked=True)

    def _render_register(self, body: BoxLayout) -> None:
        if not self.registers:
            body.add_widget(
                Label(
                    text=tr._("Kafinea n'a renvoyé aucune caisse enregistreuse."),
                    color=self.app.theme.text,
                )
            )
        self._choices(body, self.registers, "register")

    def _render_printer(self, body: BoxLayout) -> None:
        if self.network_entry:
            self._render_network_entry(body)
            return
        options = [("none", tr._("Pas d'imprimante")), *self.printers]
        self._choices(body, options, "printer")
        row = BoxLayout(size_hint_y=None, height=dp(52), spacing=dp(6))
        detect = KButton(text=tr._("Rechercher les imprimantes"))
        detect.bind(on_release=lambda *_: self._detect_printers())
        network = KButton(text=tr._("Imprimante réseau…"))
        network.bind(on_release=lambda *_: self._show_network_entry(True))
        test = KButton(text=tr._("Imprimer une page de test"))
        test.bind(
            on_release=lambda *_: self._background(
                lambda: self.backend.test_print(self.answers["printer"])
            )
        )
        row.add_widget(detect)
        row.add_widget(network)
        row.add_widget(test)
        body.add_widget(row)

    def _show_network_entry(self, shown: bool) -> None:
        self.network_entry = shown
        self._render()

    def _render_network_entry(self, body: BoxLayout) -> None:
        """The printer's address typed in (host or host:port, port 9100 by default)."""
        back = KButton(text=tr._("Retour à la liste"))
        back.bind(on_release=lambda *_: self._show_network_entry(False))
        check = KButton(text=tr._("Vérifier l'adresse"), bg=self.app.theme.accent)
        check.bind(on_release=lambda *_: self._check_network_printer())
        self._text_step(body, "network_address", buttons=(back, check))

    def _check_network_printer(self) -> None:
        address = self.answers["network_address"].strip()
        if not address:
            self.app.message(tr._("Tapez l'adresse de l'imprimante"), error=True)
            return

        def found(printer: tuple[str, str]) -> None:
            connection, label = printer
            if connection not in dict(self.printers):
                self.printers = [*self.printers, (connection, label)]
            self.answers["printer"] = connection
            self.network_entry = False
            self._render()
            self.note = tr._("{label} répond : imprimez une page de test").format(label=label)

        self._background(lambda: self.backend.network_printer(address), found)

    def _detect_printers(self) -> None:
        def found(printers: list[tuple[str, str]]) -> None:
            chosen = self.answers["printer"]
            typed = [p for p in self.printers if p[0].startswith("tcp:")]  # typed in: kept
            self.printers = printers + [p for p in typed if p not in printers]
            if chosen not in dict(self.printers):
                self.answers["printer"] = "none"
            self._render()
            self.note = tr._("{n} imprimante(s) trouvée(s)").format(n=len(printers))

        self._background(self.backend.detect_printers, found)

    def _render_drawer(self, body: BoxLayout) -> None:
        self._choices(
            body,
            [("printer", tr._("Branché sur l'imprimante")), ("none", tr._("Pas de tiroir"))],
            "drawer",
        )
        test = KButton(text=tr._("Ouvrir le tiroir (test)"), size_hint_y=None, height=dp(52))
        test.bind(
            on_release=lambda *_: self._background(
                lambda: self.backend.test_drawer(self.answers["printer"])
            )
        )
        body.add_widget(test)

    def _render_scanner(self, body: BoxLayout) -> None:
        body.add_widget(
            Label(
                text=tr._("Scannez le code de la page de test : {code}").format(
                    code=SCANNER_TEST_CODE
                )
                + "\n"
                + tr._("Disposition apprise : {layout}").format(
                    layout=self.answers["scanner_layout"]
                ),
                color=self.app.theme.text,
                font_size="18sp",
                halign="center",
            )
        )
        learn = KButton(text=tr._("Apprendre le scanner"), size_hint_y=None, height=dp(52))
        learn.bind(on_release=lambda *_: self._learn_scanner())
        body.add_widget(learn)

    def _learn_scanner(self) -> None:
        self.note = tr._("Scannez le code maintenant…")

        def learnt(layout: str) -> None:
            self.answers["scanner_layout"] = layout
            self._render()
            self.note = tr._("Scanner reconnu (clavier {layout})").format(layout=layout)

        self._background(lambda: self.backend.learn_scanner(SCANNER_TEST_CODE), learnt)

    def handle_scan(self, code: str) -> None:
        """A keyboard-wedge scanner typing the test code proves it reads right as it is."""
        if STEPS[self.step] == "scanner":
            if code == SCANNER_TEST_CODE:
                self.note = tr._("Scanner OK : code lu correctement")
            else:
                self.note = tr._("Code lu {code} : le scanner n'est pas en clavier US").format(
                    code=code
                )

    def _render_pin(self, body: BoxLayout) -> None:
        body.add_widget(
            Label(
                text="•" * len(self.answers["manager_pin"]) or "—",
                color=self.app.theme.text,
                font_size="30sp",
                size_hint_y=None,
                height=dp(48),
            )
        )
        pad = Keypad(cols=3, spacing=dp(5))
        pad.keys = list(PIN_KEYS)
        pad.bind(on_key=lambda _p, k: self._pin_key(k))
        body.add_widget(pad)

    def _pin_key(self, key: str) -> None:
        self.answers["manager_pin"] = apply_key(self.answers["manager_pin"], key, PIN_LENGTH)
        self._render()

    def _render_summary(self, body: BoxLayout) -> None:
        a = self.answers
        printers = {"none": tr._("Pas d'imprimante"), **dict(self.printers)}
        drawers = {"printer": tr._("Branché sur l'imprimante"), "none": tr._("Pas de tiroir")}
        lines = [
            tr._("Langue : {v}").format(v={"fr": "Français", "en": "English"}[a["language"]]),
            tr._("Instance : {v}").format(v=a["instance"]),
            tr._("Utilisateur : {v}").format(v=a["email"]),
            tr._("Clé : {v}").format(v="•" * 8),
            tr._("Caisse : {v}").format(v=dict(self.registers).get(a["register"], a["register"])),
            tr._("Imprimante : {v}").format(v=printers.get(a["printer"], a["printer"])),
            tr._("Tiroir : {v}").format(v=drawers.get(a["drawer"], a["drawer"])),
            tr._("Scanner : clavier {v}").format(v=a["scanner_layout"]),
            tr._("Code gérant : {v}").format(v="•" * len(a["manager_pin"])),
        ]
        summary = Label(
            text="\n".join(lines),
            color=self.app.theme.text,
            font_size="18sp",
            halign="left",
            valign="top",
            padding=(dp(12), dp(6)),
        )
        summary.bind(size=lambda label, size: setattr(label, "text_size", size))
        body.add_widget(summary)

    # -- background work --------------------------------------------------------------------

    def _background(
        self, work: Callable[[], Any], on_done: Callable[[Any], None] | None = None
    ) -> None:
        self.busy = True

        def done(result: Any) -> None:
            self.busy = False
            if on_done is not None:
                on_done(result)
            elif isinstance(result, str) and result:
                self.note = result

        def failed(error: BaseException) -> None:
            self.busy = False
            self.note = str(error)
            self.app.message(str(error), error=True)

        run_in_background(work, done, failed, name="wizard")

    def _login(self) -> None:
        a = self.answers
        self.note = tr._("Connexion à Kafinea…")

        def logged_in(registers: list[tuple[str, str]]) -> None:
            self.registers = registers
            if len(registers) == 1:
                a["register"] = registers[0][0]
            elif a["register"] not in dict(registers):
                a["register"] = ""  # the register in place is not offered by this login
            self.step += 1
            self._render()
            self.note = tr._("Connexion réussie")

        self._background(
            lambda: self.backend.check_login(a["instance"], a["email"], a["key"]), logged_in
        )

    def _finish(self) -> None:
        self.note = tr._("Enregistrement de la configuration…")
        answers = dict(self.answers)
        if not self.reconfigure:
            self._background(lambda: self.backend.finish(answers), self.app.attach_till)
            return
        # The running till is closed only now, then the new one is built: the app does both.
        self.busy = True
        self.app.replace_till(lambda: self.backend.finish(answers), self.backend.reopen)

    def on_leave(self, *_args: Any) -> None:
        self.busy = False  # a replacement done (or failed) leaves the wizard idle
