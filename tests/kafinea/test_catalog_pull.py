"""Catalogue pull: full, unchanged and incremental refreshes, with the round trips they cost."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from appliance.kafinea.catalog_pull import PullProgress, pull_catalog
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import ProtocolError
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox
from appliance.kafinea.schema import discover
from appliance.kafinea.vtql import cond, select


def test_full_then_unchanged_then_ten_changes(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path, products=150) as sandbox,
        KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client,
    ):
        schema = discover(client)
        seen: list[PullProgress] = []
        full = pull_catalog(client, schema, progress=seen.append, workers=3)
        total = 86 + 150
        assert full.listed == len(full.ids) == len(full.changed) == total
        sellable = [p for p in full.changed if p.sellable]
        assert len(sellable) == total - 6  # 3 without category, 3 inactive
        assert full.round_trips == 3 + len(sellable)  # ceil(236/100) pages + retrieves
        assert seen[-1].fetched == seen[-1].to_fetch == len(sellable)
        journal = next(p for p in full.changed if p.name == "Le Monde (quotidien)")
        assert journal.taxes == {"tax4": Decimal("2.100")}
        assert journal.unit_price == Decimal("3.43")
        assert len(journal.barcode) == 13
        assert all(not p.taxes for p in full.changed if not p.sellable)

        known = {p.id: p.modifiedtime for p in full.changed}
        unchanged = pull_catalog(client, schema, since=full.watermark, known_modified=known.get)
        assert unchanged.round_trips == 1
        assert unchanged.changed == []
        assert not unchanged.complete

        time.sleep(1.05)  # strictly newer modification times
        rows = client.query(
            select("Products", "productname")
            .where(cond("productcategory", "=", "Crèmerie"))
            .limit(10)
        )
        rows += client.query(
            select("Products", "productname")
            .where(cond("productcategory", "=", "Snacking"))
            .limit(2)
        )
        for row in rows[:10]:
            client.revise({"id": row["id"], "unit_price": "9.99"})
        after = pull_catalog(client, schema, since=full.watermark, known_modified=known.get)
        assert after.round_trips == 1 + 10
        assert {p.id for p in after.changed} == {r["id"] for r in rows[:10]}
        assert all(p.unit_price == Decimal("9.99") for p in after.changed)
        assert after.watermark is not None and after.watermark > (full.watermark or "")


def test_product_losing_its_category_comes_back_unsellable(
    sandbox: SandboxHandle, client: KafineaClient
) -> None:
    schema = discover(client)
    full = pull_catalog(client, schema)
    target = next(p for p in full.changed if p.name == "Cola 1,5 L")
    time.sleep(1.05)
    client.revise({"id": target.id, "productcategory": ""})
    after = pull_catalog(client, schema, since=full.watermark)
    changed = {p.id: p for p in after.changed}
    assert not changed[target.id].sellable


def test_a_failing_retrieve_fails_the_whole_pull(
    sandbox: SandboxHandle, client: KafineaClient
) -> None:
    schema = discover(client)
    sandbox.set_faults(http500=2, ops=["retrieve"])  # the client retries nothing on HTTP 500
    with pytest.raises(ProtocolError):
        pull_catalog(client, schema)
    sandbox.set_faults()
    assert pull_catalog(client, schema).listed == 86


def test_session_expiring_mid_pull_costs_one_relogin(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path, products=300) as sandbox,
        KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client,
    ):
        schema = discover(client)
        expired: list[int] = []

        def expire_once(progress: PullProgress) -> None:
            if not expired and progress.listed >= 200:
                expired.append(progress.listed)
                sandbox.expire_sessions()

        result = pull_catalog(client, schema, progress=expire_once, workers=4)
        assert expired
        assert result.listed == len(result.ids) == 386
        assert sum(bool(p.taxes) for p in result.changed) == 386 - 6
        assert sandbox.calls("login") == 2  # four threads hit the dead session, one logs in
