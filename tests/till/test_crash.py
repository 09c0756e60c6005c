"""Crash loop: a child process sells and syncs while it is killed with SIGKILL, over and over.

The sandbox (with a little latency, so kills land inside deliveries too) runs in its own
process; each child (forked from this single-threaded test, so a restart costs milliseconds,
not the imports) builds the Till from the same configuration and data directory, sells a
ticket, delivers, sells again... and is killed at a random instant or, on some rounds, exactly
when an invoice exists in Kafinea but its payment does not yet. At the end one clean pass
delivers what is left, and Kafinea must hold exactly one invoice per journaled ticket, with the
ticket's total and payments equal to its tenders; the journal must verify.
"""

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from appliance.kafinea.documents import tender_amounts
from appliance.pos.references import register_code, ticket_ref
from tests.till.helpers import new_till, shop_of, write_config

ROOT = Path(__file__).resolve().parent.parent
TARGET_TICKETS = 200
SELLER = "Marie Dupont"


def child(config_path: str, seed: int, ready_fd: int) -> None:
    """Sell and deliver forever (until killed); one byte on `ready_fd` once selling starts."""
    rng = random.Random(seed)
    till = new_till(Path(config_path))
    if till.status().session.state.value == "closed":
        till.open_session(10_000)
    products = [p for c in till.categories() for p in till.products_in(c.name)]
    till.set_seller(SELLER)
    os.write(ready_fd, b"r")
    sold = 0
    while True:
        if not till.ticket().is_empty:
            till.clear_ticket()
        for product in rng.sample(products, rng.randint(1, 3)):
            till.add_product(product.id)
        total = till.ticket().totals.total_ttc_cents
        if rng.random() < 0.5:
            till.pay("CASH", total + rng.choice((0, 50, 1000)))
        else:
            part = rng.randint(1, total)
            till.pay("CARD", part)
            if part < total:
                till.pay("CASH", total - part)
        till.validate(print_receipt=False)
        sold += 1
        if sold % 2 == 0:
            till.sync_once()


def spawn(config: Path, seed: int) -> int:
    """A forked child (the heavy imports are already done: a restart costs milliseconds)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_fd)
        try:
            child(str(config), seed, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    ready, _, _ = select.select([read_fd], [], [], 30)
    got = os.read(read_fd, 1) if ready else b""
    os.close(read_fd)
    if got != b"r":
        kill(pid)
        pytest.fail("the child did not start selling")
    return pid


def journal_db(config: Path) -> Path:
    return config.parent / "data" / "journal.sqlite"


def count_tickets(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM journal WHERE rtype = 'TICKET'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def invoice_without_payment(db: Path) -> bool:
    """An outbox row whose invoice exists in Kafinea but whose first payment does not."""
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        for (progress,) in conn.execute("SELECT progress FROM outbox WHERE status = 'pending'"):
            data = json.loads(progress)
            if "id" in data.get("invoice", {}) and "id" not in data.get("payment.0", {}):
                return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return False


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@contextmanager
def sandbox_process(data: Path):
    """The sandbox in its own process, so this one stays single-threaded and can fork."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appliance",
            "sandbox",
            "--port",
            "0",
            "--data",
            str(data),
            "--faults",
            "latency=5",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    info = data / "sandbox.json"
    deadline = time.monotonic() + 30
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        details = json.loads(info.read_text())
        yield SimpleNamespace(**details)
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow
def test_sigkill_anywhere_never_loses_nor_doubles_a_ticket(tmp_path):
    rng = random.Random(7)
    with sandbox_process(tmp_path / "sandbox") as sandbox:
        config = write_config(tmp_path, sandbox)
        new_till(config).close()  # first start: journal, catalogue pulled once
        db = journal_db(config)
        rounds = targeted = 0
        started = time.monotonic()
        while count_tickets(db) < TARGET_TICKETS and time.monotonic() - started < 120:
            rounds += 1
            pid = spawn(config, rounds)
            if rounds % 3 == 0:  # aim between the invoice and its payment
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and not invoice_without_payment(db):
                    time.sleep(0.002)
                targeted += invoice_without_payment(db)
            else:
                time.sleep(rng.uniform(0.5, 3.0))
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                pytest.fail("the child died on its own (see its traceback above)")
            kill(pid)
        assert count_tickets(db) >= TARGET_TICKETS, f"only {count_tickets(db)} in {rounds} rounds"
        assert targeted >= 1
        till = new_till(config)
        try:
            for _ in range(5):
                if till.sync_once().pending == 0:
                    break
            assert till.sync_status().pending == 0 and till.sync_status().failed == 0
            assert till.journal_verify().ok
            check_kafinea(till, shop_of(sandbox))
        finally:
            till.close()


def check_kafinea(till, shop) -> None:
    code = register_code(till._p.journal.settings.register)
    journaled = {}
    for row in till._p.journal.connection.execute(
        "SELECT type_seq, payload FROM journal WHERE rtype = 'TICKET' AND training = 0"
    ):
        journaled[ticket_ref(code, row[0])] = json.loads(row[1])
    invoices = shop.all("Invoice", "hdnGrandTotal", "cf_ticket_ref")
    refs = [invoice["cf_ticket_ref"] for invoice in invoices]
    assert len(refs) == len(set(refs)), "a ticket was invoiced twice"
    assert set(refs) == set(journaled), "a ticket is missing in Kafinea (or one is unknown)"
    payments = {}
    for payment in shop.all("Payments", "amount", "related_to", "payment_method"):
        payments.setdefault(payment["related_to"], []).append(payment)
    for invoice in invoices:
        payload = journaled[invoice["cf_ticket_ref"]]
        total = Decimal(invoice["hdnGrandTotal"]).quantize(Decimal("0.01"))
        assert total * 100 == payload["total_ttc"] + payload["rounding"]
        paid = sorted(Decimal(p["amount"]) * 100 for p in payments.get(invoice["id"], []))
        assert paid == sorted(Decimal(cents) for _, cents in tender_amounts(payload))
