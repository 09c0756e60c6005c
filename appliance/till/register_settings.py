"""The register the Till sells with: Kafinea's register record under the local settings.

Pure. Shared by the catalogue refresh (which fetches Kafinea's register record and account)
and the Till (which needs a register even when no Kafinea is configured, for a local demo or
tests): `merge_register` is the one place where local `[register]` and `[shop]` settings win
over Kafinea's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from appliance.config import Config, ShopConfig
from appliance.kafinea.register_pull import split_multi
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


def merge_register(
    values: Mapping[str, str],
    config: Config,
    *,
    record_id: str = "",
    account_name: str = "",
    colours: tuple[str | None, str | None] = (None, None),
    tax_keys: tuple[tuple[int, str], ...] = (),
) -> RegisterRecord:
    """The register the Till sells with: Kafinea's register fields (`values`, by role, empty
    without Kafinea) under the local `[register]` and `[shop]` settings, which win."""
    local = config.register

    def get(role: str) -> str:
        return values.get(role, "")

    labels = local.payment_methods or split_multi(get("payment_methods"))
    return RegisterRecord(
        id=record_id,
        name=get("name") or _wanted_name(config),
        number=get("number"),
        default_account_id=local.default_account or get("default_account"),
        default_account_name=account_name,
        sellers=tuple(Seller(s, s) for s in local.sellers or split_multi(get("sellers"))),
        payment_methods=tuple(payment_method(label) for label in labels)
        or RegisterRecord("", "").payment_methods,
        rounding_cents=local.rounding_cents or ROUNDING.get(get("rounding").casefold(), 1),
        display=local.display or get("display").lower() or "ttc",
        decimals=local.decimals if local.decimals is not None else int(get("decimals") or 2),
        primary_colour=colours[0],
        accent_colour=colours[1],
        receipt_header=tuple(line for line in get("receipt_header").splitlines() if line),
        receipt_footer=tuple(line for line in get("receipt_footer").splitlines() if line),
        printer_address=get("printer_address"),
        shop=_shop(values, config.shop, get("name") or _wanted_name(config)),
        tax_keys=tax_keys,
    )


def _wanted_name(config: Config) -> str:
    return config.kafinea.register if config.kafinea is not None else "Caisse"


def _shop(values: Mapping[str, str], shop: ShopConfig, register_name: str) -> ShopIdentity:
    """The receipt's header: the `[shop]` table, else the register record's shop fields."""

    def get(role: str) -> str:
        return values.get(role, "")

    town = f"{get('shop_code')} {get('shop_city')}".strip()
    return ShopIdentity(
        trade_name=shop.trade_name or get("shop_trade_name") or register_name,
        company_name=shop.company_name or get("shop_company_name"),
        address_lines=shop.address_lines
        or tuple(line for line in (get("shop_street"), town) if line),
        siret=shop.siret or get("shop_siret"),
        vat_number=shop.vat_number or get("shop_vat_number"),
        phone=shop.phone or get("shop_phone"),
    )


def local_register(config: Config) -> RegisterRecord:
    """A register without Kafinea (local demo, tests): everything from the configuration."""
    return merge_register({}, config)
