"""Barcodes: EAN-13, EAN-8, UPC-A, UPC-E check digits and in-store (2x) codes.

`decode(text, nomenclature)` returns what was scanned, or raises `InvalidBarcode` with the
reason (length, digits, check digit). A scanner sends digits only, so an 8-digit code is read
as EAN-8 when its check digit fits (the European case) and as UPC-E otherwise.

EAN-13 codes starting 20 to 29 are "restricted circulation": the shop (its scale, its label
printer) decides what they mean. The `Nomenclature` says it per prefix: a plain in-store code,
a weight in grams, or a price in cents, embedded after the item code. The default layout is
the common French one, 2P IIIII VVVVV C (prefix, 5-digit item, 5-digit value, check digit);
configure it to match the scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.pos.errors import InvalidBarcode


class Symbology(StrEnum):
    EAN13 = "EAN13"
    EAN8 = "EAN8"
    UPCA = "UPCA"
    UPCE = "UPCE"


class Embedded(StrEnum):
    PLAIN = "PLAIN"  # in-store code, no value inside
    WEIGHT = "WEIGHT"  # value in grams
    PRICE = "PRICE"  # value in cents


@dataclass(frozen=True)
class EmbeddedRule:
    prefix: str  # "2", "21", ...: the longest matching prefix wins
    kind: Embedded
    item_length: int = 5  # digits after the prefix identifying the article
    value_length: int = 5  # digits before the check digit holding the value


@dataclass(frozen=True)
class Nomenclature:
    rules: tuple[EmbeddedRule, ...]

    def rule_for(self, code: str) -> EmbeddedRule | None:
        matching = [rule for rule in self.rules if code.startswith(rule.prefix)]
        return max(matching, key=lambda rule: len(rule.prefix), default=None)


DEFAULT_NOMENCLATURE = Nomenclature(
    (
        EmbeddedRule("2", Embedded.PLAIN),
        EmbeddedRule("21", Embedded.PRICE),
        EmbeddedRule("22", Embedded.PRICE),
        EmbeddedRule("23", Embedded.WEIGHT),
        EmbeddedRule("24", Embedded.WEIGHT),
        EmbeddedRule("25", Embedded.WEIGHT),
    )
)


@dataclass(frozen=True)
class Scanned:
    """A decoded code. `lookup` is what the catalogue is searched with.

    For an embedded code, `lookup` is the code with its value zeroed and the check digit
    recomputed (how scales' articles are usually declared), and `item` the prefix + item code.
    """

    symbology: Symbology
    code: str
    lookup: str
    embedded: Embedded | None = None
    item: str = ""
    weight_grams: int | None = None
    price_cents: int | None = None


def check_digit(body: str) -> str:
    """GS1 modulo-10 check digit of `body` (digits without the check digit)."""
    digits = [int(digit) for digit in reversed(body)]
    total = sum(digit * (3 if index % 2 == 0 else 1) for index, digit in enumerate(digits))
    return str((10 - total % 10) % 10)


def upce_to_upca(code: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A."""
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = f"{ns}{d[0]}{d[1]}{last}0000{d[2]}{d[3]}{d[4]}"
    elif last == "3":
        body = f"{ns}{d[0]}{d[1]}{d[2]}00000{d[3]}{d[4]}"
    elif last == "4":
        body = f"{ns}{d[0]}{d[1]}{d[2]}{d[3]}00000{d[4]}"
    else:
        body = f"{ns}{d[0]}{d[1]}{d[2]}{d[3]}{d[4]}0000{last}"
    return body + check


def _valid(code: str) -> bool:
    return check_digit(code[:-1]) == code[-1]


def decode(text: str, nomenclature: Nomenclature = DEFAULT_NOMENCLATURE) -> Scanned:
    code = text.strip()
    if not code.isdigit() or not code.isascii():
        raise InvalidBarcode("barcode_digits", text=repr(text))
    if len(code) == 13:
        if not _valid(code):
            raise _bad_check(code)
        if code[0] == "2":
            return _embedded(code, nomenclature)
        return Scanned(Symbology.EAN13, code, code)
    if len(code) == 12:
        if not _valid(code):
            raise _bad_check(code)
        return Scanned(Symbology.UPCA, code, "0" + code)
    if len(code) == 8:
        if _valid(code):
            return Scanned(Symbology.EAN8, code, code)
        if code[0] in "01" and _valid(upce_to_upca(code)):
            return Scanned(Symbology.UPCE, code, "0" + upce_to_upca(code))
        raise _bad_check(code)
    raise InvalidBarcode("barcode_length", length=len(code), code=code)


def _bad_check(code: str) -> InvalidBarcode:
    return InvalidBarcode(
        "barcode_check_digit", code=code, expected=check_digit(code[:-1]), read=code[-1]
    )


def _embedded(code: str, nomenclature: Nomenclature) -> Scanned:
    rule = nomenclature.rule_for(code)
    if rule is None or rule.kind is Embedded.PLAIN:
        return Scanned(Symbology.EAN13, code, code, Embedded.PLAIN, code[:-1])
    item_end = len(rule.prefix) + rule.item_length
    value_start = 12 - rule.value_length
    if item_end > value_start:
        raise InvalidBarcode("barcode_nomenclature", prefix=rule.prefix)
    value = int(code[value_start:12])
    body = code[:value_start] + "0" * rule.value_length
    lookup = body + check_digit(body)
    item = code[:item_end]
    if rule.kind is Embedded.WEIGHT:
        return Scanned(Symbology.EAN13, code, lookup, Embedded.WEIGHT, item, weight_grams=value)
    return Scanned(Symbology.EAN13, code, lookup, Embedded.PRICE, item, price_cents=value)
