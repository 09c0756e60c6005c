"""The Till: the one application service the screen and the command line call.

A façade, nothing more (STYLE.md): VAT and ticket arithmetic live in `appliance.pos`, SQL in
`appliance.ledger`, the Kafinea protocol in `appliance.kafinea`, ESC/POS in `appliance.devices`.
Each method takes plain values (strings, integer cents, thousandths), performs one use case
under the Till's lock, and returns a small frozen snapshot from `appliance.till_views`, so the
UI thread, the scanner thread and the sync thread can all call it safely.

Refusals are `TillError` subclasses (`appliance.till_errors`) with a stable `key` and a French
`message`. Listeners registered with `add_listener` are called with a fresh `StatusView` after
every change of session, sync or printer state; they run on the caller's thread, so the UI
schedules its own update (Kivy `Clock.schedule_once`) and returns at once.

Build a Till with `appliance.bootstrap.build_till(config)`; the constructor receives its
collaborators already built, so tests can assemble two tills side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from appliance.till_errors import (
    CustomerError,
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
)
from appliance.till_views import (
    CashMovementView,
    CategoryView,
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
    "CashMovementView",
    "CategoryView",
    "CustomerError",
    "InvalidBarcode",
    "InvalidInput",
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

StatusListener = Callable[[StatusView], None]
ProgressCallback = Callable[[int, int], None]  # (done, total); total 0 when unknown


class Till:
    """One register's sale flow, cash session, training mode and sync status."""

    # -- cash session -----------------------------------------------------------------------

    def open_session(self, opening: int | Mapping[int, int]) -> SessionView:
        """Open the cash session with the opening float (fond de caisse).

        `opening` is either the float in cents or a count of notes and coins
        ({denomination_cents: count}); the float is journaled and posted as a
        "cash on hand" cash transaction. Raises `SessionAlreadyOpen`.
        """
        raise NotImplementedError

    def cash_in(self, cents: int, reason: str) -> CashMovementView:
        """Money put into the drawer outside a sale (journaled, posted, drawer opens)."""
        raise NotImplementedError

    def cash_out(self, cents: int, reason: str) -> CashMovementView:
        """Money taken out of the drawer (withdrawal, bank deposit); `cents` is positive."""
        raise NotImplementedError

    def x_report(self, *, print_report: bool = False) -> XReport:
        """Mid-session figures, read-only; nothing changes in the session."""
        raise NotImplementedError

    def close_session(self, counted: Mapping[str, int]) -> ZReport:
        """Close with the counted amount per payment method code ({"cash": 31240, ...}).

        Journals the CLOSURE (Z) with expected, counted and difference per method, posts it,
        prints the Z. A parked ticket blocks the closing (`InvalidInput`): recall or discard it.
        """
        raise NotImplementedError

    # -- building the ticket ----------------------------------------------------------------

    def ticket(self) -> TicketView:
        """The current ticket (empty when nothing was scanned yet)."""
        raise NotImplementedError

    def scan(self, code: str) -> TicketView:
        """A scanned or typed barcode: check digit, weight/price codes, catalogue lookup.

        Raises `InvalidBarcode` (wrong check digit), `ProductNotFound`, `ProductWithoutPrice`;
        nothing is added then. Scanning the same product again adds one to its line.
        """
        raise NotImplementedError

    def add_product(self, product_id: str) -> TicketView:
        """A product picked on screen (category grid or search result)."""
        raise NotImplementedError

    def search(self, text: str, limit: int = 50) -> tuple[ProductView, ...]:
        """Products whose name, code or barcode matches `text` (search as you type)."""
        raise NotImplementedError

    def categories(self) -> tuple[CategoryView, ...]:
        raise NotImplementedError

    def products_in(self, category: str) -> tuple[ProductView, ...]:
        raise NotImplementedError

    def set_quantity(self, line: int, qty_milli: int) -> TicketView:
        """Quantity in thousandths (1000 = 1 unit, 250 = 250 g of a per-kilo product)."""
        raise NotImplementedError

    def override_price(self, line: int, cents: int, pin: str | None = None) -> TicketView:
        """New TTC unit price for a line; needs the manager PIN when the register says so."""
        raise NotImplementedError

    def discount_line(
        self, line: int, *, percent_bp: int | None = None, cents: int | None = None
    ) -> TicketView:
        """A discount on one line: exactly one of a percentage (bp) or an amount (cents)."""
        raise NotImplementedError

    def discount_ticket(
        self, *, percent_bp: int | None = None, cents: int | None = None
    ) -> TicketView:
        """A discount on the whole ticket: exactly one of a percentage (bp) or an amount."""
        raise NotImplementedError

    def remove_line(self, line: int) -> TicketView:
        raise NotImplementedError

    def clear_ticket(self) -> TicketView:
        """Abandon the current ticket before validation (nothing is journaled as a sale)."""
        raise NotImplementedError

    def sellers(self) -> tuple[str, ...]:
        """The register's sellers; empty when the register has none (no choice needed)."""
        raise NotImplementedError

    def set_seller(self, name: str) -> TicketView:
        """Attribute the ticket to a seller; kept for the next tickets until changed."""
        raise NotImplementedError

    def set_customer(self, account_id: str | None) -> TicketView:
        """Charge the ticket to a customer account (Kafinea id); None: the default account."""
        raise NotImplementedError

    def park(self) -> ParkedView:
        """Put the current ticket aside (kept on disk) and start an empty one."""
        raise NotImplementedError

    def parked(self) -> tuple[ParkedView, ...]:
        raise NotImplementedError

    def recall(self, parked_id: int) -> TicketView:
        """Bring a parked ticket back; lines whose product left the catalogue are refused
        with `ProductNotFound` naming them, and the ticket stays parked."""
        raise NotImplementedError

    # -- paying and validating --------------------------------------------------------------

    def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        raise NotImplementedError

    def pay(self, method: str, cents: int) -> TicketView:
        """Add a tender. Amounts are as the cashier sees them (positive); on a return or void
        ticket the tender is money handed back. Cash may exceed the due amount (change)."""
        raise NotImplementedError

    def remove_tender(self, index: int) -> TicketView:
        raise NotImplementedError

    def validate(self, *, print_receipt: bool = True) -> ValidatedTicket:
        """Record the ticket: one SQLite transaction writes the journal record and the outbox
        row; then the receipt prints and the drawer opens for cash. A printer failure is
        reported in the result, never raised: the sale is recorded.

        Raises `TenderError` when the tenders do not balance, `SellerError` when a seller is
        required, `CustomerError` when the default account is missing.
        """
        raise NotImplementedError

    def reprint(self, ticket_ref: str) -> ReprintResult:
        """Print a counted duplicate (DUPLICATA n° k) of a ticket by number or receipt code."""
        raise NotImplementedError

    def start_return(self, ticket_ref: str) -> TicketView:
        """Start a return against an earlier ticket (number, or the code of its receipt's
        QR/barcode): the ticket becomes a RETURN with the original lines, negated; the
        cashier removes or reduces what is not brought back, refunds, validates."""
        raise NotImplementedError

    def void(self, ticket_ref: str) -> TicketView:
        """Prepare the cancellation of a whole earlier ticket (VOID, all lines negated)."""
        raise NotImplementedError

    # -- modes and permissions --------------------------------------------------------------

    def check_manager_pin(self, pin: str) -> bool:
        raise NotImplementedError

    def enter_training(self, pin: str) -> StatusView:
        """Training mode: tickets marked, numbered apart, never posted, out of the totals."""
        raise NotImplementedError

    def leave_training(self, pin: str) -> StatusView:
        raise NotImplementedError

    # -- status, catalogue, sync, journal ---------------------------------------------------

    def status(self) -> StatusView:
        raise NotImplementedError

    def sync_status(self) -> SyncStatus:
        raise NotImplementedError

    def add_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener(StatusView)` after every status change; returns the unsubscriber."""
        raise NotImplementedError

    def refresh_catalog(self, progress: ProgressCallback | None = None) -> RefreshResult:
        """Pull the catalogue and the register record from Kafinea (blocking: run it on a
        worker thread; the sale goes on from the cache meanwhile)."""
        raise NotImplementedError

    def sync_now(self) -> SyncStatus:
        """Wake the sync worker now (non-blocking); the result is the status at this instant."""
        raise NotImplementedError

    def sync_once(self) -> SyncReport:
        """Deliver everything pending, blocking (for `appliance sync --once`, not the UI)."""
        raise NotImplementedError

    def sync_errors(self) -> tuple[SyncErrorView, ...]:
        """Documents Kafinea refused permanently, with its reason."""
        raise NotImplementedError

    def retry_sync_error(self, error_id: int) -> SyncStatus:
        """Put a refused document back in the queue (after the cause was fixed in Kafinea)."""
        raise NotImplementedError

    def journal_verify(self) -> VerifyResult:
        raise NotImplementedError

    def close(self) -> None:
        """Stop the sync worker and release the database and the printer."""
        raise NotImplementedError
