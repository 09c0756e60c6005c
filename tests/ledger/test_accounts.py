"""The customer account cache on a real SQLite file: what a cashier types finds the account."""

import sqlite3

import pytest

from appliance.ledger.accounts import AccountCache, CachedAccount, phone_digits

ACCOUNTS = [
    CachedAccount("11x1", "Client comptoir", "CPT1"),
    CachedAccount("11x2", "Mairie de Cesson-Sévigné", "CPT2", "02 99 83 52 00", "mairie@cesson.fr"),
    CachedAccount("11x3", "Boulangerie Le Fournil", "CPT3", "+33 6 12 34 56 78", "fournil@free.fr"),
    CachedAccount("11x4", "L’Atelier d’Éloïse", "CPT4", "06.98.76.54.32", "eloise@atelier.fr"),
    CachedAccount("11x5", "Fournitures Bérénice", "CPT12", "", "contact@berenice.fr"),
    CachedAccount("11x6", "100% Bio_Coop", "CPT6"),
]


@pytest.fixture
def cache(tmp_path):
    with AccountCache(tmp_path / "accounts.sqlite") as cache:
        cache.apply(ACCOUNTS)
        yield cache


def names(found):
    return [account.name for account in found]


def test_name_prefix_first_then_contains_without_accents_or_case(cache):
    assert names(cache.search("FOUR")) == ["Fournitures Bérénice", "Boulangerie Le Fournil"]
    assert names(cache.search("sevigne")) == ["Mairie de Cesson-Sévigné"]
    assert names(cache.search("bérénice")) == ["Fournitures Bérénice"]


def test_apostrophes_typed_or_typographic_match(cache):
    assert names(cache.search("l'atelier")) == ["L’Atelier d’Éloïse"]
    assert names(cache.search("d'eloise")) == ["L’Atelier d’Éloïse"]
    assert names(cache.search("eloise atel")) == ["L’Atelier d’Éloïse"]
    assert names(cache.search("l'a"))[0] == "L’Atelier d’Éloïse"  # the name's start first
    assert names(cache.search("l'four")) == ["Boulangerie Le Fournil", "Fournitures Bérénice"]


def test_phone_in_any_spelling(cache):
    assert names(cache.search("0612")) == ["Boulangerie Le Fournil"]
    assert names(cache.search("06 12 34")) == ["Boulangerie Le Fournil"]
    assert names(cache.search("+33 6 98")) == ["L’Atelier d’Éloïse"]
    assert names(cache.search("02.99.83")) == ["Mairie de Cesson-Sévigné"]
    assert phone_digits("+33 6 12 34 56 78") == "0612345678"
    assert phone_digits("0033 2 99") == "0299"


def test_email_and_account_number(cache):
    assert names(cache.search("mairie@")) == ["Mairie de Cesson-Sévigné"]
    assert names(cache.search("cpt12")) == ["Fournitures Bérénice"]
    assert [a.id for a in cache.search("CPT1")] == ["11x1", "11x5"]


def test_like_wildcards_are_literal(cache):
    assert names(cache.search("100%")) == ["100% Bio_Coop"]
    assert names(cache.search("o_c")) == ["100% Bio_Coop"]
    assert names(cache.search("%")) == ["100% Bio_Coop"]  # literal, not "everything"
    assert cache.search("   ") == []
    assert cache.search("fournil", limit=0) == []


def test_update_keeps_one_row_and_changes_what_is_found(cache):
    cache.apply(
        [CachedAccount("11x3", "Le Fournil de Rennes", "CPT3", "", "", "2026-11-28 10:00:00")]
    )
    assert cache.count() == len(ACCOUNTS)
    assert names(cache.search("boulangerie")) == []
    assert cache.by_id("11x3").name == "Le Fournil de Rennes"
    assert cache.modified_of("11x3") == "2026-11-28 10:00:00"
    assert cache.modified_of("11x99") is None
    assert cache.by_id("11x99") is None


def test_keep_only_drops_accounts_deleted_in_kafinea(cache):
    assert cache.keep_only({"11x1", "11x2"}) == len(ACCOUNTS) - 2
    assert sorted(a.id for a in cache.search("c")) == ["11x1", "11x2"]


def test_limit_and_many_accounts_in_batches(tmp_path):
    with AccountCache(tmp_path / "a.sqlite") as cache:
        count = cache.apply(CachedAccount(f"11x{i}", f"Client {i:04d}") for i in range(1200))
        assert count == cache.count() == 1200
        assert len(cache.search("client", limit=30)) == 30
        assert names(cache.search("client 0042")) == ["Client 0042"]


def test_survives_reopening_with_its_watermark(tmp_path):
    path = tmp_path / "accounts.sqlite"
    with AccountCache(path) as cache:
        cache.apply(ACCOUNTS)
        cache.set_watermark("2026-11-28 09:00:00")
    with AccountCache(path) as cache:
        assert cache.watermark() == "2026-11-28 09:00:00"
        assert cache.count() == len(ACCOUNTS)
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM account").fetchone()[0]
    assert rows == len(ACCOUNTS)
