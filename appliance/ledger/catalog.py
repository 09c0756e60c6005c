"""The local catalogue: what the till sells, kept in SQLite so selling never waits on Kafinea.

Filled from Kafinea by the catalogue refresh (incremental, by modification time) and read by
every scan and keystroke of the search box, so both paths are indexed:

- a scan is one lookup on the `barcode` index (then on `code`, for shops that key the part
  number), a few tens of microseconds at 100,000 products;
- search-as-you-type first takes names that *start* with the text (a range scan on the
  normalised name), then fills up with names, codes or barcodes that *contain* it, through an
  FTS5 trigram index. Text is normalised (lower case, accents removed) on both sides, because
  SQLite's trigram tokenizer only learned `remove_diacritics` in 3.45 and Debian 12 has 3.40.

The shop rule "only products that have a category appear on the register" lives here: an
inactive product or one without category is removed from the cache when it arrives, exactly
as a deleted one. A product without a price stays (so a scan can say "sans prix" rather than
"inconnu") but cannot be sold.

The register record (default account, sellers, payment methods, rounding, display, colours,
receipt options, printer address, shop identity, VAT keys) is one JSON document beside the
products, replaced whole at each refresh.

One connection, guarded by a lock: the UI thread, the scanner thread and the refresh thread
share it; writes go in batches so a scan never waits more than one batch.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.ledger.cache_file import CacheFile
from appliance.pos.receipt import ShopIdentity

SCHEMA = """
CREATE TABLE IF NOT EXISTS product (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,          -- Kafinea webservice id, e.g. 14x3
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,          -- lower case, no accents: search and sort key
    code TEXT NOT NULL DEFAULT '',
    barcode TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    price_ttc INTEGER,                -- cents; NULL: no price, cannot be sold
    price_ht INTEGER,
    vat_bp INTEGER NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    modified TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS product_barcode ON product(barcode);
CREATE INDEX IF NOT EXISTS product_code ON product(code);
CREATE INDEX IF NOT EXISTS product_name ON product(name_norm);
CREATE INDEX IF NOT EXISTS product_category ON product(category, name_norm);
CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5(text, tokenize = 'trigram');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

WRITE_BATCH = 500
_TRIGRAM = 3
_SEPARATORS = re.compile(r"\s+")
_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def normalise(text: str) -> str:
    """Lower case without accents or doubled spaces: "Crème  Brûlée" -> "creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", stripped).strip()


@dataclass(frozen=True)
class CatalogProduct:
    """A sellable product as the till knows it; prices in cents in both display modes."""

    id: str
    name: str
    category: str
    vat_bp: int
    price_ttc: int | None
    price_ht: int | None
    code: str = ""
    barcode: str = ""
    unit: str = ""
    modified: str = ""
    active: bool = True

    @property
    def listed(self) -> bool:
        """The shop rule: active and with a category, else not on the register."""
        return self.active and bool(self.category.strip())


@dataclass(frozen=True)
class Seller:
    id: str
    name: str


@dataclass(frozen=True)
class PaymentMethod:
    code: str  # the domain's method code: CASH, CARD, CHEQUE...
    label: str
    is_cash: bool = False


DEFAULT_METHODS: tuple[PaymentMethod, ...] = (
    PaymentMethod("CASH", "Espèces", True),
    PaymentMethod("CARD", "Carte bancaire"),
    PaymentMethod("CHEQUE", "Chèque"),
)


@dataclass(frozen=True)
class RegisterRecord:
    """The register's settings from Kafinea (Caisses enregistreuses), flattened."""

    id: str
    name: str
    number: str = ""
    default_account_id: str = ""
    default_account_name: str = ""
    sellers: tuple[Seller, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = DEFAULT_METHODS
    rounding_cents: int = 1
    display: str = "ttc"  # "ttc" or "ht"
    decimals: int = 2
    colours: tuple[tuple[str, str], ...] = ()  # (category, "#RRGGBB")
    primary_colour: str | None = None  # "#RRGGBB" from Kafinea's color_primary, else None
    accent_colour: str | None = None  # "#RRGGBB" from Kafinea's color_secondary, else None
    receipt_header: tuple[str, ...] = ()
    receipt_footer: tuple[str, ...] = ()
    printer_address: str = ""
    shop: ShopIdentity = field(default_factory=lambda: ShopIdentity(trade_name=""))
    tax_keys: tuple[tuple[int, str], ...] = ()  # (rate_bp, "tax1"): line tax fields of Kafinea

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RegisterRecord:
        data = json.loads(text)
        return cls(
            id=data["id"],
            name=data["name"],
            number=data.get("number", ""),
            default_account_id=data.get("default_account_id", ""),
            default_account_name=data.get("default_account_name", ""),
            sellers=tuple(Seller(**item) for item in data.get("sellers", ())),
            payment_methods=tuple(
                PaymentMethod(**item) for item in data.get("payment_methods", ())
            ),
            rounding_cents=data.get("rounding_cents", 1),
            display=data.get("display", "ttc"),
            decimals=data.get("decimals", 2),
            colours=tuple(tuple(pair) for pair in data.get("colours", ())),
            # Absent in caches written before the colours were kept: they read as None.
            primary_colour=hex_colour(data.get("primary_colour")),
            accent_colour=hex_colour(data.get("accent_colour")),
            receipt_header=tuple(data.get("receipt_header", ())),
            receipt_footer=tuple(data.get("receipt_footer", ())),
            printer_address=data.get("printer_address", ""),
            shop=_shop_from(data.get("shop") or {}),
            tax_keys=tuple((int(rate), str(key)) for rate, key in data.get("tax_keys", ())),
        )


def hex_colour(value: object) -> str | None:
    """`value` as "#RRGGBB" (upper case) if it is one, else None: the theme takes no other."""
    text = str(value or "").strip()
    return text.upper() if _HEX_COLOUR.fullmatch(text) else None


def _shop_from(data: dict[str, object]) -> ShopIdentity:
    values = dict(data)
    values["address_lines"] = tuple(values.get("address_lines") or ())  # type: ignore[arg-type]
    return ShopIdentity(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CategoryCount:
    name: str
    products: int


@dataclass(frozen=True)
class ApplyResult:
    changed: int  # inserted or updated
    removed: int  # deleted, deactivated, lost their category


_SELECT = (
    "SELECT id, name, code, barcode, category, price_ttc, price_ht, vat_bp, unit, modified"
    " FROM product"
)
_NAME_PREFIX = _SELECT + " WHERE name_norm >= ? AND name_norm < ? ORDER BY name_norm LIMIT ?"
_BARCODE_PREFIX = _SELECT + " WHERE barcode >= ? AND barcode < ? ORDER BY barcode LIMIT ?"
# A join streams the FTS matches and stops at LIMIT (an IN-subquery would collect them all).
_MATCHING = (
    "SELECT p.id, p.name, p.code, p.barcode, p.category, p.price_ttc, p.price_ht, p.vat_bp,"
    " p.unit, p.modified FROM product_search JOIN product AS p ON p.rowid = product_search.rowid"
    " WHERE product_search MATCH ?"
)


class Catalog(CacheFile):
    """The catalogue cache of one register, in its own SQLite file."""

    TABLE = "product"

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)
        self._register_text: str | None = None
        self._register_record: RegisterRecord | None = None

    # -- writing (the refresh) ----------------------------------------------------------------

    def apply(self, products: Iterable[CatalogProduct]) -> ApplyResult:
        """Insert, update or drop (when no longer listed) each product, in batches."""
        changed = removed = 0
        batch: list[CatalogProduct] = []
        for product in products:
            batch.append(product)
            if len(batch) >= WRITE_BATCH:
                result = self._apply_batch(batch)
                changed, removed = changed + result.changed, removed + result.removed
                batch = []
        if batch:
            result = self._apply_batch(batch)
            changed, removed = changed + result.changed, removed + result.removed
        return ApplyResult(changed, removed)

    def _apply_batch(self, batch: list[CatalogProduct]) -> ApplyResult:
        changed = removed = 0
        with self._write() as db:
            for product in batch:
                if not product.listed:
                    removed += _delete(db, product.id)
                    continue
                _upsert(db, product)
                changed += 1
        return ApplyResult(changed, removed)

    def remove(self, ids: Iterable[str]) -> int:
        """Drop products deleted in Kafinea."""
        count = 0
        with self._write() as db:
            for product_id in ids:
                count += _delete(db, product_id)
        return count

    def keep_only(self, ids: set[str]) -> int:
        """Drop every cached product whose id is not in `ids` (a full listing from Kafinea)."""
        with self._lock:
            cached = {row[0] for row in self._db.execute("SELECT id FROM product")}
        return self.remove(sorted(cached - ids))

    def set_register(self, record: RegisterRecord) -> None:
        self.set_meta("register", record.to_json())

    def set_watermark(self, modified: str) -> None:
        """The highest Kafinea `modifiedtime` applied: the next refresh asks for newer only."""
        self.set_meta("watermark", modified)

    def set_refreshed_at(self, when: str) -> None:
        self.set_meta("refreshed_at", when)

    # -- reading (the sale) -------------------------------------------------------------------

    def register(self) -> RegisterRecord | None:
        """The register record, parsed once per change (every scan reads the settings)."""
        text = self.meta("register")
        if text != self._register_text:
            self._register_text = text
            self._register_record = RegisterRecord.from_json(text) if text else None
        return self._register_record

    def watermark(self) -> str:
        return self.meta("watermark") or ""

    def refreshed_at(self) -> str:
        return self.meta("refreshed_at") or ""

    def by_id(self, product_id: str) -> CatalogProduct | None:
        return self._one(_SELECT + " WHERE id = ?", product_id)

    def by_barcode(self, code: str) -> CatalogProduct | None:
        """The product with this barcode, else with this part number (some shops key it)."""
        if not code:
            return None
        found = self._one(_SELECT + " WHERE barcode = ?", code)
        return found or self._one(_SELECT + " WHERE code = ?", code)

    def _one(self, sql: str, value: str) -> CatalogProduct | None:
        with self._lock:
            row = self._db.execute(sql + " LIMIT 1", (value,)).fetchone()
        return _product(row) if row else None

    def categories(self) -> list[CategoryCount]:
        with self._lock:
            rows = self._db.execute(
                "SELECT category, count(*) FROM product GROUP BY category ORDER BY category"
            ).fetchall()
        return [CategoryCount(name, count) for name, count in rows]

    def in_category(self, category: str, limit: int = 500) -> list[CatalogProduct]:
        with self._lock:
            rows = self._db.execute(
                _SELECT + " WHERE category = ? ORDER BY name_norm LIMIT ?",
                (category, limit),
            ).fetchall()
        return [_product(row) for row in rows]

    def search(self, text: str, limit: int = 50) -> list[CatalogProduct]:
        """Names starting with `text` first, then names, codes or barcodes containing it."""
        query = normalise(text)
        if not query or limit <= 0:
            return []
        # Digits are a barcode prefix: a range scan on the barcode index instead of the name's.
        sql = _BARCODE_PREFIX if query.isdigit() else _NAME_PREFIX
        with self._lock:
            rows = self._db.execute(sql, (query, query + "\uffff", limit)).fetchall()
            seen = {row[0] for row in rows}
            if len(rows) < limit:
                rows.extend(
                    row for row in self._containing(query, limit + len(rows)) if row[0] not in seen
                )
        return [_product(row) for row in rows[:limit]]

    def _containing(self, query: str, limit: int) -> list[tuple[Any, ...]]:
        words = query.split(" ")
        long_words = [word for word in words if len(word) >= _TRIGRAM]
        if long_words:
            match = " AND ".join('"' + word.replace('"', '""') + '"' for word in long_words)
            sql = _MATCHING
            params: list[object] = [match]
        else:
            sql = _SELECT + " AS p WHERE 1"
            params = []
        for word in words:
            if len(word) < _TRIGRAM:
                sql += " AND (p.name_norm LIKE ? ESCAPE '\\' OR p.code LIKE ? OR p.barcode LIKE ?)"
                pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%") + "%"
                params += [pattern, word + "%", word + "%"]
        return self._db.execute(sql + " LIMIT ?", (*params, limit)).fetchall()


def _delete(db: sqlite3.Connection, product_id: str) -> int:
    row = db.execute("SELECT rowid FROM product WHERE id = ?", (product_id,)).fetchone()
    if row is None:
        return 0
    db.execute("DELETE FROM product_search WHERE rowid = ?", (row[0],))
    db.execute("DELETE FROM product WHERE rowid = ?", (row[0],))
    return 1


def _upsert(db: sqlite3.Connection, product: CatalogProduct) -> None:
    db.execute(
        "INSERT INTO product(id, name, name_norm, code, barcode, category, price_ttc, price_ht,"
        " vat_bp, unit, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, name_norm = excluded.name_norm,"
        " code = excluded.code, barcode = excluded.barcode, category = excluded.category,"
        " price_ttc = excluded.price_ttc, price_ht = excluded.price_ht,"
        " vat_bp = excluded.vat_bp, unit = excluded.unit, modified = excluded.modified",
        (
            product.id,
            product.name,
            normalise(product.name),
            product.code,
            product.barcode,
            product.category.strip(),
            product.price_ttc,
            product.price_ht,
            product.vat_bp,
            product.unit,
            product.modified,
        ),
    )
    rowid = db.execute("SELECT rowid FROM product WHERE id = ?", (product.id,)).fetchone()[0]
    text = " ".join((normalise(product.name), normalise(product.code), product.barcode))
    db.execute("DELETE FROM product_search WHERE rowid = ?", (rowid,))
    db.execute("INSERT INTO product_search(rowid, text) VALUES (?, ?)", (rowid, text))


def _product(row: tuple[Any, ...]) -> CatalogProduct:
    product_id, name, code, barcode, category, price_ttc, price_ht, vat_bp, unit, modified = row
    return CatalogProduct(
        id=product_id,
        name=name,
        category=category,
        vat_bp=vat_bp,
        price_ttc=price_ttc,
        price_ht=price_ht,
        code=code,
        barcode=barcode,
        unit=unit,
        modified=modified,
    )
