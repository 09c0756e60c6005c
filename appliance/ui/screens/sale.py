"""The sale screen: categories and products, the ticket, the keypad, seller and customer.

It forwards every tap to the Till and renders the `TicketView` it gets back; no arithmetic
here (that is `pos`'s job). The keypad works like a shop calculator: type a number, then say
what it is (quantity, price, line discount %, ticket discount %) for the selected line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from appliance.till import (
    LineView,
    ProductView,
    TicketKind,
    TicketView,
    TillError,
)
from appliance.ui import fmt
from appliance.ui.dialogs import CustomerDialog, SearchDialog, choose, with_manager_pin
from appliance.ui.i18n import tr
from appliance.ui.screens.base import TillScreen
from appliance.ui.theme import hex_to_rgba
from appliance.ui.widgets import KButton, apply_key

PRODUCT_BUTTON_COLOUR = (0.86, 0.9, 0.96, 1)


class TicketLineRow(ButtonBehavior, BoxLayout):
    """One ticket line in the list; a tap selects it for the keypad."""

    index = NumericProperty(0)
    position = NumericProperty(0)
    label = StringProperty("")
    detail = StringProperty("")
    total = StringProperty("")
    selected = BooleanProperty(False)


class ProductButton(KButton):
    product_id = StringProperty("")


class SaleScreen(TillScreen):
    ticket: TicketView = ObjectProperty(TicketView(), rebind=True)
    entry = StringProperty("")
    selected_line: int = NumericProperty(-1)
    category = StringProperty("")
    categories = ListProperty([])
    total_text = StringProperty(fmt.money(0))
    total_label = StringProperty("")
    seller_text = StringProperty("")
    customer_text = StringProperty("")
    parked_count = NumericProperty(0)
    has_sellers = BooleanProperty(False)
    _catalog_of = None  # the Till whose catalogue the buttons show

    # -- entering the screen ----------------------------------------------------------------

    def prepare(self, reload_catalog: bool = False, **_context: Any) -> None:
        """Show the current ticket; the catalogue buttons are built once (or after a refresh)."""
        till = self.till
        if till is None:
            return
        self.has_sellers = bool(till.sellers())
        if reload_catalog or self._catalog_of is not till:
            self._catalog_of = till
            self._load_categories()
        self.render(till.ticket())
        self.parked_count = len(till.parked())

    def _load_categories(self) -> None:
        categories = self.till.categories()
        self.categories = [c.name for c in categories]
        box = self.ids.categories
        box.clear_widgets()
        for category in categories:
            button = KButton(
                text=category.name,
                size_hint_x=None,
                width=max(120, len(category.name) * 11 + 24),
                bg=hex_to_rgba(category.colour, self.app.theme.primary),
                fg=(1, 1, 1, 1),
            )
            button.bind(on_release=lambda btn, name=category.name: self.show_category(name))
            box.add_widget(button)
        if categories and self.category not in self.categories:
            self.show_category(categories[0].name)
        elif self.category:
            self.show_category(self.category)

    def show_category(self, name: str) -> None:
        self.category = name
        for button in self.ids.categories.children:
            button.opacity = 1 if button.text == name else 0.55
        self.show_products(self.till.products_in(name))

    def show_products(self, products: Sequence[ProductView]) -> None:
        self.ids.products.data = [
            {
                "product_id": p.id,
                "text": f"{p.name}\n[b]{fmt.money(p.price_cents)}[/b]",
                "bg": PRODUCT_BUTTON_COLOUR,
            }
            for p in products
        ]

    # -- rendering --------------------------------------------------------------------------

    def render(self, ticket: TicketView) -> None:
        """Show `ticket`; the last line becomes the selected one when the count changes."""
        grew = len(ticket.lines) != len(self.ticket.lines)
        self.ticket = ticket
        if grew or self.selected_line >= len(ticket.lines):
            self.selected_line = len(ticket.lines) - 1
        self.ids.lines.data = [
            {
                "index": line.index,
                "position": position,
                "label": line.label,
                "detail": self._line_detail(line),
                "total": fmt.money(line.total_cents),
                "selected": position == self.selected_line,
            }
            for position, line in enumerate(ticket.lines)
        ]
        Clock.schedule_once(self._newest_line_in_view, 0)
        totals = ticket.totals
        self.total_text = fmt.money(totals.total_ttc_cents)
        kind = {
            TicketKind.RETURN: tr._("RETOUR"),
            TicketKind.VOID: tr._("ANNULATION"),
        }.get(ticket.kind, "")
        if ticket.prices_ht:  # the register shows prices before tax; the customer pays TTC
            self.total_text = fmt.money(totals.total_ht_cents)
            headline = tr._("Total HT — {ttc} TTC").format(ttc=fmt.money(totals.total_ttc_cents))
        else:
            headline = tr._("Total TTC")
        self.total_label = kind or headline
        self.seller_text = ticket.seller or tr._("Vendeur ?")
        self.customer_text = ticket.customer_name or tr._("Client comptoir")

    def _newest_line_in_view(self, _dt: float) -> None:
        """Bottom of the list when it overflows its box, top (a short ticket) otherwise."""
        rows = self.ids.lines.layout_manager
        self.ids.lines.scroll_y = 0 if rows.height > self.ids.lines.height else 1

    @staticmethod
    def _line_detail(line: LineView) -> str:
        detail = f"{fmt.quantity(line.quantity_milli)} × {fmt.money(line.unit_price_cents)}"
        if line.original_unit_price_cents is not None:
            detail += "  " + tr._("(prix modifié)")
        if line.discount_cents:
            detail += f"  {line.discount_label or tr._('remise')} -{fmt.money(line.discount_cents)}"
        return detail

    def select_line(self, position: int) -> None:
        self.selected_line = position
        self.render(self.ticket)

    def _selected(self) -> LineView | None:
        if not self.ticket.lines or self.selected_line < 0:
            return None
        return self.ticket.lines[self.selected_line]

    # -- actions ----------------------------------------------------------------------------

    def _do(self, action: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
        """Call the Till, render what it returns, turn a refusal into a French message."""
        try:
            result = action(*args, **kwargs)
        except TillError as error:
            self.app.error(error)
            return False
        if isinstance(result, TicketView):
            self.render(result)
        return True

    def handle_scan(self, code: str) -> None:
        self._do(self.till.scan, code)

    def add_product(self, product_id: str) -> None:
        self._do(self.till.add_product, product_id)

    def on_keypad(self, key: str) -> None:
        self.entry = apply_key(self.entry, key)

    def apply_entry(self, what: str) -> None:
        """The keypad's number becomes a quantity, a price, or a discount."""
        line = self._selected()
        if what != "ticket_discount" and line is None:
            self.app.message(tr._("Choisissez d'abord un article"), error=True)
            return
        index = line.index if line is not None else -1
        try:
            if what == "quantity":
                done = self._do(self.till.set_quantity, index, fmt.milli_from_keypad(self.entry))
            elif what == "price":
                self._override_price(index, fmt.cents_from_keypad(self.entry))
                return
            elif what == "line_discount":
                done = self._do(
                    self.till.discount_line,
                    index,
                    percent_bp=fmt.basis_points_from_keypad(self.entry),
                )
            else:
                done = self._do(
                    self.till.discount_ticket, percent_bp=fmt.basis_points_from_keypad(self.entry)
                )
        except ValueError:
            self.app.message(tr._("Tapez d'abord un nombre sur le pavé"), error=True)
            return
        if done:
            self.entry = ""

    def _override_price(self, index: int, cents: int) -> None:
        def attempt(pin: str | None) -> None:
            self.render(self.till.override_price(index, cents, pin))
            self.entry = ""

        with_manager_pin(tr._("Code gérant pour changer le prix"), attempt)

    def remove_line(self) -> None:
        line = self._selected()
        if line is None:
            self.app.message(tr._("Aucune ligne à supprimer"), error=True)
            return
        self._do(self.till.remove_line, line.index)

    def clear_ticket(self) -> None:
        if not self.ticket.is_empty:
            self._do(self.till.clear_ticket)

    def choose_seller(self) -> None:
        sellers = self.till.sellers()
        if not sellers:
            self.app.message(tr._("Cette caisse n'a pas de vendeurs"))
            return
        choose(
            tr._("Vendeur"),
            [(name, name) for name in sellers],
            lambda name: self._do(self.till.set_seller, name),
        )

    def choose_customer(self) -> None:
        CustomerDialog(on_chosen=lambda account: self._do(self.till.set_customer, account)).open()

    def park(self) -> None:
        if self.ticket.is_empty:
            self.app.message(tr._("Le ticket est vide"), error=True)
            return
        if self._do(self.till.park):
            self.render(self.till.ticket())
            self.parked_count = len(self.till.parked())
            self.app.message(tr._("Ticket mis en attente"))

    def recall(self) -> None:
        parked = self.till.parked()
        if not parked:
            self.app.message(tr._("Aucun ticket en attente"))
            return
        if not self.ticket.is_empty:
            self.app.message(tr._("Mettez d'abord le ticket en cours en attente"), error=True)
            return
        options = [
            (
                p.id,
                f"{fmt.when(p.parked_at)[-5:]}  {p.customer + ' — ' if p.customer else ''}"
                f"{p.label}"
                f"  {fmt.money(p.total_cents)}",
            )
            for p in parked
        ]
        choose(tr._("Tickets en attente"), options, self._recall)

    def _recall(self, parked_id: int) -> None:
        self._do(self.till.recall, parked_id)
        self.parked_count = len(self.till.parked())

    def search(self) -> None:
        SearchDialog(on_chosen=self.add_product).open()

    def pay(self) -> None:
        if self.ticket.is_empty:
            self.app.message(tr._("Le ticket est vide"), error=True)
            return
        if self.has_sellers and not self.ticket.seller:
            # The register attributes every ticket to a seller: ask now, then pay.
            choose(
                tr._("Vendeur de ce ticket"),
                [(name, name) for name in self.till.sellers()],
                self._seller_then_pay,
            )
            return
        self.app.show("payment")

    def _seller_then_pay(self, name: str) -> None:
        if self._do(self.till.set_seller, name):
            self.app.show("payment")
