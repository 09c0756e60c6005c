"""Building the Till from a configuration: catalogue refreshes, Kafinea down, background sync."""

import threading
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest

from appliance.till import TillError
from appliance.till.catalog_refresh import FULL_EVERY
from tests.till.helpers import new_till, shop_of, write_config


def test_refresh_is_incremental_and_sees_changes_deactivations_and_deletions(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox)
    shop = shop_of(sandbox)
    till = new_till(config)  # first start: full pull
    try:
        products = till.products_in("Boissons")
        first, second, third = products[:3]
        assert till.status().catalog_products > 50
        shop.revise(first.id, unit_price="10.00")  # pre-tax
        shop.revise(second.id, discontinued="0")
        client = till._p.sync._client
        trips = client.round_trips
        result = till.refresh_catalog()
        assert (result.changed, result.removed) == (1, 1)
        updated = {p.id: p for p in till.products_in("Boissons")}
        expected = Decimal("10.00") * (1 + Decimal(first.vat_rate_bp) / 10000) * 100
        assert updated[first.id].price_cents == int(expected.quantize(Decimal(1)))
        assert second.id not in updated
        # listtypes, one listing page, one retrieve for the changed sellable product, the
        # register and its account: not a page per hundred products
        assert client.round_trips - trips <= 8
        shop.client.delete(third.id)
        assert till.refresh_catalog().removed == 0  # a deletion is invisible incrementally
        till._p.catalog.set_meta("refresh_runs", str(FULL_EVERY))
        assert till.refresh_catalog().removed == 1  # the periodic full listing finds it
        assert third.id not in {p.id for p in till.products_in("Boissons")}
    finally:
        till.close()


def test_kafinea_down_at_start_the_till_sells_from_its_cache(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox)
    new_till(config).close()  # the cache is filled once
    down = SimpleNamespace(
        url="http://127.0.0.1:9/kfn",
        username=sandbox.username,
        access_key=sandbox.access_key,
        register=sandbox.register,
    )
    offline = write_config(tmp_path, down)
    started = time.monotonic()
    till = new_till(offline)
    try:
        assert time.monotonic() - started < 10
        till.open_session(0)
        till.set_seller("Marie Dupont")
        product = till.products_in("Boissons")[0]
        till.scan(product.barcode)
        till.pay("CASH", product.price_cents)
        assert till.validate().number == "1"
        with pytest.raises(TillError) as refused:
            till.refresh_catalog()
        assert refused.value.key == "kafinea"
        assert refused.value.message.startswith("catalogue non mis à jour : Kafinea injoignable")
        report = till.sync_once()
        assert report.pending == 2 and "injoignable" in report.last_error
        assert till.sync_status().reachable is False
    finally:
        till.close()


def test_background_worker_delivers_and_only_one_runs(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox)
    till = new_till(config, start_sync=True, sync_backoff=(0.05, 0.2))
    second = new_till(config, start_sync=True)
    try:
        assert till._p.sync._thread is not None
        assert second._p.sync._thread is None  # the lock file is taken: no second worker
        seen = []
        till.add_listener(seen.append)  # called from the worker's thread too
        till.open_session(2000)
        deadline = time.monotonic() + 20
        while till.sync_status().pending and time.monotonic() < deadline:
            time.sleep(0.05)
        assert till.sync_status().pending == 0
        assert till.sync_status().last_success_at
        assert any(s.sync.pending == 0 and s.sync.last_success_at for s in seen)
    finally:
        second.close()
        till.close()


def test_closing_during_the_start_up_refresh_stops_it_cleanly(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox)
    new_till(config).close()  # the catalogue exists: the next start refreshes in the background
    sandbox.set_faults(latency_ms=150)
    failures, start = [], sandbox.calls()
    previous, threading.excepthook = threading.excepthook, failures.append
    try:
        till = new_till(config, start_sync=True)
        deadline = time.monotonic() + 10
        while sandbox.calls() == start and time.monotonic() < deadline:
            time.sleep(0.01)
        till.close()  # while the refresh is still talking to Kafinea
        assert not [t for t in threading.enumerate() if t.name == "catalog-refresh"]
    finally:
        threading.excepthook = previous
        sandbox.set_faults()
    assert failures == []


def test_register_colours_come_from_kafinea_and_a_bad_one_is_ignored(tmp_path, sandbox, caplog):
    config = write_config(tmp_path, sandbox)
    till = new_till(config)  # first start: the register record is read from the sandbox
    try:
        status = till.status()
        assert (status.primary_colour, status.accent_colour) == ("#1F5F8B", "#F2C14E")
        record = till._p.catalog.register()
        assert (record.primary_colour, record.accent_colour) == ("#1F5F8B", "#F2C14E")
        shop_of(sandbox).revise(record.id, color_primary="bleu nuit", color_secondary="")
        with caplog.at_level("WARNING", logger="appliance.till.catalog_refresh"):
            till.refresh_catalog()
        assert "bleu nuit" in caplog.text and "color_primary" in caplog.text
        status = till.status()
        assert (status.primary_colour, status.accent_colour) == (None, None)
        assert till.status().register_name == record.name  # the rest of the record still read
    finally:
        till.close()
