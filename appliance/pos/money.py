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


Milli = int
"""Quantities in thousandths: 1 piece = 1000, 1.250 kg = 1250."""

_QUANTITY = re.compile(r"^(?P<sign>[-+]?)(?P<units>\d{1,6})(?:[.,](?P<fraction>\d{1,3}))?$")


class InvalidQuantityText(ValueError):
    """Text that is not a quantity with at most three decimals."""


def round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero: THE rounding rule of the till.

    Symmetric on purpose: a return (negative amounts) rounds to exactly the opposite of the
    sale it reverses, so a sale followed by its void nets to zero cent.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def extend(unit_cents: Cents, quantity_milli: Milli) -> Cents:
    """Price of `quantity_milli` thousandths at `unit_cents` per unit, rounded to the cent."""
    return round_div(unit_cents * quantity_milli, 1000)


def parse_quantity(text: str) -> Milli:
    """Read "2", "1,250" or "0.5" as thousandths (2000, 1250, 500)."""
    cleaned = text.strip().replace(" ", "")
    match = _QUANTITY.match(cleaned)
    if match is None:
        raise InvalidQuantityText(f"quantité invalide : {text!r} (attendu par exemple 1,250)")
    milli = int(match["units"]) * 1000 + int((match["fraction"] or "").ljust(3, "0"))
    return -milli if match["sign"] == "-" else milli


def format_quantity(milli: Milli) -> str:
    """French form without useless zeros: 2000 -> "2", 1250 -> "1,25", -500 -> "-0,5"."""
    sign = "-" if milli < 0 else ""
    units, fraction = divmod(abs(milli), 1000)
    if fraction == 0:
        return f"{sign}{units}"
    return f"{sign}{units}," + f"{fraction:03d}".rstrip("0")
