"""Amounts and quantities as the screen writes them ("1 234,50 €", "0,25"), and back.

The UI may import only the Till (an import contract checks it), so the screen's spelling lives
here; it follows `appliance.pos.money.format_amount` exactly (tests compare the two) and parses
keypad text into integer cents or thousandths, never through float.
"""

from __future__ import annotations

from datetime import datetime


def money(cents: int) -> str:
    """French form with a narrow no-break space between thousands: "1 234,50 €"."""
    sign = "-" if cents < 0 else ""
    units, fraction = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{fraction:02d} €"


def quantity(milli: int) -> str:
    """1000 -> "1", 1500 -> "1,5", 250 -> "0,25"."""
    sign = "-" if milli < 0 else ""
    units, fraction = divmod(abs(milli), 1000)
    if not fraction:
        return f"{sign}{units}"
    return f"{sign}{units}," + f"{fraction:03d}".rstrip("0")


def _scaled(text: str, decimals: int) -> int:
    """Keypad text ("12", "12,5", ",5") as an integer scaled by 10**decimals; ValueError."""
    cleaned = text.strip().replace(".", ",")
    if not cleaned or cleaned.count(",") > 1:
        raise ValueError(text)
    units, _, fraction = cleaned.partition(",")
    if not (units or fraction) or not (units + fraction).isdigit() or len(fraction) > decimals:
        raise ValueError(text)
    scale: int = 10**decimals
    return int(units or "0") * scale + int(fraction.ljust(decimals, "0") or "0")


def cents_from_keypad(text: str) -> int:
    """ "12,5" -> 1250 cents."""
    return _scaled(text, 2)


def milli_from_keypad(text: str) -> int:
    """ "1,5" -> 1500 thousandths."""
    return _scaled(text, 3)


def basis_points_from_keypad(text: str) -> int:
    """ "12,5" (percent) -> 1250 basis points."""
    return _scaled(text, 2)


def when(iso: str) -> str:
    """An ISO 8601 instant ("2026-11-28T22:04:13Z") in local time: "28/11/2026 23:04"."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")
