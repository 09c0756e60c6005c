"""The payment screen: tenders, quick cash, split payments, the change in huge figures.

The screen adds tenders with `Till.pay` and validates with `Till.validate` on a worker thread
(printing may take seconds); the ticket is recorded before the receipt prints, so a printer
failure only changes the message and offers a reprint (a counted DUPLICATA).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from appliance.till import TicketKind, TicketView, TillError, ValidatedTicket
from appliance.ui import fmt
from appliance.ui.background import run_in_background
from appliance.ui.i18n import tr
from appliance.ui.screens.base import TillScreen
from appliance.ui.widgets import KButton, apply_key

QUICK_CASH_CENTS: tuple[int, ...] = (500, 1000, 2000, 5000)


class PaymentScreen(TillScreen):
    ticket: TicketView = ObjectProperty(TicketView(), rebind=True)
    entry = StringProperty("")
    due_text = StringProperty("")
    paid_text = StringProperty("")
    total_text = StringProperty("")
    change_text = StringProperty("")
    stage = StringProperty("tender")  # tender -> settled -> busy -> done
    result = ObjectProperty(None, allownone=True)
    result_text = StringProperty("")
    refund = BooleanProperty(False)

    def prepare(self, **_context: Any) -> None:
        self.stage = "tender"
        self.result = None
        self.entry = ""
        self._build_methods()
        self.render(self.till.ticket())

    def _build_methods(self) -> None:
        box = self.ids.methods
        box.clear_widgets()
        self._cash_method = ""
        for method in self.till.payment_methods():
            if method.is_cash and not self._cash_method:
                self._cash_method = method.code
            button = KButton(
                text=method.label,
                font_size="20sp",
                bg=self.app.theme.primary,
                fg=self.app.theme.text_on_primary,
            )
            button.bind(on_release=lambda _b, code=method.code: self.pay_with(code))
            box.add_widget(button)

    def render(self, ticket: TicketView) -> None:
        self.ticket = ticket
        totals = ticket.totals
        self.refund = ticket.kind is not TicketKind.SALE
        self.total_text = fmt.money(totals.total_ttc_cents)
        self.paid_text = fmt.money(totals.paid_cents)
        self.due_text = fmt.money(totals.due_cents)
        self.change_text = fmt.money(totals.change_cents)
        self.ids.tenders.data = [
            {
                "text": f"{p.label}   {fmt.money(p.amount_cents)}   " + tr._("(retirer)"),
                "tender_index": p.index,
            }
            for p in ticket.payments
        ]
        if self.stage in ("tender", "settled"):
            self.stage = "settled" if ticket.can_validate else "tender"
        if self.stage == "tender" and ticket.payments and totals.due_cents == 0:
            # Paid, yet not valid: say why rather than leave the cashier stuck.
            self.app.message(
                tr._("Ticket incomplet : revenez au ticket (vendeur, client)"), error=True
            )

    # -- tenders ----------------------------------------------------------------------------

    def on_keypad(self, key: str) -> None:
        self.entry = apply_key(self.entry, key)

    def _amount(self) -> int:
        """The typed amount, or what is still due when nothing was typed."""
        if not self.entry:
            return abs(self.ticket.totals.due_cents)
        return fmt.cents_from_keypad(self.entry)

    def pay_with(self, method: str, cents: int | None = None) -> None:
        if self.stage != "tender":
            return
        try:
            amount = self._amount() if cents is None else cents
        except ValueError:
            self.app.message(tr._("Montant illisible : tapez par exemple 12,50"), error=True)
            return
        if amount <= 0:
            self.app.message(tr._("Rien à payer"), error=True)
            return
        try:
            self.render(self.till.pay(method, amount))
        except TillError as error:
            self.app.error(error)
            return
        self.entry = ""

    def quick_cash(self, cents: int | None) -> None:
        """Exact (None) or a note: a cash tender of that amount."""
        if not self._cash_method:
            self.app.message(tr._("Pas d'espèces sur cette caisse"), error=True)
            return
        self.pay_with(self._cash_method, cents)

    def remove_tender(self, index: int) -> None:
        try:
            self.render(self.till.remove_tender(index))
        except TillError as error:
            self.app.error(error)

    def back_to_sale(self) -> None:
        if self.ticket.payments:
            self.app.message(tr._("Retirez d'abord les paiements saisis"), error=True)
            return
        self.app.show("sale")

    # -- validating -------------------------------------------------------------------------

    def validate(self, print_receipt: bool) -> None:
        if self.stage != "settled":
            return
        self.stage = "busy"
        run_in_background(
            lambda: self.till.validate(print_receipt=print_receipt),
            self._validated,
            self._failed,
            name="validate",
        )

    def _validated(self, done: ValidatedTicket) -> None:
        self.result = done
        self.stage = "done"
        self.change_text = fmt.money(done.change_cents)
        lines = [tr._("Ticket n° {n} enregistré").format(n=done.number)]
        if done.print_error:
            lines.append(done.print_error)
            self.app.message(done.print_error, error=True)
        self.result_text = "\n".join(lines)

    def _failed(self, error: BaseException) -> None:
        self.stage = "settled"
        self.app.error(error)

    def reprint(self) -> None:
        if self.result is None:
            return
        number = self.result.number
        run_in_background(
            lambda: self.till.reprint(number),
            lambda r: self.app.message(
                tr._("Duplicata n° {k} imprimé").format(k=r.duplicate_number)
                if r.printed
                else r.print_error or tr._("Duplicata non imprimé"),
                error=not r.printed,
            ),
            self.app.error,
            name="reprint",
        )

    def next_sale(self) -> None:
        self.app.show("sale")

    def handle_scan(self, code: str) -> None:
        """A scan while paying: back to the ticket when nothing is paid yet, else refused."""
        if self.stage == "done" or (not self.ticket.payments and self.stage == "tender"):
            self.app.show("sale")
            self.app.scan(code)
        else:
            self.app.message(
                tr._("Paiement commencé : retirez les paiements pour ajouter {code}").format(
                    code=code
                ),
                error=True,
            )
