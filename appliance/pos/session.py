"""The cash session: opening float, cash in/out, expected vs counted, X and Z figures.

A `CashSession` is an immutable value like a ticket: each operation returns a new session,
which the Till journals (EVENT records) and keeps. X figures can be read at any time and change
nothing; closing takes the counted amount per method and returns the closed session plus the
Z figures (expected, counted, discrepancy per method) that the Till writes as a CLOSURE and
prints as a report.

Training sales are counted apart and move no money: a trainee's "cash" is not in the drawer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from appliance.pos.errors import InvalidCashMovement, SessionClosed
from appliance.pos.money import Cents, format_amount
from appliance.pos.receipt import TicketKind
from appliance.pos.tender import CASH, Sale
from appliance.pos.timestamps import utc_iso

DENOMINATIONS: tuple[Cents, ...] = (
    50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1,
)


class MovementKind(StrEnum):
    IN = "IN"  # apport
    OUT = "OUT"  # retrait / dépense


@dataclass(frozen=True)
class CashMovement:
    kind: MovementKind
    amount: Cents  # positive
    reason: str
    at_utc: str
    operator: str = ""

    @property
    def signed(self) -> Cents:
        return self.amount if self.kind is MovementKind.IN else -self.amount


@dataclass(frozen=True)
class MethodFigures:
    method: str
    expected: Cents
    counted: Cents | None = None  # None in X figures (nothing counted yet)

    @property
    def discrepancy(self) -> Cents:
        return 0 if self.counted is None else self.counted - self.expected


@dataclass(frozen=True)
class SessionFigures:
    """X (read-only, `closing=False`) or Z (`closing=True`) figures of a session."""

    closing: bool
    at_utc: str
    opened_utc: str
    opening_float: Cents
    tickets: int
    sales: int
    returns: int
    voids: int
    training_tickets: int
    sales_ttc: Cents
    returns_ttc: Cents  # negative: money handed back
    cash_in: Cents
    cash_out: Cents  # positive
    rounding: Cents
    methods: tuple[MethodFigures, ...]

    @property
    def net_ttc(self) -> Cents:
        return self.sales_ttc + self.returns_ttc

    @property
    def discrepancy(self) -> Cents:
        return sum(method.discrepancy for method in self.methods)


def float_from_denominations(counts: Mapping[Cents, int]) -> Cents:
    """Total of a count by denomination ({2000: 2, 100: 5} -> 4500 cents)."""
    total = 0
    for denomination, count in counts.items():
        if denomination not in DENOMINATIONS:
            raise InvalidCashMovement(
                "unknown_denomination", denomination=format_amount(denomination)
            )
        if count < 0:
            raise InvalidCashMovement(
                "negative_denomination_count", denomination=format_amount(denomination), count=count
            )
        total += denomination * count
    return total


@dataclass(frozen=True)
class CashSession:
    opened_utc: str
    operator: str
    opening_float: Cents
    float_denominations: tuple[tuple[Cents, int], ...] = ()
    movements: tuple[CashMovement, ...] = ()
    takings: tuple[tuple[str, Cents], ...] = ()  # net per method, in first-seen order
    tickets: int = 0
    sales: int = 0
    returns: int = 0
    voids: int = 0
    training_tickets: int = 0
    sales_ttc: Cents = 0
    returns_ttc: Cents = 0
    rounding: Cents = 0
    closed_utc: str = ""
    counted: tuple[tuple[str, Cents], ...] = ()

    @classmethod
    def open(
        cls,
        at: datetime,
        operator: str,
        *,
        float_total: Cents | None = None,
        denominations: Mapping[Cents, int] | None = None,
    ) -> CashSession:
        """Open with a float given as a total or counted by denomination (not both)."""
        if (float_total is None) == (denominations is None):
            raise InvalidCashMovement("float_total_or_detail")
        if denominations is not None:
            total = float_from_denominations(denominations)
            detail = tuple(sorted(denominations.items(), reverse=True))
        else:
            assert float_total is not None
            if float_total < 0:
                raise InvalidCashMovement("negative_float", amount=format_amount(float_total))
            total, detail = float_total, ()
        return cls(utc_iso(at), operator, total, detail)

    @property
    def is_open(self) -> bool:
        return not self.closed_utc

    def record(self, sale: Sale) -> CashSession:
        """Add a validated sale, return or void to the session's figures."""
        self._require_open()
        if sale.ticket.training:
            return replace(self, training_tickets=self.training_tickets + 1)
        takings = dict(self.takings)
        for method, amount in sale.settlement.net_by_method().items():
            takings[method] = takings.get(method, 0) + amount
        kind = sale.ticket.kind
        total = sale.totals.total_ttc
        return replace(
            self,
            takings=tuple(takings.items()),
            tickets=self.tickets + 1,
            sales=self.sales + (kind is TicketKind.SALE),
            returns=self.returns + (kind is TicketKind.RETURN),
            voids=self.voids + (kind is TicketKind.VOID),
            sales_ttc=self.sales_ttc + (total if total > 0 else 0),
            returns_ttc=self.returns_ttc + (total if total < 0 else 0),
            rounding=self.rounding + sale.settlement.rounding,
        )

    def cash_in(self, amount: Cents, reason: str, at: datetime, operator: str = "") -> CashSession:
        return self._move(MovementKind.IN, amount, reason, at, operator)

    def cash_out(self, amount: Cents, reason: str, at: datetime, operator: str = "") -> CashSession:
        return self._move(MovementKind.OUT, amount, reason, at, operator)

    def expected(self) -> dict[str, Cents]:
        """What should be in hand per method: cash = float + cash takings + in - out."""
        expected = {CASH: self.opening_float + sum(m.signed for m in self.movements)}
        for method, amount in self.takings:
            expected[method] = expected.get(method, 0) + amount
        return expected

    def x_figures(self, at: datetime) -> SessionFigures:
        """Read-only figures; the session is unchanged (an X report)."""
        methods = tuple(MethodFigures(m, amount) for m, amount in self.expected().items())
        return self._figures(False, utc_iso(at), methods)

    def close(
        self, counted: Mapping[str, Cents], at: datetime
    ) -> tuple[CashSession, SessionFigures]:
        """Close with the amount counted per method; methods not counted count as 0."""
        self._require_open()
        for method, amount in counted.items():
            if amount < 0:
                raise InvalidCashMovement(
                    "negative_counted", method=method, amount=format_amount(amount)
                )
        expected = self.expected()
        names = list(expected) + [m for m in counted if m not in expected]
        methods = tuple(
            MethodFigures(m, expected.get(m, 0), counted.get(m, 0)) for m in names
        )
        closed = replace(self, closed_utc=utc_iso(at), counted=tuple(counted.items()))
        return closed, closed._figures(True, closed.closed_utc, methods)

    def _figures(
        self, closing: bool, at_utc: str, methods: tuple[MethodFigures, ...]
    ) -> SessionFigures:
        cash_in = sum(m.amount for m in self.movements if m.kind is MovementKind.IN)
        cash_out = sum(m.amount for m in self.movements if m.kind is MovementKind.OUT)
        return SessionFigures(
            closing, at_utc, self.opened_utc, self.opening_float, self.tickets, self.sales,
            self.returns, self.voids, self.training_tickets, self.sales_ttc, self.returns_ttc,
            cash_in, cash_out, self.rounding, methods,
        )

    def _move(
        self, kind: MovementKind, amount: Cents, reason: str, at: datetime, operator: str
    ) -> CashSession:
        self._require_open()
        if amount <= 0:
            raise InvalidCashMovement("cash_movement_not_positive", amount=format_amount(amount))
        if not reason.strip():
            raise InvalidCashMovement("cash_movement_reason_required")
        if kind is MovementKind.OUT and amount > self.expected()[CASH]:
            raise InvalidCashMovement(
                "cash_out_exceeds_drawer",
                amount=format_amount(amount),
                expected=format_amount(self.expected()[CASH]),
            )
        movement = CashMovement(kind, amount, reason.strip(), utc_iso(at), operator)
        return replace(self, movements=(*self.movements, movement))

    def _require_open(self) -> None:
        if not self.is_open:
            raise SessionClosed("session_closed")
