"""`appliance sale` through the real CLI entry point, against the sandbox."""

import json

import pytest

from appliance.cli import main
from appliance.kafinea.sandbox.server import running_sandbox
from tests.till.helpers import new_till, write_config

SELLER = "Marie Dupont"


@pytest.fixture
def setup(tmp_path):
    with running_sandbox(tmp_path / "sandbox") as sandbox:
        config = write_config(tmp_path, sandbox)
        till = new_till(config)
        product = till.products_in("Épicerie salée")[0]
        till.close()
        assert main(["session", "open", "--config", str(config), "--float", "50"]) == 0
        yield config, product


def sale(config, *args):
    return main(["sale", "--config", str(config), "--seller", SELLER, *args])


def test_scripted_sale_prints_the_validated_ticket(setup, capsys):
    config, product = setup
    capsys.readouterr()
    code = sale(
        config,
        "--scan",
        product.barcode,
        "--scan",
        product.barcode,
        "--qty",
        "3",
        "--pay",
        "cash:20.00",
        "--json",
    )
    assert code == 0
    ticket = json.loads(capsys.readouterr().out)
    assert ticket["number"] == "1" and ticket["kind"] == "sale"
    assert [(line["product_id"], line["quantity_milli"]) for line in ticket["lines"]] == [
        (product.id, 3000)
    ]
    assert ticket["totals"]["ttc_cents"] == 3 * product.price_cents
    assert ticket["tenders"] == [{"method": "CASH", "amount_cents": 2000}]
    assert ticket["change_cents"] == 2000 - 3 * product.price_cents
    assert ticket["seller"] == SELLER
    assert sale(config, "--return", "1", "--json") == 0
    refund = json.loads(capsys.readouterr().out)
    assert (refund["kind"], refund["totals"]["ttc_cents"]) == ("return", -3 * product.price_cents)


def test_training_sale_is_marked_and_not_queued(setup, capsys):
    config, product = setup
    assert sale(config, "--training", "--product", product.id, "--json") == 0
    ticket = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert ticket["training"] is True
    till = new_till(config)
    try:
        assert till.sync_status().pending == 1  # only the float
        assert not till.status().training  # the command left training mode
    finally:
        till.close()


def test_refusals_are_one_line_and_record_nothing(setup, capsys):
    config, product = setup
    capsys.readouterr()
    assert sale(config, "--scan", "3760000000013") == 1
    assert "chiffre de contrôle" in capsys.readouterr().err
    assert sale(config, "--scan", product.barcode, "--pay", "card:0.01") == 1
    assert "insuffisant" in capsys.readouterr().err
    assert sale(config, "--qty", "2") == 2
    assert "--qty" in capsys.readouterr().err
    assert main(["sale", "--config", str(config), "--product", product.id]) == 1
    assert "vendeur" in capsys.readouterr().err
    till = new_till(config)
    try:
        assert till.sync_status().pending == 1 and till.status().session.ticket_count == 0
    finally:
        till.close()


def test_sale_summary_gives_french_amounts(setup, capsys):
    config, product = setup
    capsys.readouterr()
    assert sale(config, "--product", product.id, "--pay", "cash:100") == 0
    out = capsys.readouterr().out
    total = product.price_cents
    change = 10000 - total
    euros_total = f"{total // 100},{total % 100:02d} €"
    euros_change = f"{change // 100},{change % 100:02d} €"
    assert f"ticket n° 1 : {euros_total}, rendu {euros_change}" in out
