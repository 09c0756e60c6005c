"""Kill a process in the middle of appends: the journal keeps whole records only, verifies,
and the next start journals the unclean stop."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.ledger.journal import DB_NAME, HEAD_NAME, Journal
from appliance.ledger.verify import verify_database

from .journal_support import Clock, new_journal

CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from appliance.ledger.journal import Journal
    from tests.ledger.journal_support import Clock, sale_payload
    from datetime import datetime, UTC
    journal = Journal.open(Path(sys.argv[1]), clock=lambda: datetime.now(UTC))
    journal.start()
    sys.stdout.write("started\\n"); sys.stdout.flush()
    payload = sale_payload(Clock(datetime.now(UTC)), (450, 1290))
    while True:
        with journal.transaction() as tx:
            record = tx.append("TICKET", dict(payload))
            tx.connection.execute("INSERT INTO outbox VALUES (?)", (record.seq,))
        sys.stdout.write(f"{record.seq}\\n"); sys.stdout.flush()
""")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("commits", [5, 23, 61])
def test_kill_during_appends_then_verify_and_journal_the_unclean_stop(tmp_path, commits):
    journal = new_journal(tmp_path, Clock(datetime.now(UTC)))
    journal.connection.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY)")
    journal.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout.readline().strip() == "started"
    last_reported = 0
    for _ in range(commits):
        last_reported = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()

    report = verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME)
    assert report.ok, report.sentence()
    assert report.last_seq >= last_reported  # every reported commit survived
    reopened = Journal.open(tmp_path, clock=lambda: datetime.now(UTC))
    tickets = reopened.connection.execute(
        "SELECT COUNT(*) FROM journal WHERE rtype = 'TICKET'").fetchone()[0]
    outbox = reopened.connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert tickets == outbox  # ticket and outbox row: both or neither
    written = reopened.start()
    assert [r.payload["code"] for r in written] == ["UNCLEAN_STOP", "APP_START"]
    reopened.close()
    assert verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME).ok
