"""Tampering through a raw SQLite connection: `verify` must fail at the right record."""

import gc
import json
import sqlite3

import pytest

from appliance.ledger import chain, verify
from appliance.ledger.journal import DB_NAME, HEAD_NAME, Journal
from appliance.ledger.journal_head import write_head
from appliance.ledger.verify import verify_database
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket

from .journal_support import Clock, new_journal, sale_payload, sell


@pytest.fixture
def data(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    journal.start()
    for _day in range(3):
        for price in (450, 1290, 305):
            sell(journal, clock, (price,))
            clock.advance(minutes=7)
        clock.advance(days=1)
    journal.duplicate(2)
    journal.stop()
    journal.close()
    return tmp_path


def _raw(data):
    raw = sqlite3.connect(data / DB_NAME, isolation_level=None)
    raw.execute("DROP TRIGGER IF EXISTS journal_no_update")
    raw.execute("DROP TRIGGER IF EXISTS journal_no_delete")
    return raw


def _verify(data):
    return verify_database(data / DB_NAME, data / HEAD_NAME)


def _ticket_seq(raw, number):
    return raw.execute("SELECT seq FROM journal WHERE rtype = 'TICKET' AND type_seq = ?",
                       (number,)).fetchone()[0]


def test_the_untouched_journal_verifies(data):
    report = _verify(data)
    assert report.ok, report.sentence()
    assert report.counts["CLOSURE"] == 2 and report.counts["DUPLICATE"] == 1


def test_edited_label_fails_at_that_record(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 4)
    raw.execute("UPDATE journal SET payload = replace(payload, 'Savon', 'Sav0n') WHERE seq = ?",
                (seq,))
    report = _verify(data)
    assert (report.ok, report.failure_seq) == (False, seq)
    assert "hash recalculé" in report.failure


def test_non_canonical_rewrite_fails_even_with_the_same_meaning(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 2)
    raw.execute("UPDATE journal SET payload = replace(payload, ',', ', ') WHERE seq = ?", (seq,))
    report = _verify(data)
    assert report.failure_seq == seq and "non canonique" in report.failure


def test_deleted_middle_record_fails_where_it_was(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 5)
    raw.execute("DELETE FROM journal WHERE seq = ?", (seq,))
    report = _verify(data)
    assert report.failure_seq == seq and "manquant" in report.failure


def test_swapped_records_fail_at_the_first_of_them(data):
    raw = _raw(data)
    a, b = _ticket_seq(raw, 2), _ticket_seq(raw, 3)
    raw.execute("UPDATE journal SET seq = -1 WHERE seq = ?", (a,))
    raw.execute("UPDATE journal SET seq = ? WHERE seq = ?", (a, b))
    raw.execute("UPDATE journal SET seq = ? WHERE seq = -1", (b,))
    report = _verify(data)
    assert report.failure_seq == a and "chaînage" in report.failure


def test_truncated_tail_is_detected_by_the_head_file(data):
    raw = _raw(data)
    last = raw.execute("SELECT MAX(seq) FROM journal").fetchone()[0]
    raw.execute("DELETE FROM journal WHERE seq >= ?", (last - 1,))
    report = _verify(data)
    assert report.failure_seq == last - 1 and "tronqué" in report.failure
    (data / HEAD_NAME).unlink()
    assert "tête absent" in _verify(data).failure


def test_borrowed_signature_and_changed_key_id_fail(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 6)
    raw.execute("UPDATE journal SET sig = (SELECT sig FROM journal WHERE seq = 2) WHERE seq = ?",
                (seq,))
    report = _verify(data)
    assert report.failure_seq == seq and "signature" in report.failure
    raw.execute("UPDATE journal SET key_id = 'deadbeefdeadbeef' WHERE seq = 3")
    assert _verify(data).failure_seq == 3


def test_resigned_forgery_with_the_device_key_still_fails_the_arithmetic(data):
    """Even the key holder cannot change a total without breaking the VAT arithmetic."""
    journal = Journal.open(data, clock=Clock())
    last = journal.last_record()
    journal.close()
    raw = _raw(data)
    payload = sale_payload(Clock())
    payload["total_ttc"] = 1
    payload["business_date"] = "2026-03-04"
    text = chain.canonical_bytes(payload)
    type_row = raw.execute("SELECT type_seq, hash FROM journal WHERE rtype = 'TICKET'"
                           " ORDER BY type_seq DESC LIMIT 1").fetchone()
    envelope = chain.envelope_bytes(
        seq=last.seq + 1, rtype="TICKET", training=False, type_seq=type_row[0] + 1,
        created_utc=last.created_utc, register="FR-12345678900011-C01", prev_hash=last.hash,
        prev_type_hash=bytes(type_row[1]).hex(), payload=text)
    digest = chain.record_hash(envelope)
    journal = Journal.open(data, clock=Clock())
    sig = journal.sign_digest(bytes.fromhex(digest))
    raw.execute("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (last.seq + 1, "TICKET", 0, type_row[0] + 1, last.created_utc, text.decode(),
                 bytes.fromhex(last.hash), bytes(type_row[1]), bytes.fromhex(digest), sig,
                 last.key_id, 1))
    forged = journal.record(last.seq + 1)
    write_head(data / HEAD_NAME, forged)
    journal.close()
    report = _verify(data)
    assert report.failure_seq == last.seq + 1 and "incohérent" in report.failure


def test_parallel_signature_check_reports_the_first_bad_record(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    payload = sale_payload(clock)
    with journal.transaction() as tx:
        for _ in range(4800):
            tx.append("TICKET", dict(payload))
    journal.close()
    assert verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME, workers=2).ok
    raw = _raw(tmp_path)
    raw.execute("UPDATE journal SET sig = (SELECT sig FROM journal WHERE seq = 2)"
                " WHERE seq IN (4100, 4700)")
    report = verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME, workers=2)
    assert (report.failure_seq, report.failure) == (4100, "signature invalide")
    raw.execute("DELETE FROM journal WHERE seq = 4600")  # a later, sequential fault
    assert verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME,
                           workers=2).failure_seq == 4100
    assert json.loads((tmp_path / HEAD_NAME).read_text())["seq"] == 4801


@pytest.mark.parametrize(("bad_signature", "edited", "first", "reason"), [
    (30, 60, 30, "signature invalide"),
    (60, 30, 30, "hash recalculé différent : contenu ou en-tête modifié"),
])
def test_signatures_checked_after_their_batch_still_report_the_first_fault(
        tmp_path, bad_signature, edited, first, reason):
    """A worker checks a batch's signatures after its other checks (cache-friendlier): a
    later record's fault must not hide an earlier bad signature, nor the reverse."""
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    with journal.transaction() as tx:
        for _ in range(100):
            tx.append("TICKET", sale_payload(clock))
    journal.close()
    raw = _raw(tmp_path)
    raw.execute("UPDATE journal SET sig = (SELECT sig FROM journal WHERE seq = 2)"
                " WHERE seq = ?", (bad_signature,))
    raw.execute("UPDATE journal SET payload = replace(payload, 'Savon', 'Sav0n') WHERE seq = ?",
                (edited,))
    for workers in (1, 2):
        report = verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME, workers=workers)
        assert (report.failure_seq, report.failure) == (first, reason)


def test_the_cycle_collector_runs_again_after_a_verification(data):
    """Verification pauses it for speed; the caller's process must get it back, intact
    journal or not."""
    assert _verify(data).ok and gc.isenabled()
    _raw(data).execute("DELETE FROM journal WHERE seq = 5")
    assert not _verify(data).ok and gc.isenabled()


def test_progress_is_reported_while_verifying(data, monkeypatch):
    monkeypatch.setattr(verify, "PROGRESS_EVERY", 5)
    seen = []
    assert verify.verify_database(data / DB_NAME, data / HEAD_NAME, progress=seen.append).ok
    assert seen[:2] == [5, 10]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_float_amount_is_refused_as_non_canonical_not_just_as_a_hash_mismatch(data, workers):
    raw = _raw(data)
    seq = _ticket_seq(raw, 5)
    raw.execute("UPDATE journal SET payload = replace(payload, '\"rounding\":0',"
                " '\"rounding\":0.0') WHERE seq = ?", (seq,))
    report = verify_database(data / DB_NAME, data / HEAD_NAME, workers=workers)
    assert report.failure_seq == seq and "non canonique" in report.failure


def test_an_impossible_timestamp_is_unreadable(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 3)
    raw.execute("UPDATE journal SET created_utc = '2026-13-45T09:00:00.000Z' WHERE seq = ?",
                (seq,))
    report = _verify(data)
    assert report.failure_seq == seq and "horodatage illisible" in report.failure


def test_a_hash_rewritten_as_text_is_a_broken_chain_not_a_crash(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 2)
    raw.execute("UPDATE journal SET prev_hash = lower(hex(prev_hash)) WHERE seq = ?", (seq,))
    report = _verify(data)
    assert (report.ok, report.failure_seq) == (False, seq)
    assert "chaînage rompu" in report.failure


def test_a_payload_that_is_not_utf8_is_unreadable_not_a_crash(data):
    raw = _raw(data)
    seq = _ticket_seq(raw, 3)
    raw.execute("UPDATE journal SET payload = CAST(X'7B22FF223A317D' AS TEXT) WHERE seq = ?",
                (seq,))
    report = _verify(data)
    assert (report.ok, report.failure_seq) == (False, seq)
    assert "illisible" in report.failure


def _append_resigned(data, rtype, payload, *, training=0):
    """Append a record the way only the key holder could: chained and signed (so that only
    the checks across records can catch what is wrong with it)."""
    journal = Journal.open(data, clock=Clock())
    last = journal.last_record()
    raw = _raw(data)
    type_row = raw.execute("SELECT type_seq, hash FROM journal WHERE rtype = ? AND training = ?"
                           " ORDER BY type_seq DESC LIMIT 1", (rtype, training)).fetchone()
    type_seq, prev_type_hash = (type_row[0] + 1, bytes(type_row[1]).hex()) if type_row else (
        1, chain.ZERO_HASH)
    text = chain.canonical_bytes(payload)
    digest = chain.record_hash(chain.envelope_bytes(
        seq=last.seq + 1, rtype=rtype, training=bool(training), type_seq=type_seq,
        created_utc=last.created_utc, register=journal.settings.register,
        prev_hash=last.hash, prev_type_hash=prev_type_hash, payload=text))
    raw.execute("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (last.seq + 1, rtype, training, type_seq, last.created_utc, text.decode(),
                 bytes.fromhex(last.hash), bytes.fromhex(prev_type_hash),
                 bytes.fromhex(digest), journal.sign_digest(bytes.fromhex(digest)),
                 last.key_id, 1))
    write_head(data / HEAD_NAME, journal.record(last.seq + 1))
    journal.close()
    return last.seq + 1


def _void_of_first_ticket(data):
    clock = Clock()
    journal = Journal.open(data, clock=clock)
    clock.now = chain.parse_utc(journal.last_record().created_utc)
    original = journal.ticket(1)
    journal.close_day()  # the void is sold on the next day, as the journal would
    day = journal.settings.business_date(journal.last_record().created_utc)
    journal.close()
    source = original_from_payload(original.payload, original.type_seq, original.hash)
    void = validate(Ticket.void_of(source, Clock()()), [Tender("CARD", -450)], Clock()())
    return ticket_payload(void) | {"business_date": day.isoformat()}


@pytest.mark.parametrize("workers_and_ref_batch", [(1, None), (2, 1)])
@pytest.mark.parametrize(("edit", "reason"), [
    (lambda ref: ref.update(hash="0" * 64), "référence au ticket n° 1 introuvable ou différente"),
    (lambda ref: ref.update(type_seq=99), "référence au ticket d'origine invalide"),
])
def test_a_void_pointing_at_a_wrong_ticket_fails_at_the_void(data, edit, reason,
                                                             workers_and_ref_batch, monkeypatch):
    """References are checked at the end, or as they accumulate (`ref_batch`)."""
    workers, ref_batch = workers_and_ref_batch
    monkeypatch.setattr(verify.DatabaseSource, "ref_batch", ref_batch)
    payload = _void_of_first_ticket(data)
    edit(payload["ref"])
    seq = _append_resigned(data, "TICKET", payload)
    report = verify_database(data / DB_NAME, data / HEAD_NAME, workers=workers)
    assert (report.failure_seq, report.failure) == (seq, reason)


@pytest.mark.parametrize("ref_batch", [None, 1])
def test_a_true_void_verifies(data, ref_batch, monkeypatch):
    monkeypatch.setattr(verify.DatabaseSource, "ref_batch", ref_batch)
    _append_resigned(data, "TICKET", _void_of_first_ticket(data))
    assert _verify(data).ok


def test_a_bad_reference_is_reported_before_a_later_fault(data):
    """References are checked in bulk, after the records that follow them: a later record's
    fault must not hide an earlier bad reference."""
    payload = _void_of_first_ticket(data)
    payload["ref"]["hash"] = "0" * 64
    void_seq = _append_resigned(data, "TICKET", payload)
    later = _append_resigned(data, "TICKET", _void_of_first_ticket(data))
    _raw(data).execute("UPDATE journal SET payload = replace(payload, 'Savon', 'Sav0n')"
                       " WHERE seq = ?", (later,))
    report = _verify(data)
    assert (report.failure_seq, report.failure) == (
        void_seq, "référence au ticket n° 1 introuvable ou différente")


@pytest.mark.parametrize(("copy_no", "of_hash", "reason"), [
    (3, None, "numéro de duplicata 3 hors séquence"),
    (2, "f" * 64, "référence au ticket n° 2 introuvable ou différente"),
])
def test_a_duplicate_out_of_sequence_or_of_another_ticket_fails(data, copy_no, of_hash, reason):
    journal = Journal.open(data, clock=Clock())
    first = next(r for r in journal.records_after(0) if r.rtype == "DUPLICATE")  # of ticket 2
    journal.close()
    payload = dict(first.payload, copy_no=copy_no)
    if of_hash:
        payload["of"] = dict(payload["of"], hash=of_hash)
    seq = _append_resigned(data, "DUPLICATE", payload)
    assert (_verify(data).failure_seq, _verify(data).failure) == (seq, reason)
