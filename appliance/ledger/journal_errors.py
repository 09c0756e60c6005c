"""The journal's refusals, one class per reason; each message is a French sentence that the
shop or the technician reads. Their base, `JournalError`, lives in `db` with the ledger's
other errors."""

from __future__ import annotations

from appliance.ledger.db import JournalError


class JournalNotFound(JournalError):
    pass


class JournalExists(JournalError):
    pass


class InvalidRecord(JournalError):
    """A payload refused before anything is written (format, arithmetic, reference)."""


class ClockWentBackwards(JournalError):
    pass


class BackdatedTicket(JournalError):
    pass


class JournalCorrupt(JournalError):
    """The database does not match its head file (records removed) or misses its INIT."""


class RegisterMismatch(JournalError):
    """The configuration names another register than the one whose journal the data
    directory holds: a journal records one register's sales, from its INIT on."""
