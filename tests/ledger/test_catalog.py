import json
import threading

import pytest

from appliance.ledger.catalog import (
    Catalog,
    CatalogProduct,
    PaymentMethod,
    RegisterRecord,
    Seller,
    hex_colour,
    normalise,
)
from appliance.pos.receipt import ShopIdentity


def product(n: int, **changes) -> CatalogProduct:
    values = dict(
        id=f"14x{n}",
        name=f"Produit {n}",
        category="Épicerie",
        vat_bp=550,
        price_ttc=100 + n,
        price_ht=95 + n,
        code=f"REF{n:05d}",
        barcode=f"376000000{n:04d}",
        modified=f"2026-11-0{1 + n % 9} 10:00:00",
    )
    values.update(changes)
    return CatalogProduct(**values)


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


def test_normalise_drops_case_accents_and_extra_spaces():
    assert normalise("  Crème   BRÛLÉE ") == "creme brulee"


def test_products_found_by_barcode_then_by_part_number(catalog):
    catalog.apply([product(1), product(2)])
    assert catalog.by_barcode("3760000000002").id == "14x2"
    assert catalog.by_barcode("REF00001").id == "14x1"
    assert catalog.by_barcode("9999") is None
    assert catalog.by_barcode("") is None


def test_inactive_or_uncategorised_products_never_reach_the_register(catalog):
    result = catalog.apply(
        [product(1), product(2, active=False), product(3, category="  "), product(4)]
    )
    assert (result.changed, result.removed) == (2, 0)
    assert catalog.by_id("14x2") is None and catalog.by_id("14x3") is None
    # a product deactivated or losing its category later is removed from the cache
    result = catalog.apply([product(1, active=False), product(4, category="")])
    assert (result.changed, result.removed) == (0, 2)
    assert catalog.count() == 0


def test_update_replaces_price_name_and_search_text(catalog):
    catalog.apply([product(1)])
    catalog.apply([product(1, name="Confiture fraise", price_ttc=450)])
    assert catalog.count() == 1
    assert catalog.by_id("14x1").price_ttc == 450
    assert [p.id for p in catalog.search("fraise")] == ["14x1"]
    assert catalog.search("produit") == []


def test_product_without_price_stays_known(catalog):
    catalog.apply([product(1, price_ttc=None, price_ht=None)])
    assert catalog.by_barcode("3760000000001").price_ttc is None


def test_search_prefix_first_then_contains_accents_ignored(catalog):
    catalog.apply(
        [
            product(1, name="Pain de campagne"),
            product(2, name="Crème brûlée"),
            product(3, name="Tarte à la crème"),
            product(4, name="Crémant d'Alsace"),
        ]
    )
    assert [p.name for p in catalog.search("cre")] == [
        "Crémant d'Alsace",
        "Crème brûlée",
        "Tarte à la crème",
    ]
    assert [p.name for p in catalog.search("CRÈME b")] == ["Crème brûlée"]
    assert [p.name for p in catalog.search("a la crem")] == ["Tarte à la crème"]
    assert [p.id for p in catalog.search("REF0000")][:1] == ["14x1"]
    assert [p.id for p in catalog.search("37600000000")] != []
    assert catalog.search("") == [] and catalog.search("zzz") == []
    assert len(catalog.search("e", limit=2)) == 2


def test_search_survives_fts_syntax_in_user_text(catalog):
    catalog.apply([product(1, name='Vis "6mm" AND écrou')])
    assert [p.id for p in catalog.search('"6mm" and')] == ["14x1"]
    assert catalog.search("100%") == []


def test_categories_and_listing(catalog):
    catalog.apply([product(1, category="Boulangerie", name="Baguette"), product(2), product(3)])
    assert [(c.name, c.products) for c in catalog.categories()] == [
        ("Boulangerie", 1),
        ("Épicerie", 2),
    ]
    assert [p.id for p in catalog.in_category("Épicerie")] == ["14x2", "14x3"]


def test_deletions_by_id_and_by_full_listing(catalog):
    catalog.apply([product(n) for n in range(1, 6)])
    assert catalog.remove(["14x1", "14x99"]) == 1
    assert catalog.keep_only({"14x2", "14x3"}) == 2
    assert sorted(p.id for p in catalog.search("produit")) == ["14x2", "14x3"]


def test_register_record_and_watermark_round_trip(tmp_path):
    record = RegisterRecord(
        id="50x1",
        name="Caisse 1",
        default_account_id="11x7",
        default_account_name="Client comptoir",
        sellers=(Seller("19x2", "Alice"),),
        payment_methods=(PaymentMethod("CASH", "Espèces", True),),
        rounding_cents=5,
        colours=(("Épicerie", "#aa3300"),),
        primary_colour="#1F5F8B",
        accent_colour="#F2C14E",
        shop=ShopIdentity("Épicerie Martin", address_lines=("1 rue X",), siret="1" * 14),
        tax_keys=((2000, "tax1"), (550, "tax2")),
    )
    path = tmp_path / "c.sqlite"
    first = Catalog(path)
    assert first.register() is None and first.watermark() == ""
    first.set_register(record)
    first.set_watermark("2026-11-28 10:00:00")
    first.close()
    again = Catalog(path)
    assert again.register() == record
    assert again.watermark() == "2026-11-28 10:00:00"
    again.close()


def test_a_cache_written_before_the_register_colours_upgrades_to_none(tmp_path):
    path = tmp_path / "old.sqlite"
    first = Catalog(path)
    old = json.loads(RegisterRecord("50x1", "Caisse 1", rounding_cents=5).to_json())
    del old["primary_colour"], old["accent_colour"]  # the record as the previous version wrote it
    first.set_meta("register", json.dumps(old))
    first.set_watermark("2026-11-28 10:00:00")
    first.close()
    again = Catalog(path)
    record = again.register()
    assert record is not None
    assert (record.primary_colour, record.accent_colour) == (None, None)
    assert (record.name, record.rounding_cents) == ("Caisse 1", 5)
    assert again.watermark() == "2026-11-28 10:00:00"
    again.close()


def test_only_hex_colours_are_kept():
    assert hex_colour("#1f5f8b") == "#1F5F8B"
    assert hex_colour(" #F2C14E ") == "#F2C14E"
    for bad in (None, "", "bleu", "#12345", "#1234567", "1F5F8B", "#GGGGGG"):
        assert hex_colour(bad) is None
    text = RegisterRecord("50x1", "Caisse 1", primary_colour="#1F5F8B").to_json()
    tampered = json.loads(text) | {"primary_colour": "rouge"}
    assert RegisterRecord.from_json(json.dumps(tampered)).primary_colour is None


def test_reads_from_other_threads_during_a_refresh(catalog):
    catalog.apply([product(n) for n in range(1, 100)])
    errors = []

    def scan_many():
        try:
            for _ in range(200):
                assert catalog.by_barcode("3760000000005").id == "14x5"
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=scan_many) for _ in range(3)]
    for reader in readers:
        reader.start()
    catalog.apply([product(n, name=f"Article {n}") for n in range(1, 2000)])
    for reader in readers:
        reader.join()
    assert errors == []
    assert catalog.count() == 1999
