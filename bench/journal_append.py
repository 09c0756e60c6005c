"""Latency of appending a typical ticket, committed and fsynced, and its size on disk.

Each ticket is appended the way the Till does it: one transaction writing the TICKET record
and an outbox row, committed (synchronous=FULL), then the head file written and fsynced.
Prints p50/p99/max in milliseconds (target p99 < 20 ms) and bytes per ticket (target < 2 KB):
the canonical payload alone, and the database growth per ticket (row, indexes, pages).

    .venv/bin/python bench/journal_append.py [--tickets 1000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.ledger.chain import canonical_bytes
from appliance.ledger.journal import DB_NAME, Journal
from bench.journal_common import typical_ticket


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=3, help="lines per ticket (default 3)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="data directory (default: a temporary one on /tmp's disk)",
    )
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="journal-append-"))
    now = [datetime(2026, 3, 2, 8, 0, tzinfo=UTC)]
    journal = Journal.initialise(
        base / "data",
        register="FR-12345678900011-C01",
        shop={"trade_name": "Bench"},
        software="bench",
        clock=lambda: now[0],
    )
    journal.connection.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, state TEXT)")
    journal.start()
    payload = typical_ticket(now[0], args.lines)
    db = base / "data" / DB_NAME

    def size() -> int:
        journal.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return db.stat().st_size

    before = size()
    latencies = []
    cpu_started = time.process_time()
    for _ in range(args.tickets):
        now[0] += timedelta(seconds=20)
        started = time.perf_counter()
        with journal.transaction() as tx:
            record = tx.append("TICKET", payload)
            tx.connection.execute("INSERT INTO outbox VALUES (?, 'pending')", (record.seq,))
        latencies.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.tickets
    grown = size() - before
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"tickets appended      : {args.tickets} (each: 1 transaction, fsync, head file);"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"append latency ms     : p50 {p50:.2f}  p99 {p99:.2f}  max {latencies[-1]:.2f}"
        f"  (target p99 < 20); CPU {cpu_ms:.2f} ms each, the rest is"
        " waiting for the disk (2 fsyncs)"
    )
    print(
        f"canonical payload     : {len(record.payload_text)} bytes ({len(payload['lines'])}"
        " lines, 2 VAT rates, split payment); other sizes: "
        + ", ".join(
            f"{n} lines {len(canonical_bytes(typical_ticket(now[0], n)))} B" for n in (1, 5, 10)
        )
    )
    print(
        f"database growth       : {grown / args.tickets:.0f} bytes per ticket incl. outbox row"
        " and indexes (target < 2048)"
    )
    journal.stop()
    journal.close()


if __name__ == "__main__":
    main()
