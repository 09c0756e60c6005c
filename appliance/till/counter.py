"""The ticket at the counter, from the first scan to the cashier pressing "Payer".

Scans and picks, quantities, prices, discounts, the seller and the customer, parked tickets:
each use case changes the ticket in progress (an immutable `pos.Ticket`) and returns its view.
"""

from __future__ import annotations

from appliance.ledger.catalog import CatalogProduct
from appliance.ledger.parked import ParkedStoreError
from appliance.pos.barcode import decode
from appliance.pos.receipt import TicketKind
from appliance.pos.ticket import Party
from appliance.till.core import TillCore
from appliance.till.errors import (
    InvalidInput,
    PermissionDenied,
    ProductNotFound,
    ProductWithoutPrice,
    TillError,
)
from appliance.till.present import product_view
from appliance.till.tickets import (
    add_product_line,
    catalog_price,
    discount_of,
    parked_view,
    set_return_quantity,
)
from appliance.till.views import AccountView, CategoryView, ParkedView, ProductView, TicketView


class Counter(TillCore):
    """Building the ticket: products, lines, discounts, seller, customer, parking."""

    def ticket(self) -> TicketView:
        """The current ticket (empty when nothing was scanned yet)."""
        with self._use_case():
            return self._view()

    def scan(self, code: str) -> TicketView:
        """A scanned or typed barcode: check digit, weight/price codes, catalogue lookup.

        Raises `InvalidBarcode` (wrong check digit), `ProductNotFound`, `ProductWithoutPrice`;
        nothing is added then. Scanning the same product again adds one to its line.
        """
        with self._use_case():
            scanned = decode(code)
            product = self._p.catalog.by_barcode(scanned.lookup) or (
                self._p.catalog.by_barcode(scanned.code)
            )
            product = self._product(product, ProductNotFound("unknown_barcode", code=scanned.code))
            qty, price = 1000, None
            if scanned.weight_grams is not None:
                qty = scanned.weight_grams
            if scanned.price_cents is not None:
                price = scanned.price_cents
            return self._add(product, qty, price, scanned.code)

    def add_product(self, product_id: str) -> TicketView:
        """A product picked on screen (category grid or search result)."""
        with self._use_case():
            unknown = ProductNotFound("unknown_product", product_id=product_id)
            product = self._product(self._p.catalog.by_id(product_id), unknown)
            return self._add(product, 1000)

    def search(self, text: str, limit: int = 50) -> tuple[ProductView, ...]:
        """Products whose name, code or barcode matches `text` (search as you type)."""
        with self._use_case():
            mode = self._mode()
            return tuple(product_view(p, mode) for p in self._p.catalog.search(text, limit))

    def categories(self) -> tuple[CategoryView, ...]:
        with self._use_case():
            return tuple(CategoryView(c.name, c.products) for c in self._p.catalog.categories())

    def products_in(self, category: str) -> tuple[ProductView, ...]:
        with self._use_case():
            mode = self._mode()
            return tuple(product_view(p, mode) for p in self._p.catalog.in_category(category))

    def set_quantity(self, line: int, qty_milli: int) -> TicketView:
        """Quantity in thousandths (1000 = 1 unit, 250 = 250 g of a per-kilo product)."""
        with self._use_case():
            if self._ticket.kind is TicketKind.RETURN:
                return self._change(set_return_quantity(self._ticket, line, qty_milli, self._now()))
            return self._change(self._ticket.set_quantity(line, qty_milli))

    def override_price(self, line: int, cents: int, pin: str | None = None) -> TicketView:
        """New TTC unit price for a line; needs the manager PIN when the register says so."""
        with self._use_case():
            self._require_pin(pin, PermissionDenied("price_change_needs_pin"))
            return self._change(self._ticket.override_price(line, cents))

    def discount_line(
        self, line: int, *, percent_bp: int | None = None, cents: int | None = None
    ) -> TicketView:
        """A discount on one line: exactly one of a percentage (bp) or an amount (cents)."""
        with self._use_case():
            return self._change(self._ticket.discount_line(line, discount_of(percent_bp, cents)))

    def discount_ticket(
        self, *, percent_bp: int | None = None, cents: int | None = None
    ) -> TicketView:
        """A discount on the whole ticket: exactly one of a percentage (bp) or an amount."""
        with self._use_case():
            return self._change(self._ticket.set_ticket_discount(discount_of(percent_bp, cents)))

    def remove_line(self, line: int) -> TicketView:
        with self._use_case():
            return self._change(self._ticket.remove_line(line, self._now()))

    def clear_ticket(self) -> TicketView:
        """Abandon the current ticket before validation (nothing is journaled as a sale)."""
        with self._use_case():
            self._abandon(self._ticket)
            self._tenders = []
            return self._change(self._new_ticket())

    def sellers(self) -> tuple[str, ...]:
        """The register's sellers; empty when the register has none (no choice needed)."""
        with self._use_case():
            return tuple(s.name for s in self._register().sellers)

    def set_seller(self, name: str) -> TicketView:
        """Attribute the ticket to a seller; kept for the next tickets until changed."""
        with self._use_case():
            self._seller = self._known_seller(name)
            return self._change(self._ticket.with_seller(self._seller))

    def search_accounts(self, text: str, limit: int = 30) -> tuple[AccountView, ...]:
        """Customer accounts whose name, number, phone or e-mail contains `text`, from the
        local copy refreshed with the catalogue (works offline; a few ms: the screen still
        calls it off its thread). Not under the Till's lock: the cache has its own."""
        default = self._register_or_none()
        default_id = default.default_account_id if default else ""
        return tuple(
            AccountView(a.id, a.name, a.number, a.phone, a.email, a.id == default_id)
            for a in self._accounts.search(text, limit)
        )

    def set_customer(self, account_id: str | None) -> TicketView:
        """Charge the ticket to a customer account (Kafinea id); None or the register's
        default account: the counter sale. The name comes from the account cache (it shows
        on the ticket and the receipt); an id the cache does not know yet is kept as typed,
        and Kafinea says at sync whether it exists."""
        with self._use_case():
            default = self._register_or_none()
            if not account_id or (default and account_id == default.default_account_id):
                return self._change(self._ticket.with_customer(None))
            known = self._accounts.by_id(account_id)
            customer = Party(account_id, known.name if known else account_id)
            return self._change(self._ticket.with_customer(customer))

    def park(self) -> ParkedView:
        """Put the current ticket aside and start an empty one. The parked ticket is written
        to the data directory first (not the journal: it is no sale), so a restart keeps it."""
        with self._use_case():
            lot, number = self._lot.park(self._ticket, self._now())
            try:
                self._parked.save(lot.parked[-1])
            except ParkedStoreError as error:
                raise TillError("parked", reason=str(error)) from error
            self._lot = lot
            self._tenders = []
            self._ticket = self._new_ticket()
            return parked_view(next(p for p in self._lot.parked if p.number == number))

    def parked(self) -> tuple[ParkedView, ...]:
        with self._use_case():
            return tuple(parked_view(p) for p in self._lot.parked)

    def recall(self, parked_id: int) -> TicketView:
        """Bring a parked ticket back; lines whose product left the catalogue are refused
        with `ProductNotFound` naming them, and the ticket stays parked."""
        with self._use_case():
            if not self._ticket.is_empty:
                raise InvalidInput("ticket_in_progress")
            entry = next((p for p in self._lot.parked if p.number == parked_id), None)
            gone = [
                line.label
                for line in (entry.ticket.lines if entry else ())
                if self._p.catalog.by_id(line.product_id) is None
            ]
            if gone:
                raise ProductNotFound("parked_products_removed", names=", ".join(gone))
            lot, ticket = self._lot.recall(parked_id)
            try:
                self._parked.remove(parked_id)
            except ParkedStoreError as error:
                raise TillError("parked", reason=str(error)) from error
            self._lot = lot
            self._tenders = []
            return self._change(ticket)

    def _product(self, product: CatalogProduct | None, unknown: ProductNotFound) -> CatalogProduct:
        if product is None:
            raise unknown
        if catalog_price(product, self._mode()) is None:
            raise ProductWithoutPrice("product_without_price", name=product.name)
        return product

    def _add(
        self, product: CatalogProduct, qty_milli: int, price: int | None = None, barcode: str = ""
    ) -> TicketView:
        self._require_session()
        unit = price if price is not None else catalog_price(product, self._mode())
        return self._change(add_product_line(self._ticket, product, qty_milli, unit, barcode))
