"""The references every document of a register carries, written once (pure).

A ticket's reference is its idempotency key in Kafinea (written on its invoice, looked up
before any create whose outcome is unknown), the text of its receipt's QR code and barcode,
and what a cashier scans or types to start a return or a reprint; cash movements, closures and
payments derive theirs from it. All start with the register's code, so two registers of one
shop never share a reference.

    register_code("Caisse 1")      -> "Caisse1"
    ticket_ref("Caisse1", 42)      -> "Caisse1-T000042"   (training: "Caisse1-E000042")
    payment_ref(ticket, 0)         -> "Caisse1-T000042/P1"
    movement_ref("Caisse1", 7)     -> "Caisse1-M000007"   (journal seq of the movement)
    closure_ref("Caisse1", 9)      -> "Caisse1-Z000009"   (journal seq of the closing)
"""

from __future__ import annotations

import re

_REF = re.compile(r"^(?:.*-([TE]))?0*(\d+)$")


def register_code(register: str) -> str:
    """Letters and digits of the register name, for references ("Caisse 1" -> "Caisse1")."""
    code = re.sub(r"[^A-Za-z0-9]", "", register)
    return code or "CAISSE"


def ticket_ref(code: str, number: int, training: bool = False) -> str:
    """A ticket's reference; training tickets use E (école) instead of T and are never
    posted, but their receipts carry the reference all the same."""
    return f"{code}-{'E' if training else 'T'}{number:06d}"


def payment_ref(ticket: str, index: int) -> str:
    """The `index`-th (from 0) payment of the ticket whose reference is `ticket`."""
    return f"{ticket}/P{index + 1}"


def movement_ref(code: str, seq: int) -> str:
    return f"{code}-M{seq:06d}"


def closure_ref(code: str, seq: int) -> str:
    return f"{code}-Z{seq:06d}"


def parse_ticket_ref(text: str) -> tuple[int, bool | None]:
    """A typed number ("42") or a scanned reference ("Caisse1-T000042") -> (42, training).

    `training` is None for a bare number (the caller's mode decides). Raises ValueError.
    """
    match = _REF.match(text.strip())
    if match is None:
        raise ValueError(text)
    letter = match.group(1)
    return int(match.group(2)), (None if letter is None else letter == "E")
