"""Money as integer cents, and its French text form.

Amounts are plain `int` cents everywhere in the till: no float ever holds money. Text from a
keypad, a configuration file or a command line goes through `parse_amount`; text for a
receipt or a screen comes from `format_amount`, so that "12,50 €" is spelt one way only.
"""

from __future__ import annotations

import re

Cents = int

_AMOUNT = re.compile(r"^(?P<sign>[-+]?)(?P<units>\d{1,9})(?:[.,](?P<fraction>\d{1,2}))?$")


class InvalidAmount(ValueError):
    """Text that is not an amount of euros with at most two decimals."""


def parse_amount(text: str) -> Cents:
    """Read "12", "12.5", "12,50" or "-3,20" (optional spaces and euro sign) as cents."""
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    match = _AMOUNT.match(cleaned)
    if match is None:
        raise InvalidAmount(f"montant invalide : {text!r} (attendu par exemple 12,50)")
    fraction = (match["fraction"] or "").ljust(2, "0")
    cents = int(match["units"]) * 100 + int(fraction)
    return -cents if match["sign"] == "-" else cents


def format_amount(cents: Cents, *, symbol: bool = True) -> str:
    """French form: "1 234,50 €" (narrow no-break space between thousands; "-" for negatives)."""
    sign = "-" if cents < 0 else ""
    units, fraction = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    text = f"{sign}{grouped},{fraction:02d}"
    return f"{text} €" if symbol else text
