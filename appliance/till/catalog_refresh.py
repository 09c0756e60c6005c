"""Refresh the local catalogue and register record from Kafinea (the till's side of the pull).

`appliance.kafinea.catalog_pull` lists what changed; this module turns Kafinea's records into
the cache's rows (pre-tax prices with 8 decimals -> cents in both display modes, tax fields ->
basis points), reads the register record, and derives what the sync worker needs to post
(module and field names, tax field per rate). Local `[register]` settings of the configuration
win over Kafinea's, as `appliance.config` documents.

A full listing (first refresh, or every `FULL_EVERY` refreshes) also drops products deleted in
Kafinea, which an incremental listing by modification time cannot see.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from appliance.config import Config
from appliance.kafinea.account_pull import pull_accounts
from appliance.kafinea.catalog_pull import RemoteProduct, pull_catalog
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.documents import Targets, to_cents
from appliance.kafinea.register_pull import fetch_account, fetch_register
from appliance.kafinea.schema import SchemaError, SchemaMap, discover
from appliance.ledger.accounts import AccountCache, CachedAccount
from appliance.ledger.catalog import Catalog, CatalogProduct, RegisterRecord, hex_colour
from appliance.till.register_settings import (
    Refreshed,
    RefreshRefused,
    RegisterNotFound,
    merge_register,
)

FULL_EVERY = 24
log = logging.getLogger(__name__)


def catalog_product(remote: RemoteProduct) -> CatalogProduct:
    rate = next(iter(remote.taxes.values()), Decimal(0))
    vat_bp = to_cents(rate)  # hundredths of a percent: the same rounding as cents
    price_ht = price_ttc = None
    if remote.unit_price is not None:
        price_ht = to_cents(remote.unit_price)
        price_ttc = to_cents(remote.unit_price * (1 + rate / 100))
    return CatalogProduct(
        id=remote.id,
        name=remote.name,
        category=remote.category,
        vat_bp=vat_bp,
        price_ttc=price_ttc,
        price_ht=price_ht,
        code=remote.code,
        barcode=remote.barcode,
        unit=remote.unit,
        modified=remote.modifiedtime,
        active=remote.active,
    )


def targets_from_schema(schema: SchemaMap) -> Targets:
    """The sync worker's names, from the discovered map (defaults where a field is absent)."""
    base = Targets()

    def f(role: str, field_role: str, default: str) -> str:
        return schema.field_or_none(role, field_role) or default

    return dataclasses.replace(
        base,
        invoice_module=schema.module("invoices"),
        invoice_ref_field=f("invoices", "ticket_reference", base.invoice_ref_field),
        invoice_register_field=f("invoices", "register", base.invoice_register_field),
        invoice_seller_field=f("invoices", "seller", base.invoice_seller_field),
        invoice_status_field=f("invoices", "status", base.invoice_status_field),
        invoice_received_field=f("invoices", "received", base.invoice_received_field),
        credit_module=schema.module("credit_notes") if schema.has("credit_notes") else "",
        credit_ref_field=f("credit_notes", "ticket_reference", base.credit_ref_field),
        credit_invoice_field=f("credit_notes", "invoice", base.credit_invoice_field),
        credit_status_field=f("credit_notes", "status", base.credit_status_field),
        credit_date_field=f("credit_notes", "date", base.credit_date_field),
        payment_module=schema.module("payments") if schema.has("payments") else None,
        payment_amount_field=f("payments", "amount", base.payment_amount_field),
        payment_date_field=f("payments", "date", base.payment_date_field),
        payment_method_field=f("payments", "method", base.payment_method_field),
        payment_related_field=f("payments", "related_to", base.payment_related_field),
        payment_account_field=f("payments", "account", base.payment_account_field),
        payment_register_field=f("payments", "register", base.payment_register_field),
        payment_ref_field=f("payments", "reference", base.payment_ref_field),
        payment_status_field=f("payments", "status", base.payment_status_field),
        cash_module=(
            schema.module("cash_transactions") if schema.has("cash_transactions") else None
        ),
        cash_register_field=f("cash_transactions", "register", base.cash_register_field),
        cash_amount_field=f("cash_transactions", "amount", base.cash_amount_field),
        cash_type_field=f("cash_transactions", "type", base.cash_type_field),
        cash_date_field=f("cash_transactions", "date", base.cash_date_field),
        cash_description_field=f("cash_transactions", "description", base.cash_description_field),
        register_module=(
            schema.module("cash_registers")
            if schema.has("cash_registers")
            else base.register_module
        ),
        register_status_field=f("cash_registers", "status", base.register_status_field),
        register_balance_field=f("cash_registers", "balance", base.register_balance_field),
    )


def targets_to_json(targets: Targets) -> str:
    data = dataclasses.asdict(targets)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def targets_from_json(text: str) -> Targets:
    return Targets(**json.loads(text))


def _colour(text: str, role: str) -> str | None:
    """A register colour as "#RRGGBB", or None: a typo in Kafinea keeps the default theme."""
    colour = hex_colour(text)
    if text and colour is None:
        log.warning("caisse : couleur %s ignorée, %r n'est pas de la forme #RRGGBB", role, text)
    return colour


def register_record(
    client: KafineaClient, schema: SchemaMap, config: Config, tax_keys: dict[int, str]
) -> tuple[RegisterRecord, str]:
    """The register record (with local overrides) and the default account's street."""
    assert config.kafinea is not None
    name = config.kafinea.register
    remote = fetch_register(client, schema, name)
    if remote is None:
        raise RegisterNotFound(
            f"caisse « {name} » introuvable dans Kafinea (module"
            f" {schema.module('cash_registers')}) : vérifiez le nom dans la configuration"
        )
    values = remote.values
    account_id = config.register.default_account or values["default_account"]
    account_name, street = fetch_account(client, account_id)
    record = merge_register(
        values,
        config,
        record_id=remote.id,
        account_name=account_name,
        colours=(
            _colour(values["color_primary"], "color_primary"),
            _colour(values["color_secondary"], "color_secondary"),
        ),
        tax_keys=tuple(sorted(tax_keys.items(), reverse=True)),
    )
    return record, street


def refresh(
    client: KafineaClient,
    catalog: Catalog,
    accounts: AccountCache,
    config: Config,
    progress: Callable[[int, int], None] | None = None,
) -> Refreshed:
    """One refresh: schema, products (incremental unless due for a full one), customer
    accounts, register; into the stores the Till reads (each has its own lock)."""
    assert config.kafinea is not None
    before = client.round_trips
    try:
        schema = discover(client, config.kafinea.modules, config.kafinea.fields)
        schema.module("cash_registers")
    except SchemaError as error:
        raise RefreshRefused(
            f"Kafinea ne propose pas ce qu'il faut à la caisse : {error}"
        ) from error
    runs = int(catalog.meta("refresh_runs") or "0")
    since = catalog.watermark() or None
    if runs % FULL_EVERY == 0:
        since = None

    def report(step: Any) -> None:
        if progress is not None:
            progress(step.fetched + (step.listed - step.to_fetch), step.listed)

    result = pull_catalog(
        client,
        schema,
        since=since,
        known_modified=catalog.modified_of,
        progress=report,
    )
    products = [catalog_product(remote) for remote in result.changed]
    applied = catalog.apply(products)
    removed = applied.removed
    if result.complete:
        removed += catalog.keep_only(result.ids)
    tax_keys = dict((catalog.register() or RegisterRecord("", "")).tax_keys)
    for remote in result.changed:
        for key, rate in remote.taxes.items():
            tax_keys[int((rate * 100).quantize(Decimal(1)))] = key
    refresh_accounts(client, schema, accounts, full=runs % FULL_EVERY == 0)
    record, street = register_record(client, schema, config, tax_keys)
    catalog.set_register(record)
    catalog.set_meta("street", street)
    catalog.set_meta("targets", targets_to_json(targets_from_schema(schema)))
    catalog.set_meta("refresh_runs", str(runs + 1))
    if result.watermark:
        catalog.set_watermark(result.watermark)
    return Refreshed(
        products=catalog.count(),
        changed=applied.changed,
        removed=removed,
        categories=len(catalog.categories()),
        round_trips=client.round_trips - before,
    )


def refresh_accounts(
    client: KafineaClient, schema: SchemaMap, cache: AccountCache, *, full: bool
) -> int:
    """Bring the customer account cache up to date (the till's offline account search);
    a full listing also drops accounts deleted in Kafinea. Returns how many changed."""
    since = None if full else (cache.watermark() or None)
    pulled = pull_accounts(client, schema, since=since, known_modified=cache.modified_of)
    changed = cache.apply(
        CachedAccount(a.id, a.name, a.number, a.phone, a.email, a.modifiedtime)
        for a in pulled.changed
    )
    if pulled.complete:
        cache.keep_only(pulled.ids)
    if pulled.watermark:
        cache.set_watermark(pulled.watermark)
    return changed
