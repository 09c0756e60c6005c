import json
from datetime import UTC, datetime

import pytest

from appliance.pos.fiscal import MalformedPayload, sale_from_payload, ticket_payload
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import Discount, Party, Ticket

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _sale():
    ticket = (
        Ticket.open(NOW)
        .add_line("P1", "Savon", 2000, 450, 2000, barcode="3760020507350")
        .add_line("P2", "Pain", 1250, 333, 550)
        .add_line("P3", "Erreur", 1000, 100, 2000)
        .discount_line(1, Discount.amount(50, "abîmé"))
        .override_price(2, 300)
        .remove_line(3, NOW, "scan en double")
        .set_ticket_discount(Discount.percent(1000))
        .with_seller(Party("U1", "Marie"))
    )
    return validate(ticket, [Tender("CARD", 500), Tender("CASH", 2000)], NOW,
                    CashRounding.FIVE_CENTS)


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def test_payload_is_plain_data_without_float_or_null():
    payload = ticket_payload(_sale())
    assert all(isinstance(v, (int, str, bool)) for v in _walk(payload))
    assert payload["removed_lines"][0]["reason"] == "scan en double"
    assert payload["lines"][1]["orig_unit_price"] == 333
    assert payload["total_ttc"] == sum(line["total_ttc"] for line in payload["lines"])
    assert len(json.dumps(payload)) < 2048


def test_payload_round_trips_to_the_same_sale():
    sale = _sale()
    payload = ticket_payload(sale)
    rebuilt = sale_from_payload(payload)
    assert ticket_payload(rebuilt) == payload
    assert rebuilt.totals == sale.totals


def test_a_tampered_amount_no_longer_round_trips():
    payload = ticket_payload(_sale())
    payload["lines"][0]["total_vat"] += 1
    assert ticket_payload(sale_from_payload(payload)) != payload


def test_malformed_payload_is_refused_by_name():
    payload = ticket_payload(_sale())
    del payload["lines"][0]["qty_milli"]
    with pytest.raises(MalformedPayload):
        sale_from_payload(payload)
