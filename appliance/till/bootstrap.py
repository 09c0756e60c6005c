"""Build a Till from a `Config`: the one place where collaborators are made and wired.

cosmicpython's `bootstrap.py` without its cleverness: open (or create) the fiscal journal and
the outbox in the same database file, the catalogue cache, the printer, the Kafinea client and
the sync worker, then hand them to the Till. Commands and the kiosk call `build_till`; tests
can pass their own printer or clock and can leave the background worker off.

Startup never waits on the network except once: when the catalogue has never been pulled, the
first refresh runs before the Till is returned (a till with no products cannot sell anyway);
it is skipped with a log line when Kafinea is down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from appliance import __version__
from appliance.config import Config
from appliance.devices.drawer import Drawer, DrawerSettings, open_drawer
from appliance.devices.printer import Printer, open_printer
from appliance.devices.profiles import DEFAULT_PROFILE
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.documents import Context, Targets
from appliance.kafinea.sync import SyncWorker, WorkerBusy, worker_lock
from appliance.ledger import outbox as outbox_module
from appliance.ledger.accounts import ACCOUNTS_NAME, AccountCache
from appliance.ledger.catalog import Catalog
from appliance.ledger.db import connect
from appliance.ledger.journal import (
    DB_NAME,
    HEAD_NAME,
    Journal,
    JournalNotFound,
    RegisterMismatch,
    register_refusal,
    utc_now,
)
from appliance.ledger.parked import PARKED_NAME, ParkedStore
from appliance.ledger.verify import verify_database
from appliance.pos.references import register_code
from appliance.till.catalog_refresh import refresh, targets_from_json
from appliance.till.core import ProgressCallback, TillParts
from appliance.till.errors import TillError
from appliance.till.register_settings import Refreshed
from appliance.till.service import Till
from appliance.till.views import VerifyResult

log = logging.getLogger(__name__)

ZONE = "Europe/Paris"
CATALOG_NAME = "catalog.sqlite"
LOCK_NAME = "sync.lock"
REFRESH_EVERY_S = 900


def open_journal(config: Config, clock: Callable[[], datetime] = utc_now) -> Journal:
    """The register's journal, created (with its key and INIT record) on first use."""
    data = config.data_dir
    try:
        journal = Journal.open(data, clock=clock)
        refusal = register_refusal(journal.settings.register,
                                   config.kafinea.register) if config.kafinea else None
        if refusal:
            journal.close()
            raise RegisterMismatch(refusal)
    except JournalNotFound:
        shop = config.shop
        identity = {
            key: value
            for key, value in {
                "trade_name": shop.trade_name or "",
                "company_name": shop.company_name or "",
                "siret": shop.siret or "",
                "vat_number": shop.vat_number or "",
            }.items()
            if value
        }
        journal = Journal.initialise(
            data,
            register=config.kafinea.register if config.kafinea else "Caisse",
            shop=identity,
            software=f"appliance {__version__}",
            tz=ZONE,
            clock=clock,
        )
    outbox_module.ensure_schema(journal.connection)
    return journal


def cached_register_colours(config: Config) -> tuple[str | None, str | None]:
    """The register's colours from the catalogue a previous run cached, so that the login
    screen shown before any Till exists already wears them (none on a first start)."""
    path = config.data_dir / CATALOG_NAME
    if not path.exists():
        return None, None
    catalog = Catalog(path)
    try:
        record = catalog.register()
    finally:
        catalog.close()
    if record is None:
        return None, None
    return record.primary_colour, record.accent_colour


def drawer_settings(config: Config) -> DrawerSettings:
    drawer = config.drawer
    return DrawerSettings(drawer.pin, drawer.pulse_on_ms, drawer.pulse_off_ms)


def open_configured_printer(config: Config) -> Printer:
    return open_printer(
        config.printer.connection,
        profile=config.printer.profile or DEFAULT_PROFILE,
        columns=config.printer.columns,
        code_page=config.printer.codepage,
        drawer=drawer_settings(config),
    )


def open_configured_drawer(config: Config, printer: Printer) -> Drawer:
    """[drawer] connection: through `printer` (the default), its own serial line, or none."""
    return open_drawer(config.drawer.connection, printer, drawer_settings(config))


def make_client(config: Config) -> KafineaClient | None:
    if config.kafinea is None:
        return None
    return KafineaClient(
        config.kafinea.webservice_url,
        config.kafinea.username,
        config.access_key(),
        timeout_s=config.kafinea.timeout_s,
    )


def sync_context(catalog: Catalog, client: KafineaClient, code: str) -> Context | None:
    """What every posted record carries, from the cached register record (None: unknown)."""
    record = catalog.register()
    if record is None or not record.id:
        return None
    info = client.login_info
    return Context(
        register_id=record.id,
        register_code=code,
        default_account_id=record.default_account_id,
        user_id=info.user_id if info is not None else "",
        street=catalog.meta("street") or "Vente au comptoir",
        tax_keys=dict(record.tax_keys),
    )


def sync_targets(catalog: Catalog) -> Targets:
    text = catalog.meta("targets")
    return targets_from_json(text) if text else Targets()


def build_till(
    config: Config,
    *,
    start_sync: bool = True,
    printer: Printer | None = None,
    clock: Callable[[], datetime] = utc_now,
    sync_backoff: tuple[float, float] = (1.0, 60.0),
) -> Till:
    """A ready Till; `start_sync` runs the background worker (holding the till's sync lock).

    `sync_backoff` is the first and the longest wait between delivery attempts, in seconds.
    """
    data: Path = config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    journal = open_journal(config, clock)
    journal.start()
    catalog = Catalog(data / CATALOG_NAME)
    accounts = AccountCache(data / ACCOUNTS_NAME)
    client = make_client(config)
    sync, refresher = None, None
    if client is not None:
        code = register_code(journal.settings.register)
        sync = _sync_worker(client, catalog, data, code, sync_backoff)
        refresher = _refresher(client, catalog, accounts, config)
    printer = printer or open_configured_printer(config)
    till = Till(
        TillParts(
            journal=journal,
            catalog=catalog,
            outbox=outbox_module.Outbox(journal.connection),
            printer=printer,
            drawer=open_configured_drawer(config, printer),
            accounts=accounts,
            parked=ParkedStore(data / PARKED_NAME),
            config=config,
            zone=ZoneInfo(ZONE),
            sync=sync,
            refresh=refresher,
            verify=lambda: _verify(data),
            clock=clock,
        )
    )
    if refresher is not None and catalog.register() is None:
        _first_refresh(till)
    if sync is not None and start_sync:
        _start_background(till, sync, data / LOCK_NAME)
    return till


def _sync_worker(
    client: KafineaClient, catalog: Catalog, data: Path, code: str, backoff: tuple[float, float]
) -> SyncWorker:
    """The worker posts from its own connection to the journal's database (WAL: the sale
    path is never blocked by a delivery in progress)."""
    return SyncWorker(
        client=client,
        queue=outbox_module.Outbox(connect(data / DB_NAME)),
        context=lambda: sync_context(catalog, client, code),
        targets=lambda: sync_targets(catalog),
        backoff_base=backoff[0],
        backoff_cap=backoff[1],
    )


def _refresher(
    client: KafineaClient, catalog: Catalog, accounts: AccountCache, config: Config
) -> Callable[[ProgressCallback | None], Refreshed]:
    def refresher(progress: ProgressCallback | None) -> Refreshed:
        return refresh(client, catalog, accounts, config, progress)

    return refresher


def _start_background(till: Till, sync: SyncWorker, lock_path: Path) -> None:
    """The sync worker and the periodic refresh, when this process gets the sync lock (one
    process at a time delivers: `appliance sync` beside the kiosk waits its turn)."""
    resources = ExitStack()
    try:
        resources.enter_context(worker_lock(lock_path))
    except WorkerBusy as error:
        log.warning("%s : pas de synchronisation en arrière-plan", error)
        return
    sync.start()
    till.add_closer(resources.close)
    till.add_closer(_start_periodic_refresh(till))


def _first_refresh(till: Till) -> None:
    try:
        till.refresh_catalog()
    except TillError as error:
        log.warning("catalogue non chargé au démarrage : %s", error.message)


class _Closing(Exception):
    """The Till is closing: the running refresh gives up at its next page of products."""


def _start_periodic_refresh(till: Till) -> Callable[[], None]:
    """Start the refresh thread; the closer returned stops it and waits for it, so a refresh
    still writing never meets a catalogue the Till has already closed."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_refresh_periodically, args=(till, stop), name="catalog-refresh", daemon=True
    )
    thread.start()

    def close() -> None:
        stop.set()
        thread.join()  # bounded: the fetch stops at its next page, each request has a timeout

    return close


def _refresh_periodically(till: Till, stop: threading.Event) -> None:
    """Pull what changed in Kafinea now and then (incremental: one round trip when nothing)."""

    def progress(_done: int, _total: int) -> None:
        if stop.is_set():
            raise _Closing

    while not stop.is_set():
        try:
            till.refresh_catalog(progress)
        except TillError as error:
            log.warning("catalogue non mis à jour : %s", error.message)
        except _Closing:
            return
        if stop.wait(REFRESH_EVERY_S):
            return


def _verify(data: Path) -> VerifyResult:
    report = verify_database(data / DB_NAME, data / HEAD_NAME)
    return VerifyResult(report.ok, report.records, report.sentence())
