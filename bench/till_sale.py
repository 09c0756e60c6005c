"""The Till at 100,000 products: scan-to-line, search-as-you-type, validate, memory.

- scan-to-line: `Till.scan(code)` (check digit, barcode index, line added, ticket view
  returned); tickets are cleared every 20 lines, as real ones are (not timed). Target p99 < 5 ms.
- search-as-you-type: `Till.search(prefix)` for each keystroke of real-looking words.
  Target p99 < 30 ms.
- validate: a 5-line ticket paid in cash, from the press to the journal committed (fsync) and
  the receipt bytes handed to the printer (a `file:` printer: rendering included, paper not).
  Target p99 < 50 ms.
- memory: RSS of a fresh process that opens the Till over the cached 100,000 products and
  sells and searches. Target < 150 MB.

    .venv/bin/python bench/till_sale.py [--products 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.config import load_config
from appliance.ledger.catalog import Catalog, CatalogProduct
from appliance.pos.barcode import check_digit
from appliance.till.bootstrap import build_till

WORDS = [
    "pain",
    "baguette",
    "croissant",
    "confiture",
    "fraise",
    "abricot",
    "lait",
    "yaourt",
    "fromage",
    "comté",
    "brie",
    "camembert",
    "jambon",
    "saucisson",
    "tomate",
    "carotte",
    "pomme",
    "poire",
    "banane",
    "chocolat",
    "noir",
    "blanc",
    "caramel",
    "beurre",
    "salé",
    "crème",
    "brûlée",
    "tarte",
    "citron",
    "orange",
    "jus",
    "eau",
    "gazeuse",
    "vin",
    "rouge",
    "rosé",
    "bière",
    "blonde",
    "ambrée",
    "café",
    "thé",
    "vert",
    "menthe",
    "sucre",
    "farine",
    "riz",
    "pâtes",
    "huile",
    "olive",
    "vinaigre",
    "moutarde",
    "sel",
    "poivre",
]
CATEGORIES = ("Épicerie salée", "Épicerie sucrée", "Boissons", "Crèmerie", "Hygiène")


def barcode(n: int) -> str:
    body = f"379{n:09d}"
    return body + check_digit(body)


def fill(catalog_path: Path, count: int) -> None:
    rng = random.Random(1)
    catalog = Catalog(catalog_path)
    catalog.apply(
        CatalogProduct(
            id=f"14x{n}",
            name=" ".join(rng.choice(WORDS) for _ in range(3)).capitalize() + f" {n}",
            category=CATEGORIES[n % len(CATEGORIES)],
            vat_bp=550 if n % 3 else 2000,
            price_ttc=50 + n % 5000,
            price_ht=45 + n % 5000,
            code=f"REF-{n:06d}",
            barcode=barcode(n),
        )
        for n in range(count)
    )
    catalog.close()


def config_file(base: Path) -> Path:
    path = base / "appliance.toml"
    path.write_text(
        f'data_dir = "{base / "data"}"\n[printer]\nconnection = "file:{base / "paper.bin"}"\n'
        '[register]\npayment_methods = ["Espèces", "Carte bancaire"]\n',
        encoding="utf-8",
    )
    return path


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms (n={len(ordered)})"


def bench(base: Path, count: int) -> None:
    till = build_till(load_config(config_file(base)), start_sync=False)
    rng = random.Random(2)
    till.open_session(10_000)
    scans = []
    for i in range(3000):
        code = barcode(rng.randrange(count))
        started = time.perf_counter()
        till.scan(code)
        scans.append(time.perf_counter() - started)
        if i % 20 == 19:
            till.clear_ticket()
    print(f"scan-to-line at {count} products: {percentiles(scans)}")
    keystrokes = []
    for _ in range(300):
        word = " ".join(rng.sample(WORDS, 2))
        for end in range(1, len(word) + 1):
            started = time.perf_counter()
            till.search(word[:end], 50)
            keystrokes.append(time.perf_counter() - started)
    print(f"search-as-you-type: {percentiles(keystrokes)}")
    validations = []
    for _ in range(300):
        for _ in range(5):
            till.scan(barcode(rng.randrange(count)))
        till.pay("CASH", till.ticket().totals.total_ttc_cents + 500)
        started = time.perf_counter()
        till.validate()
        validations.append(time.perf_counter() - started)
    print(f"validate (journal fsync + receipt bytes to the printer): {percentiles(validations)}")
    till.close()


def rss_child(base: Path) -> None:
    till = build_till(load_config(config_file(base)), start_sync=False)
    rng = random.Random(3)
    for _ in range(200):
        till.scan(barcode(rng.randrange(100_000)))
        till.search(rng.choice(WORDS)[:3])
    till.clear_ticket()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    till.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        fill(base / "data" / "catalog.sqlite", args.products)
        print(
            f"catalogue of {args.products} products written in"
            f" {time.perf_counter() - started:.1f} s"
        )
        bench(base, args.products)
        rss = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(base)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"RSS of a till process with {args.products} products cached: {rss} MB")


if __name__ == "__main__":
    main()
