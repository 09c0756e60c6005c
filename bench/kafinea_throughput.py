"""Benchmark: sandbox throughput for `query` and `create` with 4 concurrent clients.

    .venv/bin/python bench/kafinea_throughput.py [--clients 4] [--seconds 10]

The sandbox runs in its own process; each client thread has its own session and keep-alive
connection. Prints requests per second and latency percentiles per operation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kafinea_pull import start_sandbox  # same folder: the pull benchmark's sandbox starter

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.vtql import cond, select


def measure(
    info: dict[str, str],
    clients: int,
    seconds: float,
    make_call: Callable[[KafineaClient, int], None],
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    clients_ = [
        KafineaClient(info["url"], info["username"], info["access_key"]) for _ in range(clients)
    ]
    for client in clients_:
        client.login()  # one after the other: same user, and a getchallenge replaces the token
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        with clients_[index] as client:
            mine = []
            n = 0
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                make_call(client, index * 1_000_000 + n)
                mine.append(time.perf_counter() - t0)
                n += 1
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies


def report(name: str, count: int, latencies: list[float], seconds: float) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(
        f"  {name:7} {count / seconds:7.0f} req/s   p50 {p50:5.1f} ms   p99 {p99:5.1f} ms"
        f"   ({count} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process = start_sandbox(Path(tmp), 5000)
        try:
            info = json.loads((Path(tmp) / "sandbox.json").read_text())
            with KafineaClient(info["url"], info["username"], info["access_key"]) as setup:
                account = setup.query(
                    select("Accounts").where(cond("accountname", "=", "Client comptoir"))
                )[0]["id"]
            categories = ["Boissons", "Crèmerie", "Hygiène", "Librairie"]

            def query(client: KafineaClient, n: int) -> None:
                client.query(
                    select("Products", "productname", "unit_price", "cf_853")
                    .where(cond("productcategory", "=", categories[n % 4]))
                    .order_by("id")
                    .limit(20, (n % 50) * 20)
                )

            def create(client: KafineaClient, n: int) -> None:
                client.create(
                    "CashTransactions",
                    {
                        "cashregister_id": "52x1",
                        "amount": "12.50",
                        "transaction_type": "Encaissement",
                        "description": f"bench {n} {account}",
                    },
                )

            print(f"{args.clients} clients, {args.seconds:g} s per operation, sandbox on loopback")
            for name, call in (("query", query), ("create", create)):
                count, latencies = measure(info, args.clients, args.seconds, call)
                report(name, count, latencies, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
