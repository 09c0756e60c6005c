from datetime import UTC, datetime

import pytest

from appliance.pos.errors import TicketStateError
from appliance.pos.parking import ParkingLot
from appliance.pos.ticket import Ticket

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_park_and_recall_by_number():
    first = Ticket.open(NOW).add_line("P1", "Savon", 1000, 450, 2000)
    second = Ticket.open(NOW).add_line("P2", "Pain", 1000, 120, 550)
    lot, one = ParkingLot().park(first, NOW)
    lot, two = lot.park(second, NOW)
    lot, recalled = lot.recall(one)
    assert recalled == first and [p.number for p in lot.parked] == [two]
    with pytest.raises(TicketStateError, match="aucun ticket"):
        lot.recall(one)
    with pytest.raises(TicketStateError, match="vide"):
        lot.park(Ticket.open(NOW), NOW)
