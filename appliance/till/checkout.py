"""Paying and recording: tenders, validation (journal first, then paper), reprints, returns.

A validated ticket is committed to the journal with its outbox row before its receipt prints;
a printer failure is reported in the result, never raised. Returns and voids start from an
earlier ticket found in the journal by number or by the code of its receipt.
"""

from __future__ import annotations

from appliance.ledger.catalog import RegisterRecord
from appliance.ledger.records import JournalRecord
from appliance.pos.fiscal import original_from_payload, sale_from_payload
from appliance.pos.receipt import Receipt, TicketKind
from appliance.pos.references import ticket_ref
from appliance.pos.tender import Sale, Tender
from appliance.pos.tender import validate as validate_sale
from appliance.pos.ticket import Ticket
from appliance.pos.timestamps import utc_iso
from appliance.till.core import TillCore
from appliance.till.errors import (
    CustomerError,
    InvalidInput,
    PermissionDenied,
    SellerError,
    TenderError,
    TicketNotFound,
)
from appliance.till.present import method_view, receipt_for, ticket_view
from appliance.till.printing import SKIPPED
from appliance.till.tickets import full_return
from appliance.till.views import PaymentMethodView, ReprintResult, TicketView, ValidatedTicket


class Checkout(TillCore):
    """Tenders, validation, duplicates, returns and voids."""

    def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        with self._use_case():
            return tuple(method_view(m) for m in self._register().payment_methods)

    def pay(self, method: str, cents: int) -> TicketView:
        """Add a tender. Amounts are as the cashier sees them (positive); on a return or void
        ticket the tender is money handed back. Cash may exceed the due amount (change)."""
        with self._use_case():
            if method not in self._labels():
                raise TenderError("unknown_payment_method", method=method)
            if cents <= 0:
                raise TenderError("payment_not_positive")
            sign = -1 if self._ticket.kind is not TicketKind.SALE else 1
            self._tenders.append(Tender(method, sign * cents))
            return self._view()

    def remove_tender(self, index: int) -> TicketView:
        with self._use_case():
            if not 0 <= index < len(self._tenders):
                raise TenderError("no_such_payment", number=index + 1)
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
            printed = self._printing.receipt(receipt) if print_receipt else SKIPPED
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
            printed=printed.done,
            print_error=printed.reason,
        )

    def _checked_parties(self, ticket: Ticket, register: RegisterRecord) -> Ticket:
        if register.sellers:
            if ticket.seller is None:
                raise SellerError("seller_required")
            self._known_seller(ticket.seller.name)
        posted = not ticket.training and self._p.config.kafinea is not None
        if ticket.customer is None and posted and not register.default_account_id:
            raise CustomerError("no_default_account")
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
            printed = self._printing.receipt(receipt)
            return ReprintResult(
                str(record.type_seq), copy.payload["copy_no"], receipt, printed.done, printed.reason
            )

    def _find(self, ticket_ref: str) -> JournalRecord:
        record = self._records.find(ticket_ref, self._training)
        if record is None:
            raise TicketNotFound("ticket_not_in_journal", ref=ticket_ref)
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
            self._require_pin(pin, PermissionDenied("void_needs_pin"))
            record = self._find(ticket_ref)
            if self._p.journal.returned_quantities(record.type_seq):
                raise InvalidInput("already_returned", number=record.type_seq)
            original = original_from_payload(record.payload, record.type_seq, record.hash)
            self._tenders = []
            return self._change(
                Ticket.void_of(original, self._now(), training=self._training, seller=self._seller)
            )
