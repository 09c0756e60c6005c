import json
import sqlite3
import stat

import pytest

from appliance.ledger import journal_reader
from appliance.ledger.journal import (
    DB_NAME,
    HEAD_NAME,
    KEY_NAME,
    BackdatedTicket,
    ClockWentBackwards,
    InvalidRecord,
    Journal,
    JournalCorrupt,
    JournalExists,
)
from appliance.ledger.verify import verify_database
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket

from .journal_support import Clock, new_journal, sale_payload, sell


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def journal(tmp_path, clock):
    journal = new_journal(tmp_path, clock)
    yield journal
    journal.close()


def _count(journal, rtype=None):
    if rtype is None:
        return journal.connection.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    return journal.connection.execute(
        "SELECT COUNT(*) FROM journal WHERE rtype = ?", (rtype,)).fetchone()[0]


def test_initialise_creates_a_private_key_wal_database_and_signed_init(tmp_path, journal):
    assert stat.S_IMODE((tmp_path / KEY_NAME).stat().st_mode) == 0o600
    assert journal.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    init = journal.record(1)
    assert init.rtype == "INIT" and init.payload["alg"] == "ECDSA-P256-SHA256"
    assert init.payload["register"] == "FR-12345678900011-C01"
    assert json.loads((tmp_path / HEAD_NAME).read_text())["hash"] == init.hash
    with pytest.raises(JournalExists):
        new_journal(tmp_path, Clock())


def test_update_and_delete_are_refused_by_triggers(journal, clock):
    sell(journal, clock)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.connection.execute("UPDATE journal SET payload = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.connection.execute("DELETE FROM journal WHERE seq = 2")


def test_ticket_and_outbox_row_commit_together_or_not_at_all(journal, clock):
    journal.connection.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, state TEXT)")
    with journal.transaction() as tx:
        record = tx.append("TICKET", sale_payload(clock))
        tx.connection.execute("INSERT INTO outbox VALUES (?, 'pending')", (record.seq,))
    assert record.type_seq == 1 and record.excerpt == record.hash[:8]
    before = _count(journal)
    with pytest.raises(RuntimeError), journal.transaction() as tx:
        record = tx.append("TICKET", sale_payload(clock))
        tx.connection.execute("INSERT INTO outbox VALUES (?, 'pending')", (record.seq,))
        raise RuntimeError("printer caught fire before commit")
    assert _count(journal) == before
    assert journal.connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    assert sell(journal, clock).type_seq == 2  # no gap after the rollback


def test_numbering_is_gap_free_per_type_and_training_has_its_own_series(journal, clock):
    numbers = [sell(journal, clock).type_seq for _ in range(3)]
    training = [sell(journal, clock, training=True) for _ in range(2)]
    assert numbers == [1, 2, 3]
    assert [r.type_seq for r in training] == [1, 2] and all(r.training for r in training)
    assert sell(journal, clock).type_seq == 4
    seqs = [row[0] for row in journal.connection.execute("SELECT seq FROM journal ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [(lambda p: p.update(total_ttc=p["total_ttc"] + 1), "ticket incohérent"),
     (lambda p: p["lines"][0].update(total_vat=p["lines"][0]["total_vat"] + 1), "incohérent"),
     (lambda p: p.update(extra=1.5), "nombre à virgule"),
     (lambda p: p.update(extra=None), "null"),
     (lambda p: p.pop("training"), "training"),
     (lambda p: p.update(kind="VOID"), "ticket d'origine")],
)
def test_bad_tickets_are_refused_and_nothing_is_written(journal, clock, mutate, reason):
    payload = sale_payload(clock)
    mutate(payload)
    before = _count(journal)
    with pytest.raises(InvalidRecord, match=reason):
        journal.append("TICKET", payload)
    assert _count(journal) == before


def test_unknown_event_code_and_forged_closure_are_refused(journal):
    with pytest.raises(InvalidRecord, match="inconnu"):
        journal.event("COFFEE_BREAK")
    with pytest.raises(InvalidRecord, match="calculées"):
        journal.append("CLOSURE", {"level": "DAY"})


def test_clock_going_backwards_is_refused_and_journaled(journal, clock):
    sell(journal, clock)
    clock.advance(minutes=-10)
    tickets = _count(journal, "TICKET")
    with pytest.raises(ClockWentBackwards, match="horloge en arrière"):
        sell(journal, clock)
    assert _count(journal, "TICKET") == tickets
    anomaly = journal.last_record()
    assert anomaly.payload["code"] == "CLOCK_ANOMALY"
    clock.advance(seconds=-2)  # small slews are clamped, not refused
    clock.advance(minutes=10, seconds=-1)
    assert sell(journal, clock).created_utc >= anomaly.created_utc
    assert verify_database(journal.data_dir / DB_NAME, journal.data_dir / HEAD_NAME).ok


def test_a_ticket_in_a_closed_day_is_refused(journal, clock):
    sell(journal, clock)
    journal.close_day()
    with pytest.raises(BackdatedTicket, match="déjà clôturée"):
        sell(journal, clock)
    clock.advance(days=1)
    assert sell(journal, clock).payload["business_date"] == "2026-03-03"


def test_a_new_business_day_closes_the_previous_one_first(journal, clock):
    first = sell(journal, clock)
    clock.advance(hours=17, minutes=30)  # 03:30 Paris next night: still the same shop day
    assert sell(journal, clock).payload["business_date"] == first.payload["business_date"]
    assert not list(journal.closures("DAY"))
    clock.advance(hours=1)  # 04:30: past the cut-off
    sell(journal, clock)
    (day,) = journal.closures("DAY")
    assert day.payload["auto"] is True and day.payload["period"]["from"] == "2026-03-02"
    assert day.payload["counts"]["tickets"] == 2


def test_duplicates_are_counted_and_refer_to_the_ticket(journal, clock):
    ticket = sell(journal, clock)
    copies = [journal.duplicate(ticket.type_seq) for _ in range(2)]
    assert [c.payload["copy_no"] for c in copies] == [1, 2]
    assert copies[0].payload["of"]["hash"] == ticket.hash
    with pytest.raises(InvalidRecord, match="introuvable"):
        journal.duplicate(99)


def test_returns_reference_the_original_and_quantities_are_tracked(journal, clock):
    ticket = Ticket.open(clock()).add_line("P1", "Savon", 3000, 450, 2000)
    original = journal.append("TICKET", ticket_payload(
        validate(ticket, [Tender("CARD", 1350)], clock())))
    source = original_from_payload(original.payload, original.type_seq, original.hash)
    back = Ticket.return_of(source, clock()).return_line(1, 2000)
    journal.append("TICKET", ticket_payload(validate(back, [Tender("CASH", -900)], clock())))
    assert journal.returned_quantities(original.type_seq) == {1: 2000}
    forged = ticket_payload(validate(back, [Tender("CASH", -900)], clock()))
    forged["ref"]["hash"] = "00" * 32
    with pytest.raises(InvalidRecord, match="introuvable ou différent"):
        journal.append("TICKET", forged)


def test_start_detects_an_unclean_stop(tmp_path, clock):
    journal = new_journal(tmp_path, clock)
    journal.start()
    sell(journal, clock)
    journal.close()  # no stop(): the process "died"
    reopened = Journal.open(tmp_path, clock=clock)
    written = reopened.start()
    assert [r.payload["code"] for r in written] == ["UNCLEAN_STOP", "APP_START"]
    reopened.stop()
    reopened.close()
    again = Journal.open(tmp_path, clock=clock)
    assert [r.payload["code"] for r in again.start()] == ["APP_START"]
    again.close()


def test_open_refuses_a_journal_whose_tail_was_removed(tmp_path, clock):
    journal = new_journal(tmp_path, clock)
    for _ in range(3):
        sell(journal, clock)
    journal.close()
    raw = sqlite3.connect(tmp_path / DB_NAME)
    raw.execute("DROP TRIGGER journal_no_delete")
    raw.execute("DELETE FROM journal WHERE seq = (SELECT MAX(seq) FROM journal)")
    raw.commit()
    raw.close()
    with pytest.raises(JournalCorrupt, match="tronqué"):
        Journal.open(tmp_path, clock=clock)


def test_check_integrity_journals_its_result(journal, clock):
    sell(journal, clock)
    report = journal.check_integrity()
    assert report.ok
    event = journal.last_record()
    assert event.payload["code"] == "INTEGRITY_CHECK" and event.payload["details"]["ok"] is True


def test_records_after_streams_later_records_in_seq_order_across_pages(journal, clock,
                                                                      monkeypatch):
    monkeypatch.setattr(journal_reader, "PAGE", 2)  # several pages with a handful of records
    first = sell(journal, clock)
    later = [sell(journal, clock) for _ in range(3)]
    seen = list(journal.records_after(first.seq))
    assert [record.seq for record in seen] == [record.seq for record in later]
    assert [record.hash for record in seen] == [record.hash for record in later]
    assert seen[0].payload == later[0].payload and seen[0].rtype == "TICKET"
    assert list(journal.records_after(later[-1].seq)) == []
    streamed = journal.records_after(first.seq)
    assert next(streamed).seq == later[0].seq
    appended = sell(journal, clock)  # appending while iterating: nothing lost, no error
    assert [record.seq for record in streamed][-1] == appended.seq


def test_cash_session_records_run_from_the_last_opening_until_it_closes(journal, clock):
    assert list(journal.cash_session_records()) == []  # no session yet
    sell(journal, clock)  # sold before any session: not part of one
    journal.event("CASH_SESSION_OPEN", details={"float": 5000})
    journal.event("CASH_SESSION_CLOSE")
    assert list(journal.cash_session_records()) == []  # the last session is closed
    opening = journal.event("CASH_SESSION_OPEN", details={"float": 1000})
    ticket = sell(journal, clock)
    cash_in = journal.event("CASH_IN", details={"amount": 200, "reason": "monnaie"})
    journal.duplicate(ticket.type_seq)  # neither a ticket nor an event: no cash moved
    session = list(journal.cash_session_records())
    assert [record.seq for record in session] == [opening.seq, ticket.seq, cash_in.seq]
    assert session[0].payload["details"] == {"float": 1000}
    journal.event("CASH_SESSION_CLOSE")
    assert list(journal.cash_session_records()) == []
