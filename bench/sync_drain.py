"""Delivery to Kafinea: HTTP round trips per ticket, and time to drain a queue.

Against the sandbox on loopback with injected latency (default 50 ms per request):
- round trips for one one-tender sale (target: 3 or fewer, the read-back check included;
  the login is counted apart, it happens once per session);
- seconds to drain N queued tickets (default 1,000) sold while Kafinea was away, delivered
  in order by one worker (one connection, as the exactly-once rule wants).

    .venv/bin/python bench/sync_drain.py [--tickets 1000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.config import load_config, write_access_key
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.till.bootstrap import build_till


def config_file(base: Path, sandbox) -> Path:
    key = write_access_key(base / "kafinea.key", sandbox.access_key)
    path = base / "appliance.toml"
    path.write_text(
        f'data_dir = "{base / "data"}"\n[kafinea]\nurl = "{sandbox.url}"\n'
        f'username = "{sandbox.username}"\nregister = "{sandbox.register}"\n'
        f'access_key_file = "{key}"\n',
        encoding="utf-8",
    )
    return path


def sell(till, rng: random.Random, products) -> None:
    for product in rng.sample(products, rng.randint(1, 4)):
        till.add_product(product.id)
    till.pay("CARD", till.ticket().totals.total_ttc_cents)
    till.validate(print_receipt=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp) / "sb") as sandbox:
        till = build_till(load_config(config_file(Path(tmp), sandbox)), start_sync=False)
        client = till._p.sync._client
        till.open_session(0)
        till.set_seller(till.sellers()[0])
        products = [p for c in till.categories() for p in till.products_in(c.name)]
        till.sync_once()  # the float, and the login
        sandbox.set_faults(latency_ms=args.latency_ms)
        sell(till, rng, products)
        before = client.round_trips
        till.sync_once()
        print(
            f"round trips for a one-tender sale: {client.round_trips - before}"
            f" (create, finalising revise = read-back check, payment)"
        )
        for _ in range(args.tickets):
            sell(till, rng, products)
        before, started = client.round_trips, time.perf_counter()
        report = till.sync_once()
        elapsed = time.perf_counter() - started
        trips = client.round_trips - before
        print(
            f"drained {report.delivered} tickets in {elapsed:.1f} s with"
            f" {args.latency_ms} ms latency: {trips / max(1, report.delivered):.2f} round trips"
            f" and {elapsed / max(1, report.delivered) * 1000:.0f} ms per ticket,"
            f" {report.pending} left"
        )
        till.close()


if __name__ == "__main__":
    main()
