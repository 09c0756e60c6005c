"""Register settings that do not come from Kafinea: names, codes, and the local fallback.

Shared by the catalogue refresh (which reads Kafinea's register record) and the Till (which
needs a register even when no Kafinea is configured, for a local demo or tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.config import Config
from appliance.ledger.catalog import PaymentMethod, RegisterRecord, Seller
from appliance.pos.receipt import ShopIdentity

METHOD_CODES = {
    "espèces": ("CASH", True),
    "carte bancaire": ("CARD", False),
    "chèque": ("CHEQUE", False),
    "virement": ("TRANSFER", False),
    "avoir": ("CREDIT_NOTE", False),
    "titre-restaurant": ("MEAL_VOUCHER", False),
}
ROUNDING = {"aucun": 1, "0,05": 5, "0.05": 5, "0,10": 10, "0.10": 10}


class RefreshRefused(Exception):
    """Kafinea answered, but the catalogue cannot be read from it (schema, register)."""


class RegisterNotFound(RefreshRefused):
    """The configured register does not exist in Kafinea."""


@dataclass(frozen=True)
class Refreshed:
    products: int
    changed: int
    removed: int
    categories: int
    round_trips: int


def payment_method(label: str) -> PaymentMethod:
    code, is_cash = METHOD_CODES.get(label.casefold(), (label.upper(), False))
    return PaymentMethod(code, label, is_cash)


def local_register(config: Config) -> RegisterRecord:
    """A register without Kafinea (local demo, tests): everything from the configuration."""
    local, shop = config.register, config.shop
    methods = tuple(
        PaymentMethod(
            *METHOD_CODES.get(label.casefold(), (label.upper(), False))[:1],
            label,
            METHOD_CODES.get(label.casefold(), ("", False))[1],
        )
        for label in local.payment_methods or ()
    )
    return RegisterRecord(
        id="",
        name="Caisse",
        default_account_id=local.default_account or "",
        sellers=tuple(Seller(s, s) for s in local.sellers or ()),
        payment_methods=methods or RegisterRecord("", "").payment_methods,
        rounding_cents=local.rounding_cents or 1,
        display=local.display or "ttc",
        decimals=local.decimals if local.decimals is not None else 2,
        shop=ShopIdentity(
            trade_name=shop.trade_name or "Caisse",
            company_name=shop.company_name or "",
            address_lines=shop.address_lines,
            siret=shop.siret or "",
            vat_number=shop.vat_number or "",
            phone=shop.phone or "",
        ),
    )
