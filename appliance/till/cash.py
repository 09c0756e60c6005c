"""The cash session as the Till runs it: float, cash in/out, X and Z (the cash desk).

The arithmetic is `appliance.pos.session`'s, the records `appliance.till.records`'; this
collaborator keeps the open session, journals each movement before the drawer opens, and
builds the reports the screen and the printer receive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo

from appliance.ledger.catalog import RegisterRecord
from appliance.pos.document import build_session_report, local_text
from appliance.pos.receipt import Report
from appliance.pos.session import CashSession, MovementKind, SessionFigures
from appliance.pos.tender import Sale
from appliance.till.errors import NoSession, SessionAlreadyOpen
from appliance.till.present import method_totals
from appliance.till.printing import Printing
from appliance.till.records import Recorder
from appliance.till.views import CashMovementView, XReport, ZReport


class CashDesk:
    def __init__(
        self, records: Recorder, printing: Printing, clock: Callable[[], datetime], zone: tzinfo
    ) -> None:
        self._records = records
        self._printing = printing
        self._clock = clock
        self._zone = zone
        self.session = records.current_session()  # rebuilt from the journal after a restart

    def require(self) -> CashSession:
        if self.session is None or not self.session.is_open:
            raise NoSession("no_session")
        return self.session

    def open(self, opening: int | Mapping[int, int]) -> None:
        if self.session is not None and self.session.is_open:
            raise SessionAlreadyOpen("session_already_open")
        if isinstance(opening, Mapping):
            session = CashSession.open(self._clock(), "", denominations=opening)
        else:
            session = CashSession.open(self._clock(), "", float_total=opening)
        self._records.open_session(session)
        self.session = session

    def record(self, sale: Sale) -> None:
        self.session = self.require().record(sale)

    def move(self, kind: MovementKind, cents: int, reason: str) -> CashMovementView:
        session = self.require()
        move = session.cash_in if kind is MovementKind.IN else session.cash_out
        updated = move(cents, reason, self._clock())  # refuses before anything is written
        record = self._records.movement(kind, cents, reason.strip())
        self.session = updated
        self._printing.kick()
        signed = cents if kind is MovementKind.IN else -cents
        return CashMovementView(
            "cash_in" if signed > 0 else "cash_out", signed, reason.strip(), record.created_utc
        )

    def x_report(
        self,
        register: RegisterRecord,
        labels: Mapping[str, str],
        *,
        training: bool,
        print_report: bool,
    ) -> XReport:
        figures = self.require().x_figures(self._clock())
        report = self._report(figures, register, labels, training)
        if print_report:
            self._printing.report(report)
        return XReport(
            report,
            figures.tickets,
            figures.sales_ttc,
            figures.returns_ttc,
            method_totals(figures, labels),
        )

    def close(
        self,
        counted: Mapping[str, int],
        register: RegisterRecord,
        labels: Mapping[str, str],
        *,
        training: bool,
    ) -> ZReport:
        closed, figures = self.require().close(counted, self._clock())
        number, event = self._records.close_session(figures, counted)
        fiscal = (f"Z n° {number} - journal {event.seq} {event.hash[:8]}",)
        report = self._report(figures, register, labels, training, fiscal)
        self.session = closed
        printed = self._printing.report(report)
        return ZReport(
            number,
            report,
            figures.tickets,
            figures.sales_ttc,
            figures.returns_ttc,
            method_totals(figures, labels),
            printed.done,
            printed.reason,
        )

    def _report(
        self,
        figures: SessionFigures,
        register: RegisterRecord,
        labels: Mapping[str, str],
        training: bool,
        fiscal: tuple[str, ...] = (),
    ) -> Report:
        return build_session_report(
            figures,
            shop=register.shop,
            register_name=register.name,
            issued_at=local_text(figures.at_utc, self._zone),
            method_labels=labels,
            fiscal_lines=fiscal,
            training=training,
        )
