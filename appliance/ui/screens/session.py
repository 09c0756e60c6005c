"""Cash-session screens: opening float, cash in/out, closing with the Z, returns and reprints.

Each forwards to the Till; closing and printing run on a worker thread and report back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import DictProperty, NumericProperty, ObjectProperty, StringProperty

from appliance.till import TillError, ZReport
from appliance.ui import fmt
from appliance.ui.background import run_in_background
from appliance.ui.dialogs import with_manager_pin
from appliance.ui.i18n import tr
from appliance.ui.screens.base import TillScreen
from appliance.ui.widgets import KButton, apply_key

# Euro notes and coins, in cents, largest first: the opening float can be counted with them.
DENOMINATIONS: tuple[int, ...] = (
    20000,
    10000,
    5000,
    2000,
    1000,
    500,
    200,
    100,
    50,
    20,
    10,
    5,
    2,
    1,
)

TOTAL = 0  # the tile that holds a total typed directly instead of a count


def denomination_label(cents: int) -> str:
    return f"{cents // 100} €" if cents >= 100 else f"{cents} c"




class FloatScreen(TillScreen):
    """The opening float: count notes and coins, or type the total."""

    counts = DictProperty({})
    selected = NumericProperty(TOTAL)
    entry = StringProperty("")
    total_cents = NumericProperty(0)
    total_text = StringProperty(fmt.money(0))
    typed_total = ObjectProperty(None, allownone=True)

    def prepare(self, **_context: Any) -> None:
        self.counts = {}
        self.typed_total = None
        self.entry = ""
        self.selected = TOTAL
        self._build_tiles()
        self._recount()

    def _build_tiles(self) -> None:
        grid = self.ids.tiles
        grid.clear_widgets()
        self._tiles = {}
        for cents in (*DENOMINATIONS, TOTAL):
            tile = KButton(font_size="16sp")
            tile.bind(on_release=lambda _b, c=cents: self.select(c))
            self._tiles[cents] = tile
            grid.add_widget(tile)
        self._paint()

    def _paint(self) -> None:
        theme = self.app.theme
        for cents, tile in self._tiles.items():
            if cents == TOTAL:
                typed = fmt.money(self.typed_total) if self.typed_total is not None else "—"
                tile.text = tr._("Total direct") + f"\n{typed}"
            else:
                tile.text = f"{denomination_label(cents)}\n× {self.counts.get(cents, 0)}"
            tile.bg = theme.accent if cents == self.selected else theme.neutral

    def select(self, cents: int) -> None:
        self.selected = cents
        self.entry = ""
        self._paint()

    def on_keypad(self, key: str) -> None:
        if self.selected == TOTAL:
            self.entry = apply_key(self.entry, key)
            try:
                self.typed_total = fmt.cents_from_keypad(self.entry) if self.entry else None
            except ValueError:
                return
        else:
            if key == ",":
                return
            self.entry = apply_key(self.entry, key, max_length=4)
            counts = dict(self.counts)
            counts[self.selected] = int(self.entry or "0")
            self.counts = counts
        self._recount()

    def _recount(self) -> None:
        if self.typed_total is not None:
            self.total_cents = self.typed_total
        else:
            self.total_cents = sum(c * n for c, n in self.counts.items())
        self.total_text = fmt.money(self.total_cents)
        self._paint()

    def open_session(self) -> None:
        opening = (
            self.typed_total
            if self.typed_total is not None
            else {c: n for c, n in self.counts.items() if n}
        )
        try:
            self.till.open_session(opening if opening else 0)
        except TillError as error:
            self.app.error(error)
            return
        self.app.message(tr._("Caisse ouverte avec {amount}").format(amount=self.total_text))
        self.app.show("sale")

    def handle_scan(self, code: str) -> None:
        self.app.message(
            tr._("Ouvrez d'abord la caisse (fond de caisse), puis scannez"), error=True
        )


class CashMoveScreen(TillScreen):
    """Money put in or taken out of the drawer, with a reason."""

    direction = StringProperty("out")  # "in" | "out"
    entry = StringProperty("")
    reason = StringProperty("")

    REASONS_OUT = ("Dépôt en banque", "Achat fournitures", "Prélèvement", "Autre")
    REASONS_IN = ("Apport de monnaie", "Remboursement", "Autre")

    def prepare(self, direction: str = "out", **_context: Any) -> None:
        self.direction = direction
        self.entry = ""
        reasons = self.REASONS_IN if direction == "in" else self.REASONS_OUT
        self.reason = reasons[0]
        box = self.ids.reasons
        box.clear_widgets()
        for reason in reasons:
            button = KButton(text=tr._(reason))
            button.bind(on_release=lambda _b, r=reason: setattr(self, "reason", r))
            box.add_widget(button)

    def on_keypad(self, key: str) -> None:
        self.entry = apply_key(self.entry, key)

    def record(self) -> None:
        try:
            cents = fmt.cents_from_keypad(self.entry)
        except ValueError:
            self.app.message(tr._("Tapez le montant, par exemple 50,00"), error=True)
            return
        action = self.till.cash_in if self.direction == "in" else self.till.cash_out
        try:
            action(cents, tr._(self.reason))
        except TillError as error:
            self.app.error(error)
            return
        self.app.message(tr._("Mouvement enregistré : {amount}").format(amount=fmt.money(cents)))
        self.app.show("sale")


class ClosingScreen(TillScreen):
    """Count each payment method, close the session, show expected vs counted and the Z."""

    counted = DictProperty({})
    selected = StringProperty("")
    entry = StringProperty("")
    stage = StringProperty("count")  # count -> busy -> done
    z_text = StringProperty("")

    def prepare(self, **_context: Any) -> None:
        self.stage = "count"
        self.counted = {}
        self.entry = ""
        self._methods = self.till.payment_methods()
        self.selected = self._methods[0].code if self._methods else ""
        self._paint()

    def _paint(self) -> None:
        box = self.ids.method_rows
        box.clear_widgets()
        theme = self.app.theme
        for method in self._methods:
            counted = self.counted.get(method.code)
            text = f"{method.label}   " + (fmt.money(counted) if counted is not None else "—")
            row = KButton(
                text=text,
                font_size="19sp",
                bg=theme.accent if method.code == self.selected else theme.neutral,
            )
            row.bind(on_release=lambda _b, code=method.code: self.select(code))
            box.add_widget(row)

    def select(self, code: str) -> None:
        self.selected = code
        self.entry = ""
        self._paint()

    def on_keypad(self, key: str) -> None:
        self.entry = apply_key(self.entry, key)
        counted = dict(self.counted)
        try:
            counted[self.selected] = fmt.cents_from_keypad(self.entry) if self.entry else 0
        except ValueError:
            return
        self.counted = counted
        self._paint()

    def close_session(self) -> None:
        counted = {m.code: self.counted.get(m.code, 0) for m in self._methods}
        self.stage = "busy"
        run_in_background(
            lambda: self.till.close_session(counted), self._closed, self._failed, name="closing"
        )

    def _failed(self, error: BaseException) -> None:
        self.stage = "count"
        self.app.error(error)

    def _closed(self, z: ZReport) -> None:
        self.stage = "done"
        lines = [
            tr._("Clôture Z n° {n} — {t} tickets, ventes {s}").format(
                n=z.number, t=z.ticket_count, s=fmt.money(z.sales_total_cents)
            )
        ]
        for method in z.methods:
            difference = method.difference_cents or 0
            sign = "+" if difference > 0 else ""
            flag = (
                ""
                if difference == 0
                else "   [color=c62828][b]"
                + tr._("ÉCART")
                + f" {sign}{fmt.money(difference)}[/b][/color]"
            )
            lines.append(
                f"{method.label} : "
                + tr._("attendu")
                + f" {fmt.money(method.expected_cents)}, "
                + tr._("compté")
                + f" {fmt.money(method.counted_cents or 0)}{flag}"
            )
        lines.append(tr._("Z imprimé") if z.printed else (z.print_error or tr._("Z non imprimé")))
        self.z_text = "\n".join(lines)

    def finish(self) -> None:
        self.app.show("float")


class TicketsScreen(TillScreen):
    """An earlier ticket, by number or by scanning its receipt: return, void or reprint."""

    entry: str = StringProperty("")

    def prepare(self, **_context: Any) -> None:
        self.entry = ""

    def on_keypad(self, key: str) -> None:
        if key != ",":
            self.entry = apply_key(self.entry, key, max_length=12)

    def handle_scan(self, code: str) -> None:
        self.entry = code

    def _ref(self) -> str | None:
        if not self.entry:
            self.app.message(tr._("Scannez le ticket ou tapez son numéro"), error=True)
            return None
        return self.entry

    def start(self, kind: str) -> None:
        ref = self._ref()
        if ref is None:
            return
        if kind == "return":
            self._open(self.till.start_return, ref)
            return

        def attempt(pin: str | None) -> None:
            self.till.void(ref, pin)
            self.app.show("sale")

        with_manager_pin(tr._("Code gérant pour annuler le ticket"), attempt)

    def _open(self, action: Callable[..., object], *args: Any) -> None:
        """Start the return or void; the sale screen then shows the negative ticket."""
        try:
            action(*args)
        except TillError as error:
            self.app.error(error)
            return
        self.app.show("sale")

    def reprint(self) -> None:
        ref = self._ref()
        if ref is None:
            return
        run_in_background(
            lambda: self.till.reprint(ref),
            lambda r: self.app.message(
                tr._("Duplicata n° {k} du ticket {n} imprimé").format(
                    k=r.duplicate_number, n=r.number
                )
                if r.printed
                else (r.print_error or tr._("Duplicata non imprimé")),
                error=not r.printed,
            ),
            self.app.error,
            name="reprint",
        )
