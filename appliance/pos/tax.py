"""VAT: rates in basis points, per-rate totals, and the one rounding rule.

THE RULE (written once, tested by property tests, checked again by the journal verifier):
VAT is computed per rate on the ticket's total for that rate, rounded half away from zero to
the cent (`money.round_div`), never as a sum of rounded line VATs.

- Prices entered TTC (shops, the default): per rate, TTC = sum of line totals;
  VAT = round(TTC x rate / (10000 + rate)); HT = TTC - VAT.
- Prices entered HT (a register setting): per rate, HT = sum of line totals;
  VAT = round(HT x rate / 10000); TTC = HT + VAT.

Whatever was entered is kept exactly and the other figure is derived from it, so a price
never drifts by a cent between entry and receipt; in both modes HT + VAT = TTC to the cent.
Line-level HT/VAT (the law wants the line total HT) are the per-rate figures spread over the
lines in proportion to their amount (largest remainder), so lines always add up to the rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from appliance.pos.errors import UnknownVatRate
from appliance.pos.money import Cents, round_div

BASIS = 10_000  # 2000 basis points = 20.00 %


class PriceMode(StrEnum):
    TTC = "TTC"  # prices include VAT (shops)
    HT = "HT"  # prices exclude VAT


@dataclass(frozen=True)
class VatRate:
    """A rate of the register's VAT table; `code` is the letter printed beside each line."""

    rate_bp: int
    code: str
    label: str = ""

    @property
    def percent_text(self) -> str:
        """The French form printed on receipts: 20 %, 5,5 %, 2,1 %."""
        units, fraction = divmod(self.rate_bp, 100)
        text = f"{units}" if fraction == 0 else f"{units}," + f"{fraction:02d}".rstrip("0")
        return f"{text} %"


FRENCH_RATES: tuple[VatRate, ...] = (
    VatRate(2000, "A", "normal"),
    VatRate(1000, "B", "intermédiaire"),
    VatRate(550, "C", "réduit"),
    VatRate(210, "D", "particulier"),
    VatRate(0, "E", "exonéré"),
)


@dataclass(frozen=True)
class VatTable:
    """The rates a register accepts (from Kafinea). Anything else is refused by name."""

    rates: tuple[VatRate, ...] = FRENCH_RATES

    def get(self, rate_bp: int) -> VatRate:
        for rate in self.rates:
            if rate.rate_bp == rate_bp:
                return rate
        known = ", ".join(rate.percent_text for rate in self.rates)
        raise UnknownVatRate("unknown_vat_rate", rate=f"{rate_bp / 100:g}", known=known)

    def code(self, rate_bp: int) -> str:
        return self.get(rate_bp).code


DEFAULT_VAT_TABLE = VatTable()


@dataclass(frozen=True)
class VatAmounts:
    """HT, VAT and TTC of one rate (or of a line): always `ht + vat == ttc`."""

    rate_bp: int
    ht: Cents
    vat: Cents
    ttc: Cents


def vat_from_ttc(ttc: Cents, rate_bp: int) -> VatAmounts:
    vat = round_div(ttc * rate_bp, BASIS + rate_bp)
    return VatAmounts(rate_bp, ttc - vat, vat, ttc)


def vat_from_ht(ht: Cents, rate_bp: int) -> VatAmounts:
    vat = round_div(ht * rate_bp, BASIS)
    return VatAmounts(rate_bp, ht, vat, ht + vat)


def rate_amounts(amount: Cents, rate_bp: int, mode: PriceMode) -> VatAmounts:
    """Per-rate figures from the rate's total as entered (TTC or HT, see module docstring)."""
    return vat_from_ttc(amount, rate_bp) if mode is PriceMode.TTC else vat_from_ht(amount, rate_bp)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` proportionally, in integers that add up exactly.

    Largest remainder method on absolute values, ties to the earliest weight, so the result is
    deterministic. Used to spread a per-rate VAT over lines and a ticket discount over lines;
    with `|total| <= sum(|weights|)` no share exceeds its weight, so no line turns negative.
    """
    if not weights:
        if total:
            raise ValueError("nothing to allocate over")
        return []
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    base = sum(abs(weight) for weight in weights)
    if base == 0:
        shares = [0] * len(weights)
        shares[0] = magnitude
        return [sign * share for share in shares]
    shares = [magnitude * abs(weight) // base for weight in weights]
    remainders = [magnitude * abs(weight) % base for weight in weights]
    leftover = magnitude - sum(shares)
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[:leftover]:
        shares[index] += 1
    return [sign * share for share in shares]


def breakdown(
    amounts: Iterable[tuple[int, Cents]], mode: PriceMode
) -> tuple[VatAmounts, ...]:
    """Per-rate figures of (rate_bp, amount) pairs, highest rate first (the receipt order)."""
    per_rate: dict[int, Cents] = {}
    for rate_bp, amount in amounts:
        per_rate[rate_bp] = per_rate.get(rate_bp, 0) + amount
    return tuple(
        rate_amounts(per_rate[rate_bp], rate_bp, mode)
        for rate_bp in sorted(per_rate, reverse=True)
    )
