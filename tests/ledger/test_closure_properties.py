"""Random days of trading: whatever happens, the journal verifies and the totals agree."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.ledger.journal import DB_NAME, HEAD_NAME
from appliance.ledger.verify import verify_database
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket

from .journal_support import Clock, new_journal, sell

operations = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), st.integers(min_value=0, max_value=99_999)),
        st.tuples(st.just("training"), st.integers(min_value=1, max_value=5000)),
        st.tuples(st.just("void"), st.just(0)),
        st.tuples(st.just("duplicate"), st.just(0)),
        st.tuples(st.just("hours"), st.integers(min_value=1, max_value=30)),
        st.tuples(st.just("days"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("z"), st.just(0)),
    ),
    min_size=1, max_size=25,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_any_trading_history_verifies_and_perpetual_equals_the_tickets(ops):
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        clock = Clock()
        journal = new_journal(data, clock)
        sales = []
        for op, value in ops:
            if op == "sale":
                sales.append(sell(journal, clock, (value,)))
            elif op == "training":
                sell(journal, clock, (value,), training=True)
            elif op == "void" and sales:
                record = sales.pop()
                source = original_from_payload(record.payload, record.type_seq, record.hash)
                total = record.payload["total_ttc"]
                void = Ticket.void_of(source, clock())
                payment = [Tender("CARD", -total)] if total else []
                journal.append("TICKET", ticket_payload(validate(void, payment, clock())))
            elif op == "duplicate" and sales:
                journal.duplicate(sales[-1].type_seq)
            elif op == "hours":
                clock.advance(hours=value)
            elif op == "days":
                clock.advance(days=value)
            elif op == "z":  # a Z ends the business day: trading resumes the next one
                journal.close_day()
                clock.advance(days=1)
            clock.advance(seconds=30)
        clock.advance(days=400)
        journal.close_due()  # everything closes: day, months, fiscal years
        real = journal.connection.execute(
            "SELECT COALESCE(SUM(json_extract(payload, '$.total_ttc')), 0) FROM journal"
            " WHERE rtype = 'TICKET' AND training = 0").fetchone()[0]
        days = list(journal.closures("DAY"))
        perpetual = days[-1].payload["gt"]["perpetual_net"] if days else 0
        assert perpetual == real
        months = list(journal.closures("MONTH"))
        assert sum(m.payload["totals"]["net_ttc"] for m in months) == real
        years = list(journal.closures("YEAR"))
        assert sum(y.payload["totals"]["net_ttc"] for y in years) == real
        journal.close()
        report = verify_database(data / DB_NAME, data / HEAD_NAME)
        assert report.ok, report.sentence()
