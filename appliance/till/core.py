"""What every use case of the Till shares: its collaborators, its lock, the ticket in progress.

`TillCore` holds the state (the ticket being built, its tenders, the seller, training mode)
and the small helpers the use cases compose (the register record, the price mode, the view of
the ticket). The use cases themselves live in `counter`, `checkout` and `office`; `service.Till`
assembles them into the one façade the screen and the command line call.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo

from appliance.config import Config
from appliance.devices.drawer import Drawer
from appliance.devices.printer import Printer
from appliance.kafinea.sync import SyncWorker
from appliance.ledger.accounts import AccountCache
from appliance.ledger.catalog import Catalog, RegisterRecord
from appliance.ledger.db import JournalError
from appliance.ledger.journal import Journal, utc_now
from appliance.ledger.outbox import Outbox
from appliance.ledger.parked import ParkedStore
from appliance.pos.errors import PosError
from appliance.pos.references import register_code
from appliance.pos.session import CashSession
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Tender
from appliance.pos.ticket import Party, Ticket
from appliance.till.cash import CashDesk
from appliance.till.errors import (
    PermissionDenied,
    RegisterError,
    SellerError,
    TillError,
    from_domain,
)
from appliance.till.present import session_view, ticket_view
from appliance.till.printing import Printing
from appliance.till.records import Recorder
from appliance.till.register_settings import Refreshed, local_register
from appliance.till.sync_status import SyncBoard
from appliance.till.views import StatusView, TicketView, VerifyResult

ProgressCallback = Callable[[int, int], None]  # (done, total); total 0 when unknown


@dataclass
class TillParts:
    """The collaborators a Till is handed (built by `appliance.till.bootstrap`)."""

    journal: Journal
    catalog: Catalog
    outbox: Outbox  # on the journal's connection: counts and the errors list
    printer: Printer
    drawer: Drawer  # its own serial line, or kicked through the printer
    accounts: AccountCache  # customer accounts, refreshed with the catalogue
    parked: ParkedStore  # tickets put aside, kept across a restart
    config: Config
    zone: tzinfo
    sync: SyncWorker | None = None  # None: no Kafinea configured
    refresh: Callable[[ProgressCallback | None], Refreshed] | None = None
    verify: Callable[[], VerifyResult] | None = None
    clock: Callable[[], datetime] = utc_now


class TillCore:
    """The Till's state and shared helpers; every public method runs under `_lock`."""

    def __init__(self, parts: TillParts) -> None:
        self._p = parts
        self._accounts = parts.accounts
        self._lock = threading.RLock()
        self._closers: list[Callable[[], None]] = []
        self._local = local_register(parts.config) if parts.config.kafinea is None else None
        self._code = register_code(parts.journal.settings.register)
        self._records = Recorder(parts.journal, self._code, parts.zone)
        self._printing = Printing(parts.printer, parts.drawer, self._notify)
        self._cash = CashDesk(self._records, self._printing, parts.clock, parts.zone)
        self._sync = SyncBoard(parts.outbox, parts.sync, self._notify)
        self._sync.on_reachability = self._journal_reachability
        self._training = False
        self._seller: Party | None = None
        self._parked = parts.parked
        self._lot = self._parked.load()  # tickets parked before a restart are still there
        self._tenders: list[Tender] = []
        self._ticket = self._new_ticket()

    @contextmanager
    def _use_case(self) -> Iterator[None]:
        """The lock, and the layers' refusals turned into `TillError` once, here."""
        with self._lock:
            try:
                yield
            except PosError as error:
                raise from_domain(error) from error
            except JournalError as error:
                raise TillError("journal", reason=str(error)) from error

    def _now(self) -> datetime:
        return self._p.clock()

    def _register(self) -> RegisterRecord:
        record = self._p.catalog.register()
        if record is not None:
            return record
        if self._local is not None:
            return self._local
        raise RegisterError("register_unknown")

    def _register_or_none(self) -> RegisterRecord | None:
        try:
            return self._register()
        except RegisterError:
            return None

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

    def _require_pin(self, pin: str | None, refusal: PermissionDenied) -> None:
        expected = self._p.config.register.manager_pin
        if expected is not None and not (pin and secrets.compare_digest(pin, expected)):
            raise refusal

    def _notify(self) -> None:
        self._sync.notify(self.status())

    def _journal_reachability(self, reachable: bool) -> None:
        """ERP_ONLINE / ERP_OFFLINE in the technical event log (NF525 JET codes 120 / 70)."""
        with self._lock:
            self._p.journal.event("ERP_ONLINE" if reachable else "ERP_OFFLINE")

    def _abandon(self, ticket: Ticket) -> None:
        """Nothing scanned vanishes silently: an abandoned cart is journaled with its lines."""
        if not ticket.is_empty:
            lines = [[line.product_id, line.qty_milli, line.unit_price] for line in ticket.lines]
            self._p.journal.event("CART_ABANDONED", details={"lines": lines})

    def _known_seller(self, name: str) -> Party:
        seller = next((s for s in self._register().sellers if s.name == name), None)
        if seller is None:
            raise SellerError("unknown_seller", name=name)
        return Party(seller.id, seller.name)

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
