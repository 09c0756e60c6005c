"""The demo shop is believable, and generated products are valid and fast to add."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.faults import FaultSpecError, parse_spec, plan_from_json
from appliance.kafinea.sandbox.seed import ean13, luhn_complete
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.kafinea.vtql import cond, select


def _valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13(code[:12]) == code


def test_demo_shop(client: KafineaClient) -> None:
    products = list(client.query_all(select("Products")))
    assert len(products) >= 80
    categories = Counter(p["productcategory"] for p in products)
    assert len([c for c in categories if c]) >= 8
    assert 1 <= categories[""] <= 5
    inactive = [p for p in products if p["discontinued"] == "0"]
    assert 1 <= len(inactive) <= 5
    assert all(_valid_ean13(p["cf_853"]) for p in products)
    assert len({p["cf_853"] for p in products}) == len(products)
    rates = Counter(
        value
        for p in products
        for key, value in client.retrieve(p["id"]).items()
        if key.startswith("tax") and key[3:].isdigit()
    )
    assert set(rates) == {"20.000", "10.000", "5.500", "2.100"}
    account = client.query(select("Accounts").where(cond("accountname", "=", "Client comptoir")))
    assert len(account) == 1
    register = client.query(
        select("CashRegisters").where(cond("cashregister_name", "=", "Caisse 1"))
    )[0]
    assert register["account_id"] == account[0]["id"]
    assert register["payment_methods"] == "Espèces |##| Carte bancaire |##| Chèque"
    assert register["printer_address"]
    siret = register["shop_siret"]
    assert len(siret) == 14 and luhn_complete(siret[:13]) == siret
    assert (
        register["shop_vat_number"] == f"FR{(12 + 3 * (int(siret[:9]) % 97)) % 97:02d}{siret[:9]}"
    )
    user = client.retrieve(register["technical_user_id"])
    assert "@" in user["user_name"] and user["no_of_currency_decimals"] == "2"


def test_generated_products_are_bulk_inserted(tmp_path: Path) -> None:
    started = time.monotonic()
    with running_sandbox(tmp_path, products=20_000) as sandbox:
        elapsed = time.monotonic() - started
        with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client:
            assert client.count(select("Products")) == 86 + 20_000
            last = client.query(select("Products").order_by("id", descending=True).limit(1))[0]
            assert _valid_ean13(last["cf_853"]) and last["productcategory"]
    print(f"20,000 products seeded and served in {elapsed:.1f} s")


def test_fault_specs() -> None:
    plan = parse_spec(
        "latency=200, http500=3, ops=create+revise, drop=1, idle=5, refuse_login, html"
    )
    assert plan.latency_ms == 200 and plan.http500 == 3 and plan.drop_after_commit == 1
    assert plan.ops == frozenset({"create", "revise"}) and plan.session_idle_s == 5.0
    assert plan.refuse_login and plan.html
    assert parse_spec("").to_json() == plan_from_json({}).to_json()
    for bad in ("latency=-1", "explode", "http500_rate=2", "http500=many"):
        with pytest.raises(FaultSpecError):
            parse_spec(bad)
    with pytest.raises(FaultSpecError):
        plan_from_json({"ops": "create"})
    with pytest.raises(FaultSpecError, match=r"^valeur illisible pour http500 : 'many'$"):
        parse_spec("http500=many")
