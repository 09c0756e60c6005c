"""Benchmark: full and incremental catalogue pulls from the sandbox (prints figures).

    .venv/bin/python bench/kafinea_pull.py [--sizes 10000 100000] [--workers 4]

The sandbox runs in its own process (as in production the server is elsewhere), seeded with
the demo shop plus N generated products. For each N it prints: a full pull (round trips,
seconds, products per second), an unchanged refresh (target: 1 round trip), and a refresh
after 10 products changed (target: at most 1 + 10 round trips).
Targets on loopback, 2 cores: 10,000 products < 30 s; 100,000 < 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from appliance.kafinea.catalog_pull import PullProgress, pull_catalog
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.schema import discover
from appliance.kafinea.vtql import cond, select


def start_sandbox(data: Path, products: int) -> subprocess.Popen[bytes]:
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
            "--products",
            str(products),
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()  # "sandbox: <url> ..." once it listens
    return process


def progress_printer(total_hint: int) -> Callable[[PullProgress], None]:
    """Print the pull's progress at most every two seconds."""
    last = [0.0]

    def show(p: PullProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 2:
            last[0] = now
            print(f"    listed {p.listed}/{total_hint}  taxes {p.fetched}/{p.to_fetch}", flush=True)

    return show


def run(size: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        t0 = time.monotonic()
        process = start_sandbox(data, size)
        print(f"N={size}: sandbox seeded and listening in {time.monotonic() - t0:.1f} s")
        try:
            info = json.loads((data / "sandbox.json").read_text())
            with KafineaClient(info["url"], info["username"], info["access_key"]) as client:
                schema = discover(client)
                show = progress_printer(size)
                full = pull_catalog(client, schema, progress=show, workers=workers)
                print(
                    f"  full pull: {full.listed} listed, {len(full.changed)} products,"
                    f" {full.round_trips} round trips, {full.seconds:.1f} s"
                    f" ({full.listed / full.seconds:.0f} products/s)"
                )
                known = {p.id: p.modifiedtime for p in full.changed}
                again = pull_catalog(client, schema, since=full.watermark, known_modified=known.get)
                print(
                    f"  unchanged refresh: {again.round_trips} round trip(s), {again.seconds:.3f} s"
                )
                time.sleep(1.1)  # a new second, so the edits are strictly newer
                rows = client.query(
                    select("Products").where(cond("productcategory", "=", "Boissons")).limit(10)
                )
                for row in rows:
                    client.revise({"id": row["id"], "qtyinstock": "7"})
                after = pull_catalog(client, schema, since=full.watermark, known_modified=known.get)
                print(
                    f"  refresh after {len(rows)} changes: {after.round_trips} round trips,"
                    f" {len(after.changed)} changed, {after.seconds:.3f} s"
                )
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.workers)


if __name__ == "__main__":
    main()
