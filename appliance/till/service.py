"""The Till: the one application service the screen and the command line call.

A façade, nothing more (STYLE.md): VAT and ticket arithmetic live in `appliance.pos`, SQL in
`appliance.ledger`, the Kafinea protocol in `appliance.kafinea`, ESC/POS in `appliance.devices`.
Each method takes plain values (strings, integer cents, thousandths), performs one use case
under the Till's lock, and returns a small frozen snapshot from `appliance.till.views`, so the
UI thread, the scanner thread and the sync thread can all call it safely.

Refusals are `TillError` subclasses (`appliance.till.errors`) with a stable `key` and a French
`message`. Listeners registered with `add_listener` are called with a fresh `StatusView` after
every change of session, sync or printer state; they run on the caller's thread, so the UI
schedules its own update (Kivy `Clock.schedule_once`) and returns at once.

Build a Till with `appliance.till.bootstrap.build_till(config)`; the constructor receives its
collaborators already built, so tests can assemble two tills side by side.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from appliance import __version__
from appliance.config import Config
from appliance.devices.drawer import Drawer, PrinterDrawer
from appliance.devices.printer import Printer
from appliance.kafinea.errors import KafineaError
from appliance.kafinea.sync import SyncWorker
from appliance.ledger.accounts import ACCOUNTS_NAME, AccountCache
from appliance.ledger.catalog import Catalog, CatalogProduct, RegisterRecord
from appliance.ledger.export import export_archive
from appliance.ledger.journal import Journal, JournalError, JournalRecord, key_id, utc_now
from appliance.ledger.outbox import Outbox
from appliance.ledger.parked import PARKED_NAME, ParkedStore, ParkedStoreError
from appliance.pos.barcode import decode
from appliance.pos.errors import PosError
from appliance.pos.fiscal import original_from_payload, sale_from_payload
from appliance.pos.receipt import Receipt
from appliance.pos.references import register_code, ticket_ref
from appliance.pos.session import CashSession, MovementKind
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Sale, Tender
from appliance.pos.tender import validate as validate_sale
from appliance.pos.ticket import Party, Ticket
from appliance.pos.timestamps import utc_iso
from appliance.till.cash import CashDesk
from appliance.till.errors import (
    CustomerError,
    DeviceUnavailable,
    ExportError,
    InvalidBarcode,
    InvalidInput,
    LineNotFound,
    NoSession,
    PermissionDenied,
    ProductNotFound,
    ProductWithoutPrice,
    RegisterError,
    SellerError,
    SessionAlreadyOpen,
    TenderError,
    TicketNotFound,
    TillError,
    from_domain,
)
from appliance.till.present import (
    method_view,
    product_view,
    receipt_for,
    session_view,
    ticket_view,
)
from appliance.till.printing import NO_PRINTER, Printing
from appliance.till.records import Recorder
from appliance.till.register_settings import Refreshed, RefreshRefused, local_register
from appliance.till.sync_status import StatusListener, SyncBoard
from appliance.till.tickets import (
    NO_DEFAULT_ACCOUNT,
    add_product_line,
    catalog_price,
    discount_of,
    full_return,
    parked_view,
    set_return_quantity,
)
from appliance.till.views import (
    AboutView,
    AccountView,
    CashMovementView,
    CategoryView,
    DeviceTestResult,
    JournalExport,
    LineView,
    MethodTotal,
    ParkedView,
    PaymentMethodView,
    PaymentView,
    PrinterState,
    ProductView,
    RefreshResult,
    ReprintResult,
    SessionState,
    SessionView,
    StatusView,
    SyncErrorView,
    SyncReport,
    SyncStatus,
    TicketKind,
    TicketView,
    TotalsView,
    ValidatedTicket,
    VatView,
    VerifyResult,
    XReport,
    ZReport,
)

__all__ = [
    "AboutView",
    "AccountView",
    "CashMovementView",
    "CategoryView",
    "CustomerError",
    "DeviceTestResult",
    "DeviceUnavailable",
    "ExportError",
    "InvalidBarcode",
    "InvalidInput",
    "JournalExport",
    "LineNotFound",
    "LineView",
    "MethodTotal",
    "NoSession",
    "ParkedView",
    "PaymentMethodView",
    "PaymentView",
    "PermissionDenied",
    "PrinterState",
    "ProductNotFound",
    "ProductView",
    "ProductWithoutPrice",
    "RefreshResult",
    "RegisterError",
    "ReprintResult",
    "SellerError",
    "SessionAlreadyOpen",
    "SessionState",
    "SessionView",
    "StatusView",
    "SyncErrorView",
    "SyncReport",
    "SyncStatus",
    "TenderError",
    "TicketKind",
    "TicketNotFound",
    "TicketView",
    "Till",
    "TillError",
    "TotalsView",
    "ValidatedTicket",
    "VatView",
    "VerifyResult",
    "XReport",
    "ZReport",
]

ProgressCallback = Callable[[int, int], None]  # (done, total); total 0 when unknown
PRICE_LIMIT_HINT = "code du responsable requis"


@dataclass
class TillParts:
    """The collaborators a Till is handed (built by `appliance.till.bootstrap`)."""

    journal: Journal
    catalog: Catalog
    outbox: Outbox  # on the journal's connection: counts and the errors list
    printer: Printer
    config: Config
    zone: tzinfo
    drawer: Drawer | None = None  # None: kicked through the printer
    sync: SyncWorker | None = None
    refresh: Callable[[ProgressCallback | None], Refreshed] | None = None
    verify: Callable[[], VerifyResult] | None = None
    clock: Callable[[], datetime] = utc_now
    accounts: AccountCache | None = None  # None: the cache file in the data directory
    parked: ParkedStore | None = None  # None: the parked tickets file in the data directory


class Till:
    """One register's sale flow, cash session, training mode and sync status."""

    def __init__(self, parts: TillParts) -> None:
        self._p = parts
        self._accounts = parts.accounts or AccountCache(parts.config.data_dir / ACCOUNTS_NAME)
        self._lock = threading.RLock()
        self._closers: list[Callable[[], None]] = []
        self._local = local_register(parts.config) if parts.config.kafinea is None else None
        self._code = register_code(parts.journal.settings.register)
        self._records = Recorder(parts.journal, self._code, parts.zone)
        drawer = parts.drawer or PrinterDrawer(parts.printer)
        self._printing = Printing(parts.printer, drawer, self._notify)
        self._cash = CashDesk(self._records, self._printing, parts.clock, parts.zone)
        self._sync = SyncBoard(parts.outbox, parts.sync, self._notify)
        self._sync.on_reachability = self._journal_reachability
        self._training = False
        self._seller: Party | None = None
        self._parked = parts.parked or ParkedStore(parts.config.data_dir / PARKED_NAME)
        self._lot = self._parked.load()  # tickets parked before a restart are still there
        self._tenders: list[Tender] = []
        self._ticket = self._new_ticket()

    # -- helpers ----------------------------------------------------------------------------

    @contextmanager
    def _use_case(self) -> Iterator[None]:
        """The lock, and the layers' refusals turned into `TillError` once, here."""
        with self._lock:
            try:
                yield
            except PosError as error:
                raise from_domain(error) from error
            except JournalError as error:
                raise TillError(str(error), key="journal") from error

    def _now(self) -> datetime:
        return self._p.clock()

    def _register(self) -> RegisterRecord:
        record = self._p.catalog.register()
        if record is not None:
            return record
        if self._local is not None:
            return self._local
        raise RegisterError(
            "caisse inconnue : l'enregistrement de caisse n'a jamais été lu depuis Kafinea"
            " (lancez « appliance sync » une fois en ligne)"
        )

    def _mode(self) -> PriceMode:
        return PriceMode.HT if self._register().display == "ht" else PriceMode.TTC

    def _rounding(self) -> CashRounding:
        step = self._register().rounding_cents
        return CashRounding(step) if step in (5, 10) else CashRounding.NONE

    def _labels(self) -> dict[str, str]:
        return {m.code: m.label for m in self._register().payment_methods}

    def _new_ticket(self) -> Ticket:
        try:
            mode = self._mode()
        except RegisterError:
            mode = PriceMode.TTC
        return Ticket.open(
            self._now(), price_mode=mode, training=self._training, seller=self._seller
        )

    def _renew_empty_ticket(self) -> None:
        """An empty ticket takes the register's settings as they are now (HT or TTC display
        read from a refreshed register record); a ticket with lines keeps its own."""
        if self._ticket.is_empty and not self._tenders:
            customer = self._ticket.customer
            fresh = self._new_ticket()
            self._ticket = fresh.with_customer(customer) if customer else fresh

    def _view(self) -> TicketView:
        return ticket_view(
            self._ticket,
            self._tenders,
            self._labels(),
            self._rounding(),
            seller_required=bool(self._register().sellers),
        )

    def _change(self, ticket: Ticket) -> TicketView:
        self._ticket = ticket
        return self._view()

    def _require_session(self) -> CashSession:
        return self._cash.require()

    def _require_pin(self, pin: str | None, action: str) -> None:
        expected = self._p.config.register.manager_pin
        if expected is not None and not (pin and secrets.compare_digest(pin, expected)):
            raise PermissionDenied(f"{action} : {PRICE_LIMIT_HINT}")

    def _notify(self) -> None:
        self._sync.notify(self.status())

    def _product(self, product: CatalogProduct | None, what: str) -> CatalogProduct:
        if product is None:
            raise ProductNotFound(f"article inconnu : {what} (absent du catalogue de la caisse)")
        if catalog_price(product, self._mode()) is None:
            raise ProductWithoutPrice(f"« {product.name} » n'a pas de prix dans Kafinea")
        return product

    def _add(
        self, product: CatalogProduct, qty_milli: int, price: int | None = None, barcode: str = ""
    ) -> TicketView:
        self._require_session()
        unit = price if price is not None else catalog_price(product, self._mode())
        return self._change(add_product_line(self._ticket, product, qty_milli, unit, barcode))

    # -- cash session -----------------------------------------------------------------------

    def open_session(self, opening: int | Mapping[int, int]) -> SessionView:
        """Open the cash session with the opening float (fond de caisse).

        `opening` is either the float in cents or a count of notes and coins
        ({denomination_cents: count}); the float is journaled and posted as a
        "cash on hand" cash transaction. Raises `SessionAlreadyOpen`.
        """
        with self._use_case():
            self._register()
            self._cash.open(opening)
            self._renew_empty_ticket()
            self._sync.wake()
        self._notify()
        return self.status().session

    def cash_in(self, cents: int, reason: str) -> CashMovementView:
        """Money put into the drawer outside a sale (journaled, posted, drawer opens)."""
        return self._move(MovementKind.IN, cents, reason)

    def cash_out(self, cents: int, reason: str) -> CashMovementView:
        """Money taken out of the drawer (withdrawal, bank deposit); `cents` is positive."""
        return self._move(MovementKind.OUT, cents, reason)

    def _move(self, kind: MovementKind, cents: int, reason: str) -> CashMovementView:
        with self._use_case():
            movement = self._cash.move(kind, cents, reason)
            self._sync.wake()
        self._notify()
        return movement

    def x_report(self, *, print_report: bool = False) -> XReport:
        """Mid-session figures, read-only; nothing changes in the session."""
        with self._use_case():
            return self._cash.x_report(
                self._register(), self._labels(), training=self._training, print_report=print_report
            )

    def close_session(self, counted: Mapping[str, int]) -> ZReport:
        """Close with the counted amount per payment method code ({"cash": 31240, ...}).

        Journals the CLOSURE (Z) with expected, counted and difference per method, posts it,
        prints the Z. A parked ticket blocks the closing (`InvalidInput`): recall or discard it.
        """
        with self._use_case():
            if self._lot.parked:
                raise InvalidInput("des tickets sont en attente : rappelez-les ou annulez-les")
            z = self._cash.close(counted, self._register(), self._labels(), training=self._training)
            self._sync.wake()
        self._notify()
        return z

    # -- building the ticket ----------------------------------------------------------------

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
            product = self._product(product, f"code-barres {scanned.code}")
            qty, price = 1000, None
            if scanned.weight_grams is not None:
                qty = scanned.weight_grams
            if scanned.price_cents is not None:
                price = scanned.price_cents
            return self._add(product, qty, price, scanned.code)

    def add_product(self, product_id: str) -> TicketView:
        """A product picked on screen (category grid or search result)."""
        with self._use_case():
            product = self._product(self._p.catalog.by_id(product_id), product_id)
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
            self._require_pin(pin, "changement de prix")
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

    def _journal_reachability(self, reachable: bool) -> None:
        """ERP_ONLINE / ERP_OFFLINE in the technical event log (NF525 JET codes 120 / 70)."""
        with self._lock:
            self._p.journal.event("ERP_ONLINE" if reachable else "ERP_OFFLINE")

    def _abandon(self, ticket: Ticket) -> None:
        """Nothing scanned vanishes silently: an abandoned cart is journaled with its lines."""
        if not ticket.is_empty:
            lines = [[line.product_id, line.qty_milli, line.unit_price] for line in ticket.lines]
            self._p.journal.event("CART_ABANDONED", details={"lines": lines})

    def sellers(self) -> tuple[str, ...]:
        """The register's sellers; empty when the register has none (no choice needed)."""
        with self._use_case():
            return tuple(s.name for s in self._register().sellers)

    def set_seller(self, name: str) -> TicketView:
        """Attribute the ticket to a seller; kept for the next tickets until changed."""
        with self._use_case():
            self._seller = self._known_seller(name)
            return self._change(self._ticket.with_seller(self._seller))

    def _known_seller(self, name: str) -> Party:
        seller = next((s for s in self._register().sellers if s.name == name), None)
        if seller is None:
            raise SellerError(f"vendeur inconnu de cette caisse : {name}")
        return Party(seller.id, seller.name)

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

    def _register_or_none(self) -> RegisterRecord | None:
        try:
            return self._register()
        except RegisterError:
            return None

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
                raise TillError(str(error), key="parked") from error
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
                raise InvalidInput("terminez ou mettez en attente le ticket en cours d'abord")
            entry = next((p for p in self._lot.parked if p.number == parked_id), None)
            gone = [
                line.label
                for line in (entry.ticket.lines if entry else ())
                if self._p.catalog.by_id(line.product_id) is None
            ]
            if gone:
                raise ProductNotFound(
                    "retirés du catalogue entre-temps : "
                    + ", ".join(gone)
                    + " (le ticket reste en attente)"
                )
            lot, ticket = self._lot.recall(parked_id)
            try:
                self._parked.remove(parked_id)
            except ParkedStoreError as error:
                raise TillError(str(error), key="parked") from error
            self._lot = lot
            self._tenders = []
            return self._change(ticket)

    # -- paying and validating --------------------------------------------------------------

    def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        with self._use_case():
            return tuple(method_view(m) for m in self._register().payment_methods)

    def pay(self, method: str, cents: int) -> TicketView:
        """Add a tender. Amounts are as the cashier sees them (positive); on a return or void
        ticket the tender is money handed back. Cash may exceed the due amount (change)."""
        with self._use_case():
            if method not in self._labels():
                raise TenderError(f"moyen de paiement non accepté par cette caisse : {method}")
            if cents <= 0:
                raise TenderError("montant de paiement invalide : il doit être positif")
            sign = -1 if self._ticket.kind is not TicketKind.SALE else 1
            self._tenders.append(Tender(method, sign * cents))
            return self._view()

    def remove_tender(self, index: int) -> TicketView:
        with self._use_case():
            if not 0 <= index < len(self._tenders):
                raise TenderError(f"pas de paiement n° {index + 1} sur ce ticket")
            del self._tenders[index]
            return self._view()

    def validate(self, *, print_receipt: bool = True) -> ValidatedTicket:
        """Record the ticket: one SQLite transaction writes the journal record and the outbox
        row; then the receipt prints and the drawer opens for cash. A printer failure is
        reported in the result, never raised: the sale is recorded.

        Raises `TenderError` when the tenders do not balance, `SellerError` when a seller is
        required, `CustomerError` when the default account is missing.
        """
        with self._use_case():
            self._require_session()
            register = self._register()
            ticket = self._checked_parties(self._ticket, register)
            sale = validate_sale(ticket, self._tenders, self._now(), self._rounding())
            recorded = self._records.ticket(sale)
            self._cash.record(sale)
            receipt = self._receipt(recorded.record, sale)
            error = self._printing.receipt(receipt) if print_receipt else ""
            if any(t.is_cash for t in sale.settlement.tenders) and not sale.ticket.training:
                self._printing.kick()
            self._tenders = []
            self._ticket = self._new_ticket()
            view = ticket_view(
                sale.ticket,
                sale.settlement.tenders,
                self._labels(),
                self._rounding(),
                seller_required=False,
            )
            self._sync.wake()
        self._notify()
        return ValidatedTicket(
            number=str(recorded.record.type_seq),
            kind=sale.ticket.kind,
            ticket=view,
            receipt=receipt,
            issued_at=recorded.record.created_utc,
            total_cents=sale.totals.total_ttc,
            change_cents=sale.settlement.change,
            training=sale.ticket.training,
            printed=print_receipt and self._printing.printed(error),
            print_error=error,
        )

    def _checked_parties(self, ticket: Ticket, register: RegisterRecord) -> Ticket:
        if register.sellers:
            if ticket.seller is None:
                raise SellerError("choisissez le vendeur avant d'encaisser")
            self._known_seller(ticket.seller.name)
        posted = not ticket.training and self._p.config.kafinea is not None
        if ticket.customer is None and posted and not register.default_account_id:
            raise CustomerError(NO_DEFAULT_ACCOUNT)
        return ticket

    def _receipt(self, record: JournalRecord, sale: Sale, copy: int | None = None) -> Receipt:
        return receipt_for(
            record,
            sale,
            self._register(),
            self._labels(),
            self._p.zone,
            code=ticket_ref(self._code, record.type_seq, record.training),
            copy=copy,
            now=utc_iso(self._now()),
        )

    def reprint(self, ticket_ref: str) -> ReprintResult:
        """Print a counted duplicate (DUPLICATA n° k) of a ticket by number or receipt code."""
        with self._use_case():
            record = self._find(ticket_ref)
            copy = self._records.duplicate(record.type_seq, record.training)
            receipt = self._receipt(
                record, sale_from_payload(record.payload), copy.payload["copy_no"]
            )
            error = self._printing.receipt(receipt)
            return ReprintResult(
                str(record.type_seq),
                copy.payload["copy_no"],
                receipt,
                self._printing.printed(error),
                error,
            )

    def _find(self, ticket_ref: str) -> JournalRecord:
        record = self._records.find(ticket_ref, self._training)
        if record is None:
            raise TicketNotFound(f"ticket {ticket_ref} introuvable dans le journal")
        return record

    def start_return(self, ticket_ref: str) -> TicketView:
        """Start a return against an earlier ticket (number, or the code of its receipt's
        QR/barcode): the ticket becomes a RETURN with the original lines, negated; the
        cashier removes or reduces what is not brought back, refunds, validates."""
        with self._use_case():
            self._require_session()
            record = self._find(ticket_ref)
            original = original_from_payload(record.payload, record.type_seq, record.hash)
            taken = self._p.journal.returned_quantities(record.type_seq)
            ticket = full_return(original, self._now(), taken, self._training, self._seller)
            self._tenders = []
            return self._change(ticket)

    def void(self, ticket_ref: str, pin: str | None = None) -> TicketView:
        """Prepare the cancellation of a whole earlier ticket (VOID, all lines negated)."""
        with self._use_case():
            self._require_session()
            self._require_pin(pin, "annulation de ticket")
            record = self._find(ticket_ref)
            if self._p.journal.returned_quantities(record.type_seq):
                raise InvalidInput(
                    f"le ticket n° {record.type_seq} a déjà un retour : faites"
                    " un retour des articles restants"
                )
            original = original_from_payload(record.payload, record.type_seq, record.hash)
            self._tenders = []
            return self._change(
                Ticket.void_of(original, self._now(), training=self._training, seller=self._seller)
            )

    # -- modes and permissions --------------------------------------------------------------

    def check_manager_pin(self, pin: str) -> bool:
        expected = self._p.config.register.manager_pin
        return expected is None or secrets.compare_digest(pin, expected)

    def enter_training(self, pin: str) -> StatusView:
        """Training mode: tickets marked, numbered apart, never posted, out of the totals."""
        return self._set_training(True, pin)

    def leave_training(self, pin: str) -> StatusView:
        return self._set_training(False, pin)

    def _set_training(self, on: bool, pin: str) -> StatusView:
        with self._use_case():
            if on and not self._p.config.register.training_allowed:
                raise PermissionDenied("le mode école est désactivé sur cette caisse")
            self._require_pin(pin, "mode école")
            if not self._ticket.is_empty:
                raise InvalidInput("terminez le ticket en cours avant de changer de mode")
            if self._training != on:
                self._p.journal.event("TRAINING_ON" if on else "TRAINING_OFF")
                self._training = on
                self._ticket = self._new_ticket()
        self._notify()
        return self.status()

    # -- status, catalogue, sync, journal ---------------------------------------------------

    def status(self) -> StatusView:
        with self._lock:
            record = self._p.catalog.register()
            return StatusView(
                session=session_view(self._cash.session),
                sync=self._sync.status(),
                printer=self._printing.state,
                printer_message=self._printing.message,
                register_name=record.name if record else self._p.journal.settings.register,
                training=self._training,
                catalog_updated_at=self._p.catalog.refreshed_at(),
                catalog_products=self._p.catalog.count(),
                primary_colour=record.primary_colour if record else None,
                accent_colour=record.accent_colour if record else None,
            )

    def sync_status(self) -> SyncStatus:
        with self._lock:
            return self._sync.status()

    def add_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener(StatusView)` after every status change; returns the unsubscriber."""
        with self._lock:
            remove = self._sync.listen(listener)

        def locked_remove() -> None:
            with self._lock:
                remove()

        return locked_remove

    def refresh_catalog(self, progress: ProgressCallback | None = None) -> RefreshResult:
        """Pull the catalogue and the register record from Kafinea (blocking: run it on a
        worker thread; the sale goes on from the cache meanwhile)."""
        if self._p.refresh is None:
            raise RegisterError("pas de Kafinea configuré : catalogue local seulement")
        try:
            result = self._p.refresh(progress)  # outside the lock: the sale goes on meanwhile
        except RefreshRefused as error:
            raise RegisterError(str(error)) from error
        except KafineaError as error:
            raise TillError(
                f"catalogue non mis à jour, Kafinea injoignable : {error}", key="kafinea"
            ) from error
        self._p.catalog.set_refreshed_at(utc_iso(self._now()))
        with self._lock:
            self._renew_empty_ticket()
        self._notify()
        return RefreshResult(result.products, result.changed, result.removed, result.categories)

    def sync_now(self) -> SyncStatus:
        """Wake the sync worker now (non-blocking); the result is the status at this instant."""
        self._sync.wake()
        return self.sync_status()

    def sync_once(self) -> SyncReport:
        """Deliver everything pending, blocking (for `appliance sync --once`, not the UI)."""
        if self._sync.worker is None:
            raise RegisterError("pas de Kafinea configuré : rien à synchroniser")
        result = self._sync.worker.run_once(ignore_backoff=True)
        self._notify()
        status = self.sync_status()
        return SyncReport(
            result.delivered,
            status.pending,
            self.sync_errors(),
            result.stopped_on or status.last_error,
        )

    def sync_errors(self) -> tuple[SyncErrorView, ...]:
        """Documents Kafinea refused permanently, with its reason."""
        with self._lock:
            return self._sync.errors()

    def retry_sync_error(self, error_id: int) -> SyncStatus:
        """Put a refused document back in the queue (after the cause was fixed in Kafinea)."""
        with self._lock:
            self._sync.retry(error_id, utc_iso(self._now()))
        self._notify()
        return self.sync_status()

    def journal_verify(self) -> VerifyResult:
        if self._p.verify is None:
            raise TillError("vérification du journal indisponible", key="journal")
        with self._lock:
            return self._p.verify()

    # -- technician: devices, about, export ------------------------------------------------

    def print_test_page(self) -> DeviceTestResult:
        """Print the printer's test page (blocking up to the printer timeout: a worker thread).

        A printer failure is the result's French reason (and the status turns offline), not a
        refusal; only a register without a printer is refused (`DeviceUnavailable`).
        """
        with self._lock:
            if not self._p.printer.present:
                raise DeviceUnavailable(NO_PRINTER, key="no_printer")
            error = self._printing.test_page()
        if error:
            return DeviceTestResult(False, f"Imprimante : {error}")
        return DeviceTestResult(True, "Imprimante : page de test imprimée")

    def test_drawer(self) -> DeviceTestResult:
        """Open the drawer without a sale. The law wants every such opening journaled, so the
        DRAWER_OPEN_NO_SALE event is written first, whether the drawer then opens or not."""
        with self._use_case():
            if not self._printing.drawer.present:
                raise DeviceUnavailable("aucun tiroir-caisse configuré", key="no_drawer")
            self._p.journal.event("DRAWER_OPEN_NO_SALE", label="test du tiroir")
            error = self._printing.kick()
        if error:
            return DeviceTestResult(False, f"Tiroir : {error}")
        return DeviceTestResult(True, "Tiroir : ouvert (ouverture notée au journal)")

    def about(self) -> AboutView:
        """Version, register, the journal key's fingerprint (`key_id`, the function the
        journal and `appliance journal verify` use) and the data directory."""
        with self._lock:
            public_key = load_pem_public_key(self._p.journal.public_key_pem())
            record = self._p.catalog.register()
            return AboutView(
                version=__version__,
                register_name=record.name if record else self._p.journal.settings.register,
                register_code=self._code,
                key_fingerprint=key_id(public_key),  # type: ignore[arg-type]
                data_dir=str(self._p.config.data_dir),
            )

    def export_journal(self, dest_dir: str | Path) -> JournalExport:
        """Write the whole journal as a verifiable ZIP archive into `dest_dir` (a mounted USB
        stick) and journal the ARCHIVE record. Blocking: run it on a worker thread.

        Raises `ExportError` when the folder is missing or cannot be written; nothing is
        journaled then.
        """
        folder = Path(dest_dir)
        if not folder.is_dir():
            raise ExportError(f"dossier d'export introuvable : {folder} (clé USB retirée ?)")
        stamp = self._now().astimezone(self._p.zone).strftime("%Y%m%d-%H%M%S")
        out = folder / f"journal-{self._code}-{stamp}.zip"
        with self._use_case():
            try:
                result = export_archive(self._p.journal, out)
            except OSError as error:
                out.with_name(out.name + ".part").unlink(missing_ok=True)
                raise ExportError(
                    f"export impossible dans {folder} : {error.strerror or error}"
                ) from error
        return JournalExport(str(result.path), result.last_seq, result.sha256)

    def add_closer(self, closer: Callable[[], None]) -> None:
        """Something to release when the Till closes (the sync lock file)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop the sync worker, journal APP_STOP, release files and the printer."""
        self._sync.stop()
        for closer in self._closers:  # the refresh timer and the sync lock first
            closer()
        with self._lock:  # parked tickets stay in their file for the next start
            self._abandon(self._ticket)
            self._p.journal.stop()
            self._printing.close()
            self._p.catalog.close()
            self._accounts.close()
            self._parked.close()
            self._p.journal.close()
