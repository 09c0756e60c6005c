"""Parked tickets survive a Till restart (real sandbox, real SQLite files in the data dir)."""

import sqlite3

import pytest

from appliance.kafinea.sandbox.server import running_sandbox
from appliance.ledger.parked import PARKED_NAME
from appliance.till import InvalidInput, TillError
from tests.till.helpers import new_till, write_config

SELLER = "Marie Dupont"


@pytest.fixture
def config(tmp_path):
    with running_sandbox(tmp_path / "sandbox") as sandbox:
        yield write_config(tmp_path, sandbox)


def abandoned_carts(till) -> int:
    rows = till._p.journal.connection.execute(
        "SELECT count(*) FROM journal WHERE rtype = 'EVENT' AND payload LIKE ?",
        ('%"CART_ABANDONED"%',),
    )
    return rows.fetchone()[0]


def test_parked_tickets_survive_a_restart_and_leave_on_recall(config, tmp_path):
    till = new_till(config)
    try:
        till.open_session(0)
        till.set_seller(SELLER)
        products = till.products_in(till.categories()[0].name)[:3]
        for product in products:
            till.add_product(product.id)
        till.set_quantity(till.ticket().lines[0].index, 3000)
        till.discount_ticket(percent_bp=1000)
        [customer] = till.search_accounts("fournil")
        till.set_customer(customer.id)
        before = till.ticket()
        first = till.park()
        till.add_product(products[0].id)
        second = till.park()
        assert till.ticket().is_empty
        carts = abandoned_carts(till)
    finally:
        till.close()  # a restart: the update, a power cut...

    till = new_till(config)
    try:
        parked = till.parked()
        assert [p.id for p in parked] == [first.id, second.id]
        assert parked[0] == first  # same lines, total, seller, customer, time
        assert parked[0].customer == "Boulangerie Le Fournil"
        assert abandoned_carts(till) == carts  # parked is not abandoned
        with pytest.raises(InvalidInput, match="en attente"):
            till.close_session({"CASH": 0})  # a parked ticket still blocks the closing
        recalled = till.recall(first.id)
        assert recalled.lines == before.lines
        assert recalled.totals == before.totals
        assert (recalled.seller, recalled.customer_name) == (SELLER, "Boulangerie Le Fournil")
        till.pay("CARD", recalled.totals.total_ttc_cents)
        till.validate(print_receipt=False)
    finally:
        till.close()

    till = new_till(config)
    try:
        assert [p.id for p in till.parked()] == [second.id]
        till.add_product(products[1].id)
        assert till.park().id == second.id + 1  # numbers go on, none given twice
    finally:
        till.close()


def test_a_failing_parked_file_refuses_and_keeps_the_ticket(config, tmp_path):
    till = new_till(config)
    try:
        till.open_session(0)
        product = till.products_in(till.categories()[0].name)[0]
        till.add_product(product.id)
        with sqlite3.connect(tmp_path / "data" / PARKED_NAME) as db:  # a damaged file
            db.execute("DROP TABLE parked")
        with pytest.raises(TillError, match="tickets en attente"):
            till.park()
        assert [line.label for line in till.ticket().lines] == [product.name]
        assert till.parked() == ()
    finally:
        till.close()
