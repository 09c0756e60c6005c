"""Customer account pull over real HTTP to the sandbox: full, unchanged, incremental."""

from __future__ import annotations

import time

from appliance.kafinea.account_pull import pull_accounts
from appliance.kafinea.sandbox.seed import CUSTOMER_ACCOUNTS, DEFAULT_ACCOUNT
from appliance.kafinea.schema import discover
from appliance.kafinea.vtql import cond, select


def test_full_then_unchanged_then_changed_and_created(client) -> None:
    schema = discover(client)
    full = pull_accounts(client, schema)
    assert full.complete
    assert full.listed == len(full.ids) == len(full.changed) == len(CUSTOMER_ACCOUNTS) >= 20
    assert full.round_trips == 1  # under 100 accounts: one page
    by_name = {a.name: a for a in full.changed}
    assert DEFAULT_ACCOUNT in by_name
    eloise = by_name["L'Atelier d'Éloïse"]
    assert eloise.phone == "06 12 34 56 78"
    assert eloise.number.startswith("CPT")
    assert eloise.id.startswith("11x")
    assert by_name["Zoé Ménard"].email == "zoe.menard@laposte.net"
    assert any("’" in name for name in by_name)  # a typographic apostrophe too

    known = {a.id: a.modifiedtime for a in full.changed}
    unchanged = pull_accounts(client, schema, since=full.watermark, known_modified=known.get)
    assert unchanged.round_trips == 1
    assert unchanged.changed == []
    assert not unchanged.complete

    time.sleep(1.05)  # strictly newer modification times
    client.revise({"id": eloise.id, "phone": "02 99 00 11 22"})
    created = client.create(
        "Accounts", {"accountname": "Bérangère O'Neill", "email1": "b.oneill@example.fr"}
    )
    after = pull_accounts(client, schema, since=full.watermark, known_modified=known.get)
    assert {a.id for a in after.changed} == {eloise.id, created["id"]}
    assert next(a for a in after.changed if a.id == eloise.id).phone == "02 99 00 11 22"
    assert after.watermark > full.watermark


def test_a_renamed_field_on_the_instance_is_read_through_the_schema(client) -> None:
    """The schema map decides the field names; no phone field on an instance: empty phones."""
    schema = discover(client, fields={"accounts": {"phone": "nonexistent_field"}})
    assert schema.field_or_none("accounts", "phone") is None
    pulled = pull_accounts(client, schema)
    assert pulled.changed and all(a.phone == "" for a in pulled.changed)
    row = client.query(
        select("Accounts", "accountname").where(cond("accountname", "=", DEFAULT_ACCOUNT))
    )
    assert row[0]["id"] in pulled.ids
