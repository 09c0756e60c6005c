"""Parked tickets on a real SQLite file: every detail of a ticket survives a reopen."""

import sqlite3
from datetime import UTC, datetime

import pytest

from appliance.ledger.parked import (
    ParkedStore,
    ParkedStoreError,
    ticket_from_json,
    ticket_to_json,
)
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.parking import ParkingLot
from appliance.pos.tax import PriceMode
from appliance.pos.tender import Tender
from appliance.pos.tender import validate as validate_sale
from appliance.pos.ticket import Discount, Party, Ticket

AT = datetime(2026, 11, 28, 10, 30, tzinfo=UTC)


def busy_ticket() -> Ticket:
    ticket = Ticket.open(AT, seller=Party("19x1", "Marie Dupont"))
    ticket = ticket.add_line("14x1", "Crème brûlée « maison »", 2000, 350, 550, barcode="3760001")
    ticket = ticket.add_line("14x2", "Fromage à la coupe", 275, 2490, 550)
    ticket = ticket.add_line("14x3", "Vin rouge", 1000, 1290, 2000)
    ticket = ticket.override_price(3, 990)
    ticket = ticket.discount_line(1, Discount.percent(1000, "fidélité"))
    ticket = ticket.remove_line(2, AT, "erreur de saisie")
    ticket = ticket.set_ticket_discount(Discount.amount(50))
    return ticket.with_customer(Party("11x5", "L'Atelier d'Éloïse"))


def test_codec_rebuilds_an_equal_ticket():
    ticket = busy_ticket()
    again = ticket_from_json(ticket_to_json(ticket))
    assert again == ticket
    assert again.totals() == ticket.totals()
    assert again.removed[0].reason == "erreur de saisie"


def test_codec_keeps_a_return_and_its_original():
    sold = busy_ticket()
    sale = validate_sale(sold, [Tender("CASH", 5000)], AT)
    original = original_from_payload(ticket_payload(sale), 42, "ab" * 32)
    ticket = Ticket.return_of(original, AT, already_returned={1: 1000}).return_line(1, 1000)
    again = ticket_from_json(ticket_to_json(ticket))
    assert again == ticket
    assert again.original.lines == original.lines
    assert again.price_mode is PriceMode.TTC


def test_unreadable_ticket_is_a_clear_error():
    with pytest.raises(ParkedStoreError, match="illisible"):
        ticket_from_json('{"opened_utc": 3}')


def test_store_survives_reopening_and_numbers_go_on(tmp_path):
    path = tmp_path / "parked.sqlite"
    store = ParkedStore(path)
    lot = store.load()
    assert lot == ParkingLot()
    lot, first = lot.park(busy_ticket(), AT)
    store.save(lot.parked[-1])
    lot, second = lot.park(Ticket.open(AT).add_line("14x9", "Pain", 1000, 120, 550), AT)
    store.save(lot.parked[-1])
    store.close()

    store = ParkedStore(path)
    reloaded = store.load()
    assert reloaded.parked == lot.parked
    assert reloaded.next_number == second + 1
    reloaded, ticket = reloaded.recall(first)
    store.remove(first)
    assert ticket == busy_ticket()
    store.close()

    store = ParkedStore(path)
    assert [p.number for p in store.load().parked] == [second]
    store.close()
    rows = sqlite3.connect(path).execute("SELECT number FROM parked").fetchall()
    assert rows == [(second,)]


def test_unwritable_place_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ParkedStoreError, match="inaccessibles"):
        ParkedStore(blocker / "parked.sqlite")


def test_an_unreadable_row_is_skipped_and_kept_not_renumbered(tmp_path):
    path = tmp_path / "parked.sqlite"
    store = ParkedStore(path)
    lot, _ = store.load().park(busy_ticket(), AT)
    store.save(lot.parked[-1])
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO parked VALUES (7, '2026-11-28T10:30:00Z', '{\"lines\": 1}')")
    store = ParkedStore(path)
    lot = store.load()
    assert [p.number for p in lot.parked] == [1]
    assert lot.next_number == 8  # the unreadable ticket's number is not given again
    store.close()
