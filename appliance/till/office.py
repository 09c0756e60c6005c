"""The Till's back office: training mode, status, sync, catalogue, journal, devices, closing.

What the technician screen, the status bar and the `appliance sync|journal` commands call:
none of it changes the ticket in progress, and the slow ones (catalogue refresh, journal
export, a printer test page) run outside the lock or on the caller's worker thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from appliance import __version__
from appliance.kafinea.errors import KafineaError, describe
from appliance.ledger.export import export_archive
from appliance.ledger.journal import key_id
from appliance.pos.timestamps import utc_iso
from appliance.till.core import ProgressCallback, TillCore
from appliance.till.errors import (
    DeviceUnavailable,
    ExportError,
    InvalidInput,
    PermissionDenied,
    RegisterError,
    TillError,
)
from appliance.till.register_settings import RefreshRefused
from appliance.till.sync_status import StatusListener
from appliance.till.views import (
    AboutView,
    DeviceTestResult,
    JournalExport,
    RefreshResult,
    StatusView,
    SyncErrorView,
    SyncReport,
    SyncStatus,
    VerifyResult,
)


class BackOffice(TillCore):
    """Status, sync, catalogue, journal and device tests; closing the Till."""

    def check_manager_pin(self, pin: str) -> bool:
        expected = self._p.config.register.manager_pin
        return expected is None or secrets.compare_digest(pin, expected)

    def enter_training(self, pin: str) -> StatusView:
        """Training mode: tickets marked, numbered apart, never posted, out of the totals."""
        return self._set_training(True, pin)

    def leave_training(self, pin: str) -> StatusView:
        return self._set_training(False, pin)

    def _set_training(self, on: bool, pin: str) -> StatusView:
        with self._use_case():
            if on and not self._p.config.register.training_allowed:
                raise PermissionDenied("training_disabled")
            self._require_pin(pin, PermissionDenied("training_needs_pin"))
            if not self._ticket.is_empty:
                raise InvalidInput("ticket_blocks_mode_change")
            if self._training != on:
                self._p.journal.event("TRAINING_ON" if on else "TRAINING_OFF")
                self._training = on
                self._ticket = self._new_ticket()
        self._notify()
        return self.status()

    def sync_status(self) -> SyncStatus:
        with self._lock:
            return self._sync.status()

    def add_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener(StatusView)` after every status change; returns the unsubscriber."""
        with self._lock:
            remove = self._sync.listen(listener)

        def locked_remove() -> None:
            with self._lock:
                remove()

        return locked_remove

    def refresh_catalog(self, progress: ProgressCallback | None = None) -> RefreshResult:
        """Pull the catalogue and the register record from Kafinea (blocking: run it on a
        worker thread; the sale goes on from the cache meanwhile)."""
        if self._p.refresh is None:
            raise RegisterError("no_kafinea_catalog")
        try:
            result = self._p.refresh(progress)  # outside the lock: the sale goes on meanwhile
        except RefreshRefused as error:
            raise RegisterError("register_refused", reason=str(error)) from error
        except KafineaError as error:
            raise TillError("kafinea", reason=describe(error)) from error
        self._p.catalog.set_refreshed_at(utc_iso(self._now()))
        with self._lock:
            self._renew_empty_ticket()
        self._notify()
        return RefreshResult(result.products, result.changed, result.removed, result.categories)

    def sync_now(self) -> SyncStatus:
        """Wake the sync worker now (non-blocking); the result is the status at this instant."""
        self._sync.wake()
        return self.sync_status()

    def sync_once(self) -> SyncReport:
        """Deliver everything pending, blocking (for `appliance sync --once`, not the UI)."""
        if self._sync.worker is None:
            raise RegisterError("no_kafinea_sync")
        result = self._sync.worker.run_once(ignore_backoff=True)
        self._notify()
        status = self.sync_status()
        return SyncReport(
            result.delivered,
            status.pending,
            self.sync_errors(),
            result.stopped_on or status.last_error,
        )

    def sync_errors(self) -> tuple[SyncErrorView, ...]:
        """Documents Kafinea refused permanently, with its reason."""
        with self._lock:
            return self._sync.errors()

    def retry_sync_error(self, error_id: int) -> SyncStatus:
        """Put a refused document back in the queue (after the cause was fixed in Kafinea)."""
        with self._lock:
            self._sync.retry(error_id, utc_iso(self._now()))
        self._notify()
        return self.sync_status()

    def journal_verify(self) -> VerifyResult:
        if self._p.verify is None:
            raise TillError("journal_verify_unavailable")
        with self._lock:
            return self._p.verify()

    def print_test_page(self) -> DeviceTestResult:
        """Print the printer's test page (blocking up to the printer timeout: a worker thread).

        A printer failure is the result's French reason (and the status turns offline), not a
        refusal; only a register without a printer is refused (`DeviceUnavailable`).
        """
        with self._lock:
            if not self._p.printer.present:
                raise DeviceUnavailable("no_printer")
            printed = self._printing.test_page()
        if printed.failed:
            return DeviceTestResult(False, f"Imprimante : {printed.reason}")
        return DeviceTestResult(True, "Imprimante : page de test imprimée")

    def test_drawer(self) -> DeviceTestResult:
        """Open the drawer without a sale. The law wants every such opening journaled, so the
        DRAWER_OPEN_NO_SALE event is written first, whether the drawer then opens or not."""
        with self._use_case():
            if not self._printing.drawer.present:
                raise DeviceUnavailable("no_drawer")
            self._p.journal.event("DRAWER_OPEN_NO_SALE", label="test du tiroir")
            kicked = self._printing.kick()
        if kicked.failed:
            return DeviceTestResult(False, f"Tiroir : {kicked.reason}")
        return DeviceTestResult(True, "Tiroir : ouvert (ouverture notée au journal)")

    def about(self) -> AboutView:
        """Version, register, the journal key's fingerprint (`key_id`, the function the
        journal and `appliance journal verify` use) and the data directory."""
        with self._lock:
            public_key = load_pem_public_key(self._p.journal.public_key_pem())
            record = self._p.catalog.register()
            return AboutView(
                version=__version__,
                register_name=record.name if record else self._p.journal.settings.register,
                register_code=self._code,
                key_fingerprint=key_id(public_key),  # type: ignore[arg-type]
                data_dir=str(self._p.config.data_dir),
            )

    def export_journal(self, dest_dir: str | Path) -> JournalExport:
        """Write the whole journal as a verifiable ZIP archive into `dest_dir` (a mounted USB
        stick) and journal the ARCHIVE record. Blocking: run it on a worker thread.

        Raises `ExportError` when the folder is missing or cannot be written; nothing is
        journaled then.
        """
        folder = Path(dest_dir)
        if not folder.is_dir():
            raise ExportError("export_folder_missing", folder=str(folder))
        stamp = self._now().astimezone(self._p.zone).strftime("%Y%m%d-%H%M%S")
        out = folder / f"journal-{self._code}-{stamp}.zip"
        with self._use_case():
            try:
                result = export_archive(self._p.journal, out)
            except OSError as error:
                out.with_name(out.name + ".part").unlink(missing_ok=True)
                raise ExportError(
                    "export_failed", folder=str(folder), reason=str(error.strerror or error)
                ) from error
        return JournalExport(str(result.path), result.last_seq, result.sha256)

    def add_closer(self, closer: Callable[[], None]) -> None:
        """Something to release when the Till closes (the sync lock file)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop the sync worker, journal APP_STOP, release files and the printer."""
        self._sync.stop()
        for closer in self._closers:  # the refresh timer and the sync lock first
            closer()
        with self._lock:  # parked tickets stay in their file for the next start
            self._abandon(self._ticket)
            self._p.journal.stop()
            self._printing.close()
            self._p.catalog.close()
            self._accounts.close()
            self._parked.close()
            self._p.journal.close()
