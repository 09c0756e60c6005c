"""Verification speed and memory on a large journal (target: 1,000,000 records < 2 min).

Builds the journal once (cached under --dir): the INIT record through `Journal.initialise`,
then 300 typical tickets a day (one in a hundred voided, one in 150 reprinted, so that the
reference checks run too) with their DAY closure and the MONTH / YEAR closures, written
with the journal's own format functions (`ledger.chain`) and signed with the device key, in
large transactions so that building a million records takes about a minute rather than the
hours a fsync per record would cost. Every record is then checked by `verify_database`
exactly as `appliance journal verify` does, in a child process whose peak memory is read;
running on a 10x smaller journal shows whether memory stays flat.

    .venv/bin/python bench/journal_verify.py [--records 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import serialization

from appliance.ledger import chain
from appliance.ledger.device_key import SIGNATURE
from appliance.ledger.journal import DB_NAME, HEAD_NAME, KEY_NAME, Journal
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket
from bench.journal_common import typical_ticket

TICKETS_PER_DAY = 300
VOID_EVERY = 100  # a void of one ticket in a hundred: the reference checks run too
DUPLICATE_EVERY = 150  # a receipt reprinted for one ticket in 150
JOURNAL_FORMAT = "2"  # written into the cache's "complete" file: older caches are rebuilt
REGISTER = "FR-12345678900011-C01"


class Writer:
    """Appends records in the journal's format straight into SQLite (bench only)."""

    def __init__(self, data: Path) -> None:
        self.connection = sqlite3.connect(data / DB_NAME, isolation_level=None)
        self.connection.execute("PRAGMA synchronous = OFF")
        key = serialization.load_pem_private_key((data / KEY_NAME).read_bytes(), None)
        self.key = key
        self.key_id = json.loads(
            self.connection.execute("SELECT payload FROM journal WHERE seq = 1").fetchone()[0]
        )["key_id"]
        row = self.connection.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self.seq, self.last = row[0], bytes(row[1]).hex()
        self.types: dict[str, tuple[int, str]] = {}
        for rtype, type_seq, hash_ in self.connection.execute(
            "SELECT rtype, type_seq, hash FROM journal ORDER BY seq"
        ):
            self.types[rtype] = (type_seq, bytes(hash_).hex())
        self.rows: list[tuple] = []

    def write(self, rtype: str, payload: bytes, created: str) -> str:
        self.seq += 1
        type_seq, prev_type = self.types.get(rtype, (0, chain.ZERO_HASH))
        envelope = chain.envelope_bytes(
            seq=self.seq,
            rtype=rtype,
            training=False,
            type_seq=type_seq + 1,
            created_utc=created,
            register=REGISTER,
            prev_hash=self.last,
            prev_type_hash=prev_type,
            payload=payload,
        )
        digest = chain.record_hash(envelope)
        sig = self.key.sign(bytes.fromhex(digest), SIGNATURE)
        self.rows.append(
            (
                self.seq,
                rtype,
                0,
                type_seq + 1,
                created,
                payload.decode(),
                bytes.fromhex(self.last),
                bytes.fromhex(prev_type),
                bytes.fromhex(digest),
                sig,
                self.key_id,
                chain.FMT,
            )
        )
        self.last = digest
        self.types[rtype] = (type_seq + 1, digest)
        if len(self.rows) >= 20_000:
            self.flush()
        return digest

    def flush(self) -> None:
        self.connection.execute("BEGIN")
        self.connection.executemany(
            "INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", self.rows
        )
        self.connection.execute("COMMIT")
        self.rows = []


def void_payload(original: dict, number: int, digest: str, day: date) -> bytes:
    """The void of ticket `number`, refunded by card, as the till writes it."""
    moment = datetime.fromisoformat(original["closed_utc"].replace("Z", "+00:00"))
    source = original_from_payload(original, number, digest)
    void = validate(Ticket.void_of(source, moment), [Tender("CARD", -original["total_ttc"])],
                    moment)
    return chain.canonical_bytes({**ticket_payload(void), "business_date": day.isoformat()})


def write_day(writer: Writer, payload: bytes, day: date, moment: datetime) -> chain.Totals:
    """A day's tickets from `moment`, two seconds apart, with their voids and reprints; the
    totals its DAY closure must show."""
    parsed = json.loads(payload)
    totals = chain.Totals()
    for index in range(TICKETS_PER_DAY):
        created = (moment + timedelta(seconds=2 * index)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        digest = writer.write("TICKET", payload, created)
        number = writer.types["TICKET"][0]
        totals.add_ticket(parsed, False, number, digest)
        if index % VOID_EVERY == VOID_EVERY - 1:
            void = void_payload(parsed, number, digest, day)
            totals.add_ticket(json.loads(void), False, number + 1,
                              writer.write("TICKET", void, created))
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            duplicate = {"of": {"rtype": "TICKET", "type_seq": number, "hash": digest},
                         "copy_no": 1, "channel": "PRINT"}
            writer.write("DUPLICATE", chain.canonical_bytes(duplicate), created)
            totals.add_duplicate()
    return totals


def build(data: Path, records: int) -> None:
    start_day = date(2020, 1, 2)
    journal = Journal.initialise(
        data,
        register=REGISTER,
        shop={"trade_name": "Bench"},
        software="bench",
        tz="UTC",
        clock=lambda: datetime(2020, 1, 2, 7, 0, tzinfo=UTC),
    )
    journal.close()
    writer = Writer(data)
    base = typical_ticket(datetime(2020, 1, 2, 9, 0, tzinfo=UTC))
    last_closure: dict[str, tuple[dict, str]] = {}
    month, year = chain.Totals(), chain.Totals()
    day = start_day
    last_day_seq = 0
    while writer.seq < records:
        payload = chain.canonical_bytes({**base, "business_date": day.isoformat()})
        first_seq = last_day_seq + 1
        moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
        totals = write_day(writer, payload, day, moment)
        closing = (moment + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

        def close(
            level: str,
            sums: chain.Totals,
            start: date,
            end: date,
            *,
            closing: str = closing,
            first_seq: int = first_seq,
        ) -> chain.Totals:
            payload_dict = chain.closure_figures(
                sums,
                level=level,
                no=last_closure[level][0]["no"] + 1 if level in last_closure else 1,
                period_from=start,
                period_to=end,
                fy=start.year,
                previous=last_closure.get(level),
            )
            if level == "DAY":
                payload_dict["covers"] = {"first_seq": first_seq, "last_seq": writer.seq}
            payload_dict["auto"] = False
            digest = writer.write("CLOSURE", chain.canonical_bytes(payload_dict), closing)
            last_closure[level] = (payload_dict, digest)
            return chain.Totals()

        close("DAY", totals, day, day)
        last_day_seq = writer.seq
        month.add_closure(last_closure["DAY"][0], last_closure["DAY"][1])
        following = day + timedelta(days=1)
        if following.month != day.month:
            close("MONTH", month, *chain.month_bounds(day))
            month = chain.Totals()
            year.add_closure(last_closure["MONTH"][0], last_closure["MONTH"][1])
            if following.year != day.year:
                close("YEAR", year, date(day.year, 1, 1), date(day.year, 12, 31))
                year = chain.Totals()
        day = following
    writer.flush()
    row = writer.connection.execute("SELECT * FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    head = {
        "seq": row[0],
        "hash": bytes(row[8]).hex(),
        "sig": bytes(row[9]).hex(),
        "created_utc": row[4],
    }
    (data / HEAD_NAME).write_text(json.dumps(head))
    writer.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.connection.close()


def measure(data: Path, workers: int) -> dict:
    """Verify in a child process; return its duration, result and peak memory."""
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from appliance.ledger.verify import verify_database\n"
        "data = Path(sys.argv[1])\n"
        "started = time.perf_counter()\n"
        "report = verify_database(data / 'journal.sqlite', data / 'journal-head.json',"
        " workers=int(sys.argv[2]))\n"
        "seconds = time.perf_counter() - started\n"
        "me = resource.getrusage(resource.RUSAGE_SELF)\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'seconds': seconds, 'ok': report.ok, 'records': report.records,"
        " 'failure': report.failure, 'rss_mb': me.ru_maxrss / 1024,"
        " 'workers_rss_mb': kids.ru_maxrss / 1024, 'cpu_main': me.ru_utime + me.ru_stime,"
        " 'cpu_workers': kids.ru_utime + kids.ru_stime}))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(workers)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/appliance-bench-journal"))
    args = parser.parse_args()
    sizes = [args.records // 10, args.records]
    for size in sizes:
        data = args.dir / str(size)
        complete = data / "complete"
        if not complete.exists() or complete.read_text() != JOURNAL_FORMAT:
            shutil.rmtree(data, ignore_errors=True)
            started = time.perf_counter()
            # Built in a spawned process: a child forked from a parent grown by the build
            # would report the parent's size as its own peak memory.
            builder = multiprocessing.get_context("spawn").Process(target=build, args=(data, size))
            builder.start()
            builder.join()
            if builder.exitcode != 0:
                sys.exit(f"building the {size}-record journal failed")
            complete.write_text(JOURNAL_FORMAT)
            print(
                f"built {size} records in {time.perf_counter() - started:.0f} s"
                f" ({(data / DB_NAME).stat().st_size / 1e6:.0f} MB)"
            )
    for size in sizes:
        result = measure(args.dir / str(size), args.workers)
        rate = result["records"] / result["seconds"]
        # What idle cores would take: the busiest process, or all CPU spread over the cores.
        cores = os.cpu_count() or 1
        idle = max(result["cpu_main"], result["cpu_workers"] / max(args.workers, 1),
                   (result["cpu_main"] + result["cpu_workers"]) / cores)
        print(
            f"verify {result['records']:>9} records: {result['seconds']:6.1f} s wall,"
            f" {rate:8.0f} records/s, ok={result['ok']} {result['failure']}"
        )
        print(
            f"    CPU: main {result['cpu_main']:.1f} s, workers"
            f" {result['cpu_workers']:.1f} s -> about {idle:.0f} s"
            f" ({result['records'] / idle:.0f} records/s) on {args.workers} idle cores"
            f" | peak RSS main {result['rss_mb']:.0f} MB, worker"
            f" {result['workers_rss_mb']:.0f} MB | load {os.getloadavg()[0]:.1f}"
        )
    print("target: 1,000,000 records in under 120 s with flat memory")


if __name__ == "__main__":
    main()
