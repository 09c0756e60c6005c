"""Pull the product catalogue from Kafinea: changed products with their taxes, few round trips.

Why this shape (reference note §9.10): a product's VAT rates (`tax1`…`taxN`) appear only in a
`retrieve` answer, never in `query` rows. So the listing pages through `query` (ceil(N/100)
round trips, only the fields the till uses, filtered by `modifiedtime >= watermark`), and taxes
are fetched with `retrieve` only for products that are new or changed *and* sellable (active,
with a category), on a small pool of keep-alive connections, while the listing goes on.

An unchanged catalogue costs one round trip; ten changed products cost 1 + 10. A full pull
(`since=None`) also returns every listed id, so the caller can drop products deleted in Kafinea.
The caller (the till's catalogue refresh) stores the result; this module keeps no state.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.schema import SchemaMap
from appliance.kafinea.vtql import Query, changed_since, select

MAX_IN_FLIGHT = 400  # retrieves queued ahead of the workers (bounds memory at 100k products)
_TAX_PREFIX = "tax"


@dataclass(frozen=True)
class RemoteProduct:
    """A product as Kafinea holds it (prices pre-tax, taxes as percentages)."""

    id: str
    name: str
    category: str
    unit_price: Decimal | None  # pre-tax (HT); None when empty or unreadable
    barcode: str
    code: str
    unit: str
    active: bool
    modifiedtime: str
    taxes: dict[str, Decimal] = field(default_factory=dict)  # "tax1" -> Decimal("20.000")

    @property
    def sellable(self) -> bool:
        """The shop rule: only active products that have a category reach the till."""
        return self.active and bool(self.category.strip())


@dataclass(frozen=True)
class PullProgress:
    listed: int
    to_fetch: int
    fetched: int


@dataclass
class PullResult:
    changed: list[RemoteProduct]
    listed: int
    complete: bool
    ids: set[str]
    watermark: str | None
    round_trips: int
    seconds: float


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _product(row: dict[str, Any], fields: dict[str, str | None]) -> RemoteProduct:
    def get(role: str) -> str:
        name = fields.get(role)
        value = row.get(name) if name else None
        return "" if value is None else str(value)

    active_field = fields.get("active")
    return RemoteProduct(
        id=str(row["id"]),
        name=get("name"),
        category=get("category"),
        unit_price=_decimal(get("unit_price")),
        barcode=get("barcode").strip(),
        code=get("code").strip(),
        unit=get("unit"),
        active=(get("active") == "1") if active_field else True,
        modifiedtime=str(row.get("modifiedtime") or ""),
    )


def _taxes(record: dict[str, Any]) -> dict[str, Decimal]:
    taxes = {}
    for key, value in record.items():
        if key.startswith(_TAX_PREFIX) and key[len(_TAX_PREFIX) :].isdigit():
            rate = _decimal(value)
            if rate is not None:
                taxes[key] = rate
    return taxes


def listing_query(schema: SchemaMap) -> tuple[Query, dict[str, str | None]]:
    """The SELECT of the fields the till uses, and role -> field name."""
    roles = ("name", "category", "unit_price", "barcode", "code", "unit", "active")
    fields = {role: schema.field_or_none("products", role) for role in roles}
    columns = sorted({name for name in fields.values() if name} | {"modifiedtime"})
    return select(schema.module("products"), *columns), fields


def pull_catalog(
    client: KafineaClient,
    schema: SchemaMap,
    *,
    since: str | None = None,
    known_modified: Callable[[str], str | None] | None = None,
    progress: Callable[[PullProgress], None] | None = None,
    workers: int = 4,
) -> PullResult:
    """Products changed since `since` (all when None), with taxes for the sellable ones.

    `known_modified(id)` returns the modifiedtime the caller already holds for a product, so
    rows listed again (the `>=` boundary second) do not cost a retrieve.
    """
    started = time.monotonic()
    trips_before = client.round_trips
    query, fields = listing_query(schema)
    query = changed_since(query, since)
    changed: list[RemoteProduct] = []
    ids: set[str] = set()
    watermark = since
    pending: deque[tuple[RemoteProduct, Future[dict[str, Any]]]] = deque()
    counts = {"listed": 0, "to_fetch": 0, "fetched": 0}

    def report() -> None:
        if progress is not None:
            progress(PullProgress(counts["listed"], counts["to_fetch"], counts["fetched"]))

    def settle(limit: int) -> None:
        while len(pending) > limit:
            product, future = pending.popleft()
            record = future.result()
            changed.append(_with_taxes(product, _taxes(record)))
            counts["fetched"] += 1

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="kafinea-pull") as pool:
        try:
            for page in _pages(client, query):
                for row in page:
                    product = _product(row, fields)
                    ids.add(product.id)
                    counts["listed"] += 1
                    if watermark is None or product.modifiedtime > watermark:
                        watermark = product.modifiedtime
                    if known_modified is not None and known_modified(product.id) == (
                        product.modifiedtime
                    ):
                        continue
                    if not product.sellable:
                        changed.append(product)
                        continue
                    counts["to_fetch"] += 1
                    pending.append((product, pool.submit(client.retrieve, product.id)))
                settle(MAX_IN_FLIGHT)
                report()
            while pending:
                settle(len(pending) - 1)
                if counts["fetched"] % 100 == 0:
                    report()
        finally:
            for _, future in pending:
                future.cancel()
    report()
    return PullResult(
        changed=changed,
        listed=counts["listed"],
        complete=since is None,
        ids=ids,
        watermark=watermark,
        round_trips=client.round_trips - trips_before,
        seconds=time.monotonic() - started,
    )


def _pages(client: KafineaClient, query: Query) -> Iterable[list[dict[str, Any]]]:
    """Pages of rows; the last one is shorter than 100 (see KafineaClient.query_all)."""
    page: list[dict[str, Any]] = []
    for row in client.query_all(query):
        page.append(row)
        if len(page) == 100:
            yield page
            page = []
    if page:
        yield page


def _with_taxes(product: RemoteProduct, taxes: dict[str, Decimal]) -> RemoteProduct:
    return RemoteProduct(**{**product.__dict__, "taxes": taxes})
