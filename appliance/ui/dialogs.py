"""Dialogs built in code: choose one item, type a PIN, search the catalogue, find a customer.

Every dialog has a visible way out ("Annuler") and never closes on Escape or an outside tap;
scans keep going to the screen underneath (the app routes them), so none of these can
swallow a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import BorderImage, Color
from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from appliance.till import AccountView, PermissionDenied, TillError
from appliance.ui import fmt
from appliance.ui.background import run_in_background
from appliance.ui.i18n import tr
from appliance.ui.widgets import (
    PIN_KEYS,
    PIN_LENGTH,
    ClipScrollView,
    Dialog,
    KButton,
    Keypad,
    OnScreenKeyboard,
    apply_key,
    apply_text_key,
    rounded_texture,
)


def _card(dialog: Dialog, padding: float, spacing: float) -> BoxLayout:
    """The dialog's column, on a rounded card of the theme's surface colour."""
    app = App.get_running_app()
    box = BoxLayout(orientation="vertical", padding=padding, spacing=spacing)
    with box.canvas.before:
        Color(*app.theme.surface)
        radius = round(dp(10))
        rect = BorderImage(texture=rounded_texture(radius), border=[radius] * 4)
    box.bind(
        pos=lambda *_: setattr(rect, "pos", box.pos),
        size=lambda *_: setattr(rect, "size", box.size),
    )
    dialog.add_widget(box)
    return box


def _frame(dialog: Dialog, title: str) -> BoxLayout:
    """A card with `title` on top."""
    app = App.get_running_app()
    box = _card(dialog, padding=dp(10), spacing=dp(8))
    box.add_widget(
        Label(
            text=title,
            color=app.theme.text,
            bold=True,
            font_size="20sp",
            size_hint_y=None,
            height=dp(40),
        )
    )
    return box


def _scrolling_grid(cols: int, **scroll: Any) -> tuple[ClipScrollView, GridLayout]:
    """A grid as tall as its rows, in a scroll view: the lists of choices and of results."""
    grid = GridLayout(cols=cols, spacing=dp(6), size_hint_y=None)
    grid.bind(minimum_height=grid.setter("height"))
    view = ClipScrollView(**scroll)
    view.add_widget(grid)
    return view, grid


def _keyboard_and_results(
    box: BoxLayout, on_key: Callable[[Any, str], None], keyboard_share: float
) -> tuple[OnScreenKeyboard, GridLayout]:
    """The on-screen keyboard and, beside it, a column of results: side by side, both keep
    finger-sized targets on a 800x480 panel."""
    body = BoxLayout(spacing=dp(8))
    keyboard = OnScreenKeyboard(size_hint_x=keyboard_share)
    keyboard.bind(on_key=on_key)
    body.add_widget(keyboard)
    view, results = _scrolling_grid(1, size_hint_x=1 - keyboard_share)
    body.add_widget(view)
    box.add_widget(body)
    return keyboard, results


def _field(font_size: str, **kwargs: Any) -> Label:
    """The line showing the text typed, left-aligned and vertically centred."""
    app = App.get_running_app()
    field = Label(
        color=app.theme.text, font_size=font_size, halign="left", valign="middle", **kwargs
    )
    field.bind(size=lambda label, size: setattr(label, "text_size", size))
    return field


def _cancel_button(dialog: Dialog, text: str | None = None) -> KButton:
    button = KButton(text=text or tr._("Annuler"), size_hint_y=None, height=dp(52))
    button.bind(on_release=lambda *_: dialog.dismiss())
    return button


def choose(
    title: str, options: Sequence[tuple[Any, str]], on_chosen: Callable[[Any], Any]
) -> Dialog:
    """A list of big buttons; the tapped option's value goes to `on_chosen`."""
    app = App.get_running_app()
    dialog = Dialog()
    box = _frame(dialog, title)
    view, grid = _scrolling_grid(2 if len(options) > 4 else 1)
    for value, label in options:
        button = KButton(text=label, size_hint_y=None, height=dp(56), bg=app.theme.neutral)

        def chosen(_btn: Any, value: Any = value) -> None:
            dialog.dismiss()
            on_chosen(value)

        button.bind(on_release=chosen)
        grid.add_widget(button)
    box.add_widget(view)
    box.add_widget(_cancel_button(dialog))
    dialog.open()
    return dialog


class PinDialog(Dialog):
    """A masked PIN typed on a keypad; "OK" hands it to `on_pin`."""

    pin = StringProperty("")

    def __init__(self, title: str, on_pin: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(size_hint=(0.5, 0.9), **kwargs)
        self.on_pin = on_pin
        box = _frame(self, title)
        app = App.get_running_app()
        self.display = Label(
            text="", color=app.theme.text, font_size="32sp", size_hint_y=None, height=dp(48)
        )
        box.add_widget(self.display)
        pad = Keypad(cols=3, spacing=dp(6))
        pad.keys = list(PIN_KEYS)
        pad.bind(on_key=self._key)
        box.add_widget(pad)
        row = BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(8))
        row.add_widget(_cancel_button(self))
        ok = KButton(text=tr._("Valider"), bg=app.theme.pay, fg=(1, 1, 1, 1))
        ok.bind(on_release=lambda *_: self._submit())
        row.add_widget(ok)
        box.add_widget(row)

    def _key(self, _pad: Any, key: str) -> None:
        self.pin = apply_key(self.pin, key, PIN_LENGTH)
        self.display.text = "•" * len(self.pin)

    def _submit(self) -> None:
        self.dismiss()
        self.on_pin(self.pin)


def ask_pin(title: str, on_pin: Callable[[str], Any]) -> PinDialog:
    dialog = PinDialog(title, on_pin)
    dialog.open()
    return dialog


def with_manager_pin(title: str, attempt: Callable[[str | None], object]) -> None:
    """`attempt(None)`; when the Till wants the manager's code for it, ask for the code
    (under `title`) and `attempt(code)`. Any refusal, a wrong code included, is shown."""
    app = App.get_running_app()

    def run(pin: str | None) -> None:
        try:
            attempt(pin)
        except PermissionDenied as error:
            if pin is None:
                ask_pin(title, run)
            else:
                app.error(error)
        except TillError as error:
            app.error(error)

    run(None)


class SearchDialog(Dialog):
    """Search as you type with the on-screen keyboard; a tap on a result adds it."""

    def __init__(self, on_chosen: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(size_hint=(0.98, 0.96), **kwargs)
        self.on_chosen = on_chosen
        self.text = ""
        box = _card(self, padding=dp(8), spacing=dp(6))
        top = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(6))
        self.field = _field("22sp", text=tr._("Rechercher un article") + " : _")
        top.add_widget(self.field)
        top.add_widget(_cancel_button(self, tr._("Fermer")))
        top.children[0].size_hint_x = 0.25
        box.add_widget(top)
        _keyboard, self.results = _keyboard_and_results(box, self._key, 0.62)

    def _key(self, _keyboard: Any, key: str) -> None:
        self.text = apply_text_key(self.text, key)
        self.field.text = (self.text or tr._("Rechercher un article") + " : ") + "_"
        Clock.unschedule(self._search)
        Clock.schedule_once(self._search, 0.15)

    def _search(self, _dt: float) -> None:
        app = App.get_running_app()
        self.results.clear_widgets()
        if len(self.text.strip()) < 2:
            return
        try:
            products = app.till.search(self.text.strip(), limit=30)
        except TillError as error:
            app.error(error)
            return
        if not products:
            self.results.add_widget(
                Label(
                    text=tr._("Aucun article"),
                    color=app.theme.muted,
                    size_hint_y=None,
                    height=dp(48),
                )
            )
        for product in products:
            button = KButton(
                text=f"{product.name}\n{fmt.money(product.price_cents)}",
                size_hint_y=None,
                height=dp(60),
                font_size="15sp",
            )

            def chosen(_btn: Any, product_id: str = product.id) -> None:
                self.on_chosen(product_id)
                app.message(tr._("Article ajouté"))

            button.bind(on_release=chosen)
            self.results.add_widget(button)


CUSTOMER_KEYBOARD_ROWS: tuple[str, ...] = ("1234567890", "AZERTYUIOP", "QSDFGHJKLM", "WXCVBN'-.+")


class CustomerDialog(Dialog):
    """Find the ticket's customer: type a part of the name, phone, e-mail or account number
    on the on-screen keyboard, tap the account. "Client comptoir" (the register's default
    account) is always one tap away.

    The search reads the Till's local copy of the accounts (it works offline) on a worker
    thread, so a slow disk never holds a frame; an answer for text the cashier has since
    changed is dropped (`_asked` tells the latest question).
    """

    def __init__(self, on_chosen: Callable[[str | None], Any], **kwargs: Any) -> None:
        super().__init__(size_hint=(0.98, 0.96), **kwargs)
        self.on_chosen = on_chosen
        self.text = ""
        self._asked = ""
        self.shown_for = ""  # the search text whose results are on screen
        app = App.get_running_app()
        box = _frame(self, tr._("Client du ticket"))
        top = BoxLayout(size_hint_y=None, height=dp(52), spacing=dp(6))
        self.field = _field("20sp", text=self._field_text(), shorten=True)
        top.add_widget(self.field)
        counter = KButton(
            text=tr._("Client comptoir"),
            size_hint_x=0.3,
            bg=app.theme.accent,
            fg=app.theme.text_on_accent,
        )
        counter.bind(on_release=lambda *_: self._chosen(None))
        top.add_widget(counter)
        cancel = _cancel_button(self)
        cancel.size_hint_x = 0.2
        top.add_widget(cancel)
        box.add_widget(top)
        keyboard, self.results = _keyboard_and_results(box, self._key, 0.6)
        keyboard.rows = list(CUSTOMER_KEYBOARD_ROWS)
        self._hint(tr._("Nom, téléphone, e-mail ou n° de compte"))

    def _field_text(self) -> str:
        return (self.text or tr._("Rechercher un client") + " : ") + "_"

    def _key(self, _keyboard: Any, key: str) -> None:
        self.text = apply_text_key(self.text, key)
        self.field.text = self._field_text()
        Clock.unschedule(self._search)
        Clock.schedule_once(self._search, 0.15)

    def _search(self, _dt: float) -> None:
        text = self.text.strip()
        self._asked = text
        if len(text) < 2:
            self._hint(tr._("Nom, téléphone, e-mail ou n° de compte"))
            return
        till = App.get_running_app().till
        run_in_background(
            lambda: till.search_accounts(text, limit=30),
            lambda accounts: self._show(text, accounts),
            lambda error: self._failed(text, error),
            name="account-search",
        )

    def _hint(self, text: str) -> None:
        app = App.get_running_app()
        self.results.clear_widgets()
        self.results.add_widget(
            Label(
                text=text,
                color=app.theme.muted,
                size_hint_y=None,
                height=dp(48),
                text_size=(dp(260), None),
                halign="center",
            )
        )

    def _failed(self, text: str, error: BaseException) -> None:
        if text == self._asked:
            App.get_running_app().error(error)

    def _show(self, text: str, accounts: Sequence[AccountView]) -> None:
        if text != self._asked:  # the cashier typed on meanwhile: a newer answer is coming
            return
        self.shown_for = text
        if not accounts:
            self._hint(tr._("Aucun client trouvé"))
            return
        app = App.get_running_app()
        self.results.clear_widgets()
        for account in accounts:
            detail = "  ".join(
                part for part in (account.number, account.phone or account.email) if part
            )
            button = KButton(
                text=f"{account.name}\n[size=13sp]{detail}[/size]" if detail else account.name,
                markup=True,
                size_hint_y=None,
                height=dp(60),
                font_size="15sp",
                bg=app.theme.neutral,
            )
            button.bind(on_release=lambda _btn, chosen=account.id: self._chosen(chosen))
            self.results.add_widget(button)

    def _chosen(self, account: str | None) -> None:
        self.dismiss()
        self.on_chosen(account)


def confirm(title: str, text: str, on_yes: Callable[[], Any], yes: str | None = None) -> Dialog:
    app = App.get_running_app()
    dialog = Dialog(size_hint=(0.6, 0.5))
    box = _frame(dialog, title)
    box.add_widget(
        Label(
            text=text,
            color=app.theme.text,
            font_size="18sp",
            text_size=(dp(400), None),
            halign="center",
        )
    )
    row = BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(8))
    row.add_widget(_cancel_button(dialog))
    ok = KButton(text=yes or tr._("Confirmer"), bg=app.theme.danger, fg=(1, 1, 1, 1))

    def yes_pressed(*_args: Any) -> None:
        dialog.dismiss()
        on_yes()

    ok.bind(on_release=yes_pressed)
    row.add_widget(ok)
    box.add_widget(row)
    dialog.open()
    return dialog
