"""Pull the product catalogue from Kafinea: changed products with their taxes, few round trips.

Why this shape: a product's VAT rates (`tax1`…`taxN`) appear only in a `retrieve` answer, never
in `query` rows (vtiger leaves them out of its query columns). So the listing pages through
`query` (ceil(N/100) round trips, only the fields the till uses, filtered by
`modifiedtime >= watermark`), and taxes are fetched with `retrieve` only for products that are
new or changed *and* sellable (active, with a category), on a small pool of keep-alive
connections, while the listing goes on.

An unchanged catalogue costs one round trip; ten changed products cost 1 + 10. A full pull
(`since=None`) also returns every listed id, so the caller can drop products deleted in Kafinea.
The caller (the till's catalogue refresh) stores the result; this module keeps no state.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.listing import Fields, KnownModified, Seen, role_query, role_text
from appliance.kafinea.schema import SchemaMap
from appliance.kafinea.vtql import Query, changed_since

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


def _product(row: dict[str, Any], fields: Fields) -> RemoteProduct:
    def get(role: str) -> str:
        return role_text(row, fields, role)

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


def listing_query(schema: SchemaMap) -> tuple[Query, Fields]:
    """The SELECT of the fields the till uses, and role -> field name."""
    roles = ("name", "category", "unit_price", "barcode", "code", "unit", "active")
    return role_query(schema, "products", roles)


def pull_catalog(
    client: KafineaClient,
    schema: SchemaMap,
    *,
    since: str | None = None,
    known_modified: KnownModified | None = None,
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
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="kafinea-pull") as pool:
        pull = _Pull(client, pool, Seen(since), known_modified, progress)
        try:
            for page in _pages(client, query):
                for row in page:
                    pull.take(_product(row, fields))
                pull.settle(MAX_IN_FLIGHT)
                pull.report()
            pull.finish()
        finally:
            pull.cancel()
    pull.report()
    return PullResult(
        changed=pull.changed,
        listed=pull.seen.listed,
        complete=since is None,
        ids=pull.seen.ids,
        watermark=pull.seen.watermark,
        round_trips=client.round_trips - trips_before,
        seconds=time.monotonic() - started,
    )


class _Pull:
    """One pull under way: the listing seen so far, the retrieves in flight, what changed.

    Retrieves are settled oldest first, so `changed` keeps the listing's order for the
    products whose taxes were fetched.
    """

    def __init__(
        self,
        client: KafineaClient,
        pool: Executor,
        seen: Seen,
        known_modified: KnownModified | None,
        progress: Callable[[PullProgress], None] | None,
    ) -> None:
        self.seen = seen
        self.changed: list[RemoteProduct] = []
        self._client = client
        self._pool = pool
        self._known = known_modified
        self._progress = progress
        self._pending: deque[tuple[RemoteProduct, Future[dict[str, Any]]]] = deque()
        self._to_fetch = 0
        self._fetched = 0

    def take(self, product: RemoteProduct) -> None:
        """One listed product: skipped when the caller holds it, else kept or its taxes asked."""
        if not self.seen.row(product.id, product.modifiedtime, self._known):
            return
        if not product.sellable:
            self.changed.append(product)
            return
        self._to_fetch += 1
        self._pending.append((product, self._pool.submit(self._client.retrieve, product.id)))

    def settle(self, limit: int) -> None:
        """Wait for the oldest retrieves until at most `limit` are in flight."""
        while len(self._pending) > limit:
            product, future = self._pending.popleft()
            record = future.result()
            self.changed.append(_with_taxes(product, _taxes(record)))
            self._fetched += 1

    def finish(self) -> None:
        """Wait for every retrieve left, reporting every hundred."""
        while self._pending:
            self.settle(len(self._pending) - 1)
            if self._fetched % 100 == 0:
                self.report()

    def cancel(self) -> None:
        """Drop the retrieves not started yet (the pull failed)."""
        for _, future in self._pending:
            future.cancel()

    def report(self) -> None:
        if self._progress is not None:
            self._progress(PullProgress(self.seen.listed, self._to_fetch, self._fetched))


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
