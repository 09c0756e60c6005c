"""Schema discovery against the sandbox: defaults, labels, overrides and absent modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.kafinea.schema import ROLES, SchemaError, default_schema, discover


def test_discovery_on_the_full_sandbox(client: KafineaClient) -> None:
    schema = discover(client)
    assert schema.problems() == []
    assert schema.module("cash_registers") == "CashRegisters"
    assert schema.modules["cash_registers"].label == "Caisses enregistreuses"
    assert schema.modules["cash_registers"].id_prefix == "52"
    # the barcode is a custom field found by its label, not the part number
    barcode = schema.modules["products"].fields["barcode"]
    assert (barcode.name, barcode.source) == ("cf_853", "label")
    assert schema.field("invoices", "seller") == "cf_seller"
    assert all(schema.has(role) for role in ROLES)
    assert client.round_trips == 2 + 1 + len(ROLES)  # login, listtypes, one describe each


def test_plain_vtiger_falls_back(tmp_path: Path) -> None:
    hidden = {"Payments", "CreditNotes", "CashRegisters", "CashTransactions"}
    with (
        running_sandbox(tmp_path, hidden_modules=hidden) as sandbox,
        KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client,
    ):
        schema = discover(client)
    assert schema.problems() == []  # the till can still sell
    for role in ("payments", "credit_notes", "cash_registers", "cash_transactions"):
        entry = schema.modules[role]
        assert not entry.found and entry.module is None and entry.fallback
        assert schema.to_json()[role]["module"] is None
    assert "[register]" in schema.modules["cash_registers"].fallback
    with pytest.raises(SchemaError):
        schema.module("payments")


class RenamedServer:
    """A Kafinea whose modules carry other names, found by their labels only."""

    def __init__(self, client: KafineaClient) -> None:
        self.client = client
        self.names = {"CashRegisters": "PosRegisters", "Payments": "ReglementsClients"}

    def listtypes(self) -> dict[str, Any]:
        listing = self.client.listtypes()
        renamed = {v: k for k, v in self.names.items()}
        types = [self.names.get(t, t) for t in listing["types"]]
        info = {self.names.get(k, k): v for k, v in listing["information"].items()}
        info["ReglementsClients"] = {**info["ReglementsClients"], "label": "Règlements"}
        self.renamed = renamed
        return {"types": types, "information": info}

    def describe(self, module: str) -> dict[str, Any]:
        described = self.client.describe(self.renamed.get(module, module))
        if module == "Products":  # an instance whose barcode field is labelled "EAN"
            fields = [f for f in described["fields"] if f["name"] != "cf_853"]
            fields.append({"name": "cf_1201", "label": "EAN", "type": {"name": "string"}})
            return {**described, "fields": fields}
        return described


def test_discovery_by_label(client: KafineaClient) -> None:
    schema = discover(RenamedServer(client))
    assert schema.module("cash_registers") == "PosRegisters"
    assert schema.modules["cash_registers"].source == "label"
    assert schema.module("payments") == "ReglementsClients"
    assert schema.field("products", "barcode") == "cf_1201"


def test_barcode_falls_back_to_the_product_code(client: KafineaClient) -> None:
    class NoBarcode(RenamedServer):
        def describe(self, module: str) -> dict[str, Any]:
            described = self.client.describe(self.renamed.get(module, module))
            if module == "Products":
                fields = [f for f in described["fields"] if f["name"] != "cf_853"]
                return {**described, "fields": fields}
            return described

    schema = discover(NoBarcode(client))
    barcode = schema.modules["products"].fields["barcode"]
    assert (barcode.name, barcode.source) == ("productcode", "fallback")


def test_overrides_win_and_are_checked(client: KafineaClient) -> None:
    schema = discover(
        client,
        modules={"payments": "CashTransactions"},
        fields={"products": {"barcode": "productcode"}},
    )
    assert schema.module("payments") == "CashTransactions"
    assert schema.modules["payments"].source == "override"
    assert schema.field("products", "barcode") == "productcode"
    missing = discover(client, modules={"cash_registers": "Caisses"})
    assert not missing.has("cash_registers")
    assert missing.modules["cash_registers"].module == "Caisses"
    with pytest.raises(SchemaError, match=r"^\[kafinea\.modules\] paiements : rôle inconnu"):
        discover(client, modules={"paiements": "Payments"})
    with pytest.raises(SchemaError, match=r"\] ean : rôle de champ inconnu \(connus : name, "):
        discover(client, fields={"products": {"ean": "cf_1"}})


def test_missing_required_field_is_a_problem(client: KafineaClient) -> None:
    schema = discover(client, fields={"products": {"unit_price": "cf_price"}})
    assert schema.problems() == ["champ products.unit_price introuvable dans Products"]


def test_default_schema_without_server() -> None:
    schema = default_schema(fields={"products": {"barcode": "cf_9"}})
    assert schema.field("products", "barcode") == "cf_9"
    assert default_schema().field("products", "barcode") == "productcode"
    assert schema.module("invoices") == "Invoice"
