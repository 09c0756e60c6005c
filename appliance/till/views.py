"""What the Till hands back to the screen and the command line: small frozen values.

The UI never holds a domain object, a SQLite row or a Kafinea record: every Till method returns
one of these snapshots, so a Kivy screen can keep it, compare it with the previous one and
render it on its own thread without locking anything. Amounts are integer cents, quantities
integer thousandths, rates basis points (2000 = 20 %). Labels are already French.

They are re-exported by `appliance.till`; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from appliance.pos.receipt import Receipt, Report, TicketKind


class SessionState(StrEnum):
    CLOSED = "closed"  # no cash session: only open_session, status and sync work
    OPEN = "open"


class PrinterState(StrEnum):
    READY = "ready"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # unreachable, unplugged, busy
    NONE = "none"  # no printer configured (receipts are journaled, not printed)


@dataclass(frozen=True)
class LineView:
    """One line of the ticket being built; `index` is what line-editing methods take."""

    index: int
    product_id: str
    label: str
    quantity_milli: int
    unit_price_cents: int
    total_cents: int  # after the line discount, before the ticket discount
    vat_rate_bp: int
    barcode: str = ""
    discount_cents: int = 0
    discount_label: str = ""
    original_unit_price_cents: int | None = None  # set when the price was overridden


@dataclass(frozen=True)
class VatView:
    rate_bp: int
    base_ht_cents: int
    vat_cents: int
    total_ttc_cents: int


@dataclass(frozen=True)
class TotalsView:
    """Totals of the current ticket; `due_cents` is what is left to pay (0 when settled)."""

    total_ttc_cents: int = 0
    total_ht_cents: int = 0
    vat_cents: int = 0
    ticket_discount_cents: int = 0
    rounding_cents: int = 0  # cash rounding applied to what the customer pays
    paid_cents: int = 0
    due_cents: int = 0
    change_cents: int = 0
    vat: tuple[VatView, ...] = ()


@dataclass(frozen=True)
class PaymentView:
    """One tender on the ticket; `index` is what `Till.remove_tender` takes."""

    index: int
    method: str
    label: str
    amount_cents: int


@dataclass(frozen=True)
class TicketView:
    """The ticket as the screen shows it after every change."""

    lines: tuple[LineView, ...] = ()
    totals: TotalsView = field(default_factory=TotalsView)
    payments: tuple[PaymentView, ...] = ()
    kind: TicketKind = TicketKind.SALE
    seller: str = ""
    customer_id: str = ""  # empty: the register's default account
    customer_name: str = ""
    ticket_discount_label: str = ""
    original_ticket: str = ""  # for a return or a void: the number of the ticket it undoes
    training: bool = False
    can_validate: bool = False  # lines present, tenders balance, seller chosen if required
    prices_ht: bool = False  # the register shows prices before tax: the screen says "Total HT"

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class ValidatedTicket:
    """A ticket committed to the journal (and queued for Kafinea) by `Till.validate`.

    `printed` is False when the printer failed or printing was not asked for: the sale is
    recorded all the same and `Till.reprint(number)` prints a counted duplicate.
    """

    number: str
    kind: TicketKind
    ticket: TicketView
    receipt: Receipt
    issued_at: str  # ISO 8601, local time
    total_cents: int
    change_cents: int
    training: bool = False
    printed: bool = False
    print_error: str = ""  # French sentence, empty when printed or not asked


@dataclass(frozen=True)
class ReprintResult:
    number: str
    duplicate_number: int  # "DUPLICATA n° k": how many duplicates of this ticket exist now
    receipt: Receipt
    printed: bool
    print_error: str = ""


@dataclass(frozen=True)
class ProductView:
    id: str
    name: str
    price_cents: int  # TTC unit price; 0 when the product has no price (cannot be sold)
    vat_rate_bp: int
    category: str
    code: str = ""
    barcode: str = ""
    unit: str = ""


@dataclass(frozen=True)
class CategoryView:
    name: str
    product_count: int
    colour: str = ""  # "#RRGGBB" from the register's colour settings, or empty


@dataclass(frozen=True)
class AccountView:
    """A customer account in the search results of the sale screen."""

    id: str  # Kafinea id, e.g. 11x42
    name: str
    number: str = ""  # account_no, e.g. CPT12
    phone: str = ""
    email: str = ""
    is_default: bool = False  # the register's default account ("Client comptoir")


@dataclass(frozen=True)
class ParkedView:
    id: int
    parked_at: str
    line_count: int
    total_cents: int
    seller: str = ""
    label: str = ""  # first product names, for the recall list
    customer: str = ""  # the chosen account's name; empty for the default account


@dataclass(frozen=True)
class PaymentMethodView:
    code: str  # "cash", "card", "cheque", ... as the register names them
    label: str
    is_cash: bool  # opens the drawer, subject to cash rounding, counted at closing


@dataclass(frozen=True)
class CashMovementView:
    kind: str  # "float", "cash_in", "cash_out"
    amount_cents: int  # signed: positive money in, negative money out
    reason: str
    recorded_at: str


@dataclass(frozen=True)
class SessionView:
    state: SessionState
    opened_at: str = ""
    float_cents: int = 0
    ticket_count: int = 0
    sales_total_cents: int = 0
    expected_cash_cents: int = 0


@dataclass(frozen=True)
class SyncStatus:
    """Health of the delivery to Kafinea, published by the sync worker (Home Assistant's
    coordinator shape): the badge on screen derives everything from this, never from Kafinea.
    """

    pending: int = 0  # journaled documents not yet fully delivered
    failed: int = 0  # permanently rejected, waiting in the errors list for a retry
    last_error: str = ""
    last_success_at: str = ""  # ISO 8601 UTC of the last successful delivery or pull
    reachable: bool | None = None  # None: not tried yet


@dataclass(frozen=True)
class SyncErrorView:
    """A document Kafinea refused; stays listed until `Till.retry_sync_error(id)` succeeds."""

    id: int
    document: str  # "ticket 00042", "mouvement de caisse", "clôture Z 3"
    reason: str  # the server's words
    attempts: int
    failed_at: str


@dataclass(frozen=True)
class StatusView:
    session: SessionView
    sync: SyncStatus
    printer: PrinterState
    printer_message: str = ""
    register_name: str = ""
    training: bool = False
    catalog_updated_at: str = ""
    catalog_products: int = 0
    # The register's "#RRGGBB" colours from Kafinea (None: the default theme's).
    primary_colour: str | None = None
    accent_colour: str | None = None


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    expected_cents: int
    counted_cents: int | None = None  # None in an X report
    difference_cents: int | None = None


@dataclass(frozen=True)
class XReport:
    """Read-only mid-session figures (nothing journaled but the fact that it was printed)."""

    report: Report
    ticket_count: int
    sales_total_cents: int
    returns_total_cents: int
    methods: tuple[MethodTotal, ...]


@dataclass(frozen=True)
class ZReport:
    """The closing of a cash session: a CLOSURE record in the journal, posted to Kafinea."""

    number: int
    report: Report
    ticket_count: int
    sales_total_cents: int
    returns_total_cents: int
    methods: tuple[MethodTotal, ...]
    printed: bool = False
    print_error: str = ""


@dataclass(frozen=True)
class RefreshResult:
    products: int  # products in the cache after the refresh
    changed: int  # added or updated by this refresh
    removed: int  # deleted, deactivated or without category since the last refresh
    categories: int


@dataclass(frozen=True)
class SyncReport:
    """Outcome of one blocking pass of `Till.sync_once` (the `appliance sync --once` path)."""

    delivered: int
    pending: int
    errors: tuple[SyncErrorView, ...] = ()
    last_error: str = ""


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    message: str  # French sentence: "journal intègre (1 234 enregistrements)" or the break


@dataclass(frozen=True)
class DeviceTestResult:
    """Outcome of a printer or drawer test from the manager screen: a device failure is a
    result (the technician reads why), not a refusal."""

    ok: bool
    message: str  # French: "Imprimante : page de test imprimée" or the device's reason


@dataclass(frozen=True)
class AboutView:
    """What support asks for on the phone: version, register, key fingerprint, data folder."""

    version: str
    register_name: str
    register_code: str
    key_fingerprint: str  # the journal key's id, as `appliance journal verify` prints it
    data_dir: str


@dataclass(frozen=True)
class JournalExport:
    """A journal archive written to a removable stick."""

    path: str
    last_seq: int
    sha256: str
