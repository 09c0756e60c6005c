"""The register record and its account as the till and the doctor both read them."""

from __future__ import annotations

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.register_pull import fetch_account, fetch_register, split_multi
from appliance.kafinea.schema import discover


def test_a_register_is_found_by_name_or_by_number(client: KafineaClient) -> None:
    schema = discover(client)
    by_name = fetch_register(client, schema, "Caisse 1")
    by_number = fetch_register(client, schema, "1")
    assert by_name is not None and by_number is not None
    assert by_name.id == by_number.id
    assert by_name.values["name"] == "Caisse 1"
    assert by_name.values["printer_address"] == "192.168.1.50:9100"
    assert len(split_multi(by_name.values["sellers"])) == 3
    other = fetch_register(client, schema, "Caisse 2")
    assert other is not None and other.id != by_name.id and other.values["sellers"] == ""


def test_an_unknown_register_is_none(client: KafineaClient) -> None:
    assert fetch_register(client, discover(client), "Caisse 9") is None


def test_the_default_account_gives_its_name_and_street(client: KafineaClient) -> None:
    register = fetch_register(client, discover(client), "Caisse 1")
    assert register is not None and register.values["default_account"]
    name, street = fetch_account(client, register.values["default_account"])
    assert name and street
    assert fetch_account(client, "") == ("", "Vente au comptoir")


def test_multi_select_values_split_on_vtiger_separator() -> None:
    assert split_multi("Espèces |##| Carte bancaire |##|  ") == ("Espèces", "Carte bancaire")
    assert split_multi(None) == ()
    assert split_multi("  ") == ()
