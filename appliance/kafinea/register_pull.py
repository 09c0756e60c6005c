"""The register record and its default account, read from Kafinea (the till's side of it).

What the catalogue refresh sells with and what `appliance doctor` checks come from these same
reads, so the doctor cannot find a register that the till would not. Values are returned by
role (the schema map names the fields), as stripped text; merging them with the local
settings is the application's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.schema import SchemaMap
from appliance.kafinea.vtql import cond, select

MULTI_SEPARATOR = "|##|"
COUNTER_STREET = "Vente au comptoir"

REGISTER_ROLES = (
    "name", "number", "default_account", "payment_methods", "sellers", "rounding", "display",
    "decimals", "color_primary", "color_secondary", "receipt_header", "receipt_footer",
    "printer_address", "shop_trade_name", "shop_company_name", "shop_street", "shop_code",
    "shop_city", "shop_siret", "shop_vat_number", "shop_phone",
)  # fmt: skip


@dataclass(frozen=True)
class RemoteRegister:
    """A register record: its Kafinea id, and its fields by role ("" when empty or absent)."""

    id: str
    values: dict[str, str]


def split_multi(value: object) -> tuple[str, ...]:
    """A multi-select value of vtiger ("Espèces |##| Chèque") as its items."""
    text = str(value or "").strip()
    return tuple(part.strip() for part in text.split(MULTI_SEPARATOR) if part.strip())


def fetch_register(client: KafineaClient, schema: SchemaMap, name: str) -> RemoteRegister | None:
    """The register whose name (or number) is `name`; None when Kafinea has none."""

    def field(role: str) -> str:
        return schema.field_or_none("cash_registers", role) or role

    query = select(schema.module("cash_registers")).where(cond(field("name"), "=", name))
    rows = client.query(query.or_where(cond(field("number"), "=", name)).limit(2))
    if not rows:
        return None
    row = rows[0]
    return RemoteRegister(
        str(row["id"]), {role: str(row.get(field(role)) or "").strip() for role in REGISTER_ROLES}
    )


def fetch_account(client: KafineaClient, account_id: str) -> tuple[str, str]:
    """The account's name and street (bill and ship street are mandatory on an invoice: a
    counter sale takes the default account's own, else a fixed text)."""
    if not account_id:
        return "", COUNTER_STREET
    account = client.retrieve(account_id)
    return str(account.get("accountname") or ""), str(account.get("bill_street") or COUNTER_STREET)
