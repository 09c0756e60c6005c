"""Customer accounts at the Till against the sandbox: pulled with the catalogue, searched
offline, shown on the ticket and the receipt, and charged in Kafinea."""

import time

import pytest

from appliance.ledger.accounts import ACCOUNTS_NAME, AccountCache
from tests.till.helpers import new_till, shop_of, write_config

SELLER = "Marie Dupont"


@pytest.fixture
def shop(sandbox):
    shop = shop_of(sandbox)
    yield shop
    shop.client.close()


@pytest.fixture
def till(tmp_path, sandbox):
    till = new_till(write_config(tmp_path, sandbox))
    yield till
    till.close()


def test_search_finds_what_the_cashier_types_without_the_network(till, sandbox):
    assert [a.name for a in till.search_accounts("eloise")] == ["L'Atelier d'Éloïse"]
    assert [a.name for a in till.search_accounts("06 12 34")] == ["L'Atelier d'Éloïse"]
    assert [a.name for a in till.search_accounts("cafe de l'op")] == ["Café de l’Opéra"]
    assert [a.name for a in till.search_accounts("zoe.menard@")] == ["Zoé Ménard"]
    [counter] = till.search_accounts("client comptoir")
    assert counter.is_default
    number = till.search_accounts("Chloé")[0].number
    assert number.startswith("CPT")
    assert "Chloé Bénard" in [a.name for a in till.search_accounts(number)]
    sandbox.server.stop()  # Kafinea gone: the search reads the local copy
    assert [a.name for a in till.search_accounts("gaelle")] == ["Gaëlle Kerhervé"]


def test_chosen_account_on_ticket_receipt_and_invoice(till, shop):
    till.open_session(0)
    till.set_seller(SELLER)
    [account] = till.search_accounts("fournil")
    product = till.products_in(till.categories()[0].name)[0]
    till.add_product(product.id)
    view = till.set_customer(account.id)
    assert (view.customer_id, view.customer_name) == (account.id, "Boulangerie Le Fournil")
    till.pay("CARD", product.price_cents)
    sale = till.validate()
    assert sale.receipt.customer == "Boulangerie Le Fournil"
    assert till.ticket().customer_name == ""  # the next ticket is a counter sale again
    till.sync_once()
    ref = sale.receipt.reference_code
    [invoice] = shop.all("Invoice", "account_id", cf_ticket_ref=ref)
    assert invoice["account_id"] == account.id


def test_default_account_is_the_counter_sale(till):
    [counter] = till.search_accounts("client comptoir")
    till.open_session(0)
    till.set_customer(counter.id)
    assert till.ticket().customer_name == ""
    till.set_customer(till.search_accounts("zoé")[0].id)
    assert till.ticket().customer_name == "Zoé Ménard"
    assert till.set_customer(None).customer_name == ""


def test_refresh_brings_new_and_changed_accounts(till, shop, tmp_path):
    time.sleep(1.05)  # strictly newer modification times than the first pull
    created = shop.client.create("Accounts", {"accountname": "Bérangère O'Neill"})
    eloise = shop.first("Accounts", accountname="L'Atelier d'Éloïse")
    shop.revise(eloise["id"], accountname="L'Atelier d'Éloïse & Co")
    before = shop.client.round_trips
    till.refresh_catalog()
    assert shop.client.round_trips == before  # the till used its own client
    assert [a.id for a in till.search_accounts("o'neill")] == [created["id"]]
    assert [a.name for a in till.search_accounts("eloise")] == ["L'Atelier d'Éloïse & Co"]
    with AccountCache(tmp_path / "data" / ACCOUNTS_NAME) as cache:
        assert cache.watermark()
        assert cache.count() >= 27
