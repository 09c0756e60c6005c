"""The Till: the one application service the screen and the command line call.

A façade, nothing more: VAT and ticket arithmetic live in `appliance.pos`, SQL in
`appliance.ledger`, the Kafinea protocol in `appliance.kafinea`, ESC/POS in `appliance.devices`.
The use cases are grouped by who calls them: `counter` (building the ticket), `checkout`
(paying, validating, returns), `office` (status, sync, catalogue, journal, devices) and, here,
the cash session; all share the state and helpers of `core.TillCore`.
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

from collections.abc import Mapping

from appliance.pos.session import MovementKind
from appliance.till.checkout import Checkout
from appliance.till.counter import Counter
from appliance.till.errors import InvalidInput
from appliance.till.office import BackOffice
from appliance.till.views import CashMovementView, SessionView, XReport, ZReport


class Till(Counter, Checkout, BackOffice):
    """One register's sale flow, cash session, training mode and sync status."""

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
                raise InvalidInput("parked_tickets_block_closing")
            z = self._cash.close(counted, self._register(), self._labels(), training=self._training)
            self._sync.wake()
        self._notify()
        return z
