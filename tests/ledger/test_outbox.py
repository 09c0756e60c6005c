import sqlite3

import pytest

from appliance.ledger.outbox import (
    Kind,
    Outbox,
    OutboxError,
    Status,
    enqueue,
    ensure_schema,
)


@pytest.fixture
def db(tmp_path):
    conn = sqlite3.connect(tmp_path / "journal.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    ensure_schema(conn)
    yield conn
    conn.close()


def add(db, ref, kind=Kind.TICKET, payload=None):
    db.execute("BEGIN")
    row_id = enqueue(db, kind=kind, ref=ref, payload=payload or {"n": ref}, created_at="t0")
    db.execute("COMMIT")
    return row_id


def test_rows_come_out_in_order_and_only_pending(db):
    first = add(db, "C1-T1")
    second = add(db, "C1-T2", Kind.CASH)
    box = Outbox(db)
    assert box.head().id == first
    box.mark_done(first, {"invoice": "7x1"}, "t1")
    head = box.head()
    assert (head.id, head.kind, head.payload) == (second, Kind.CASH, {"n": "C1-T2"})
    assert box.pending_count() == 1
    box.mark_done(second, {}, "t2")
    assert box.head() is None
    assert box.get(first).progress == {"invoice": "7x1"}


def test_enqueue_rolls_back_with_the_callers_transaction(db):
    db.execute("BEGIN")
    enqueue(db, kind=Kind.TICKET, ref="C1-T1", payload={}, created_at="t0")
    db.execute("ROLLBACK")
    assert Outbox(db).head() is None


def test_a_reference_is_queued_once(db):
    add(db, "C1-T1")
    db.execute("BEGIN")
    with pytest.raises(OutboxError, match="C1-T1"):
        enqueue(db, kind=Kind.TICKET, ref="C1-T1", payload={}, created_at="t0")
    db.execute("ROLLBACK")
    assert Outbox(db).pending_count() == 1


def test_progress_survives_a_new_connection(db, tmp_path):
    row_id = add(db, "C1-T1")
    Outbox(db).save_progress(row_id, {"invoice": {"intent": True}}, "t1")
    other = sqlite3.connect(tmp_path / "journal.sqlite")
    assert Outbox(other).get(row_id).progress == {"invoice": {"intent": True}}
    other.close()


def test_deferred_row_stays_at_the_head_with_its_error(db):
    row_id = add(db, "C1-T1")
    add(db, "C1-T2")
    box = Outbox(db)
    box.defer(row_id, error="délai dépassé", next_attempt_at=123.5, at="t1")
    head = box.head()
    assert (head.id, head.attempts, head.last_error, head.next_attempt_at) == (
        row_id,
        1,
        "délai dépassé",
        123.5,
    )


def test_failed_rows_leave_the_queue_but_are_kept_and_retried(db):
    row_id = add(db, "C1-T1")
    later = add(db, "C1-T2")
    box = Outbox(db)
    box.save_progress(row_id, {"invoice": "7x9"}, "t1")
    box.mark_failed(row_id, reason="MANDATORY_FIELDS_MISSING: bill_street", at="t2")
    assert box.head().id == later
    assert (box.pending_count(), box.failed_count()) == (1, 1)
    [failed] = box.failed()
    assert (failed.ref, failed.status, failed.last_error) == (
        "C1-T1",
        Status.FAILED,
        "MANDATORY_FIELDS_MISSING: bill_street",
    )
    box.retry(row_id, "t3")
    assert box.head().id == row_id
    assert box.get(row_id).progress == {"invoice": "7x9"}  # ids already obtained are kept
    with pytest.raises(OutboxError):
        box.retry(row_id, "t4")


def test_unknown_rows_are_refused(db):
    box = Outbox(db)
    with pytest.raises(OutboxError):
        box.get(42)
    with pytest.raises(OutboxError):
        box.mark_done(42, {}, "t")
    assert box.by_ref("nope") is None
