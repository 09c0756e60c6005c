"""The manager and technician screen (behind the manager PIN).

Training mode, the sync queue with Kafinea's refusals and a retry, a catalogue refresh with
progress, journal verification, the status of everything, and the way back to the sale.
Long work (refresh, verification) runs on worker threads; progress comes back through
`Clock.schedule_once`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from appliance.till import (
    DeviceTestResult,
    JournalExport,
    RefreshResult,
    StatusView,
    TillError,
    XReport,
)
from appliance.ui import fmt
from appliance.ui.background import on_ui_thread, run_in_background
from appliance.ui.dialogs import ask_pin, choose, confirm
from appliance.ui.i18n import error_text, tr
from appliance.ui.screens.base import TillScreen
from appliance.ui.usb import MOUNT_PATTERNS, usb_mounts


class ManagerScreen(TillScreen):
    pin = StringProperty("")  # the PIN that opened this screen (training needs it again)
    status_text = StringProperty("")
    detail_text = StringProperty("")
    progress = NumericProperty(0)
    last_scan = StringProperty("")
    exporting = BooleanProperty(False)
    version = StringProperty("")  # the software's, as the Till tells it
    # where a stick may be mounted; tests point these at a temporary folder
    mount_patterns: tuple[str, ...] = MOUNT_PATTERNS
    mount_check: Callable[[str], bool] | None = None  # None: os.path.ismount

    def prepare(self, pin: str = "", detail: str = "", **_context: Any) -> None:
        self.pin = pin or self.pin
        self.detail_text = detail
        self.progress = 0
        self.version = self.till.about().version
        self.on_status(self.till.status())

    def on_status(self, status: StatusView) -> None:
        sync = status.sync
        reach = {
            True: tr._("joignable"),
            False: tr._("injoignable"),
            None: tr._("pas encore essayé"),
        }
        lines = [
            tr._("Caisse : {name}").format(name=status.register_name or "—"),
            tr._("Kafinea : {state}, {n} en attente, {f} refusé(s)").format(
                state=reach[sync.reachable], n=sync.pending, f=sync.failed
            ),
            tr._("Dernier envoi réussi : {at}").format(at=fmt.when(sync.last_success_at)),
        ]
        if sync.last_error:
            lines.append(tr._("Dernière erreur : {e}").format(e=sync.last_error))
        lines.append(
            tr._("Imprimante : {p}").format(p=status.printer_message or self.app.printer_text)
        )
        lines.append(
            tr._("Catalogue : {n} articles, mis à jour {at}").format(
                n=status.catalog_products, at=fmt.when(status.catalog_updated_at)
            )
        )
        lines.append(
            tr._("Mode école : {v}").format(v=tr._("oui") if status.training else tr._("non"))
        )
        lines.append(tr._("Version du logiciel : {v}").format(v=self.version))
        self.status_text = "\n".join(lines)

    # -- actions ----------------------------------------------------------------------------

    def toggle_training(self) -> None:
        try:
            if self.app.training:
                self.till.leave_training(self.pin)
                self.app.message(tr._("Mode école terminé"))
            else:
                self.till.enter_training(self.pin)
                self.app.message(tr._("Mode école : les tickets ne sont jamais envoyés"))
        except TillError as error:
            self.app.error(error)
            return
        self.app._apply_status(self.till.status())

    def sync_now(self) -> None:
        self.till.sync_now()
        self.app.message(tr._("Envoi vers Kafinea relancé"))

    def show_sync_errors(self) -> None:
        errors = self.till.sync_errors()
        if not errors:
            self.detail_text = tr._("Aucun document refusé par Kafinea.")
            return
        self.detail_text = "\n".join(
            f"{e.document} — {e.reason} ({e.attempts}×, {e.failed_at})" for e in errors
        )
        choose(
            tr._("Relancer un document refusé"),
            [(e.id, f"{e.document} : {e.reason}") for e in errors],
            self._retry,
        )

    def _retry(self, error_id: int) -> None:
        try:
            self.till.retry_sync_error(error_id)
        except TillError as error:
            self.app.error(error)
            return
        self.app.message(tr._("Document remis dans la file d'envoi"))

    def refresh_catalog(self) -> None:
        self.progress = 0.01
        self.detail_text = tr._("Mise à jour du catalogue…")

        def progress(done: int, total: int) -> None:
            on_ui_thread(self._progress, done, total)

        run_in_background(
            lambda: self.till.refresh_catalog(progress),
            self._refreshed,
            self._failed,
            name="catalog-refresh",
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress = done / total if total else 0.5
        self.detail_text = tr._("Mise à jour du catalogue… {d}/{t}").format(d=done, t=total or "?")

    def _refreshed(self, result: RefreshResult) -> None:
        self.progress = 1
        self.detail_text = tr._(
            "Catalogue à jour : {p} articles, {c} modifiés, {r} retirés, {k} catégories"
        ).format(p=result.products, c=result.changed, r=result.removed, k=result.categories)
        self.app.manager.get_screen("sale").prepare(reload_catalog=True)

    def _failed(self, error: BaseException) -> None:
        self.progress = 0
        self.detail_text = tr._("Échec : {e}").format(e=error_text(error))
        self.app.message(self.detail_text, error=True)

    def verify_journal(self) -> None:
        self.detail_text = tr._("Vérification du journal…")
        run_in_background(
            self.till.journal_verify,
            lambda r: setattr(self, "detail_text", r.message),
            self._failed,
            name="journal-verify",
        )

    def x_report(self) -> None:
        run_in_background(
            lambda: self.till.x_report(print_report=True),
            self._x_done,
            self._failed,
            name="x-report",
        )

    def _x_done(self, x: XReport) -> None:
        lines = [tr._("Rapport X — {n} tickets").format(n=x.ticket_count)]
        lines += [f"{m.label} : {self.app.money(m.expected_cents)}" for m in x.methods]
        self.detail_text = "\n".join(lines)

    def test_printer(self) -> None:
        self.detail_text = tr._("Impression de la page de test…")
        run_in_background(
            self.till.print_test_page, self._device_done, self._failed, "test-printer"
        )

    def test_drawer(self) -> None:
        self.detail_text = tr._("Ouverture du tiroir…")
        run_in_background(self.till.test_drawer, self._device_done, self._failed, "test-drawer")

    def _device_done(self, result: DeviceTestResult) -> None:
        self.detail_text = tr._(result.message)
        self.app.message(self.detail_text, error=not result.ok)

    def show_about(self) -> None:
        try:
            about = self.till.about()
        except TillError as error:
            self.app.error(error)
            return
        self.detail_text = "\n".join(
            [
                tr._("Version du logiciel : {v}").format(v=about.version),
                tr._("Caisse : {name} ({code})").format(
                    name=about.register_name, code=about.register_code
                ),
                tr._("Empreinte de la clé du journal : {k}").format(k=about.key_fingerprint),
                tr._("Données : {d}").format(d=about.data_dir),
            ]
        )

    def export_journal(self) -> None:
        """Offer the writable USB mount points; the archive is written on a worker thread."""
        if self.exporting:
            return
        mounts = usb_mounts(self.mount_patterns, self.mount_check or os.path.ismount)
        if not mounts:
            self.detail_text = tr._("Aucune clé USB détectée : branchez une clé puis réessayez")
            self.app.message(self.detail_text, error=True)
            return
        choose(tr._("Exporter le journal vers"), [(m, m) for m in mounts], self._export_to)

    def _export_to(self, folder: str) -> None:
        self.exporting = True
        self.progress = 0.5
        self.detail_text = tr._("Export du journal vers {d}… ne retirez pas la clé").format(
            d=folder
        )
        run_in_background(
            lambda: self.till.export_journal(folder),
            self._exported,
            self._export_failed,
            name="journal-export",
        )

    def _exported(self, result: JournalExport) -> None:
        self.exporting = False
        self.progress = 1
        self.detail_text = tr._("Journal exporté ({n} enregistrements) : {p}").format(
            n=result.last_seq, p=result.path
        )
        self.app.message(tr._("Journal exporté, vous pouvez retirer la clé"))

    def _export_failed(self, error: BaseException) -> None:
        self.exporting = False
        self._failed(error)

    def handle_scan(self, code: str) -> None:
        """The scanner test: the code read is shown here, nothing is sold."""
        self.last_scan = code
        self.detail_text = tr._("Scanner OK, code lu : {code}").format(code=code)

    def reconfigure(self) -> None:
        """The setup wizard again; the till keeps selling until its summary is confirmed."""
        problem = self.app.can_reconfigure()
        if problem:
            self.detail_text = problem
            self.app.message(problem, error=True)
            return
        confirm(
            tr._("Assistant de configuration"),
            "\n".join(
                [
                    tr._("La caisse continue de vendre pendant l'assistant."),
                    tr._("Elle redémarre avec la nouvelle configuration une fois enregistrée."),
                    tr._("« Annuler » ne change rien."),
                ]
            ),
            lambda: self.app.show("wizard", reconfigure=True),
            tr._("Lancer l'assistant"),
        )

    def switch_language(self) -> None:
        choose(tr._("Langue"), [("fr", "Français"), ("en", "English")], self._language)

    def _language(self, language: str) -> None:
        tr.switch(language)
        self.app._apply_status(self.till.status())


def open_menu(app: Any) -> None:
    """The cashier's menu: everyday operations, and the PIN-protected manager screen."""
    options = [
        ("abandon", tr._("Abandonner le ticket en cours")),
        ("tickets", tr._("Retour, annulation, duplicata")),
        ("cash_in", tr._("Entrée d'espèces")),
        ("cash_out", tr._("Sortie d'espèces")),
        ("x_report", tr._("Rapport X (lecture)")),
        ("closing", tr._("Clôture de caisse (Z)")),
        ("manager", tr._("Gérant / technicien (code)")),
    ]
    if not app.session_open:
        options = [("float", tr._("Ouvrir la caisse")), options[-1]]
    choose(tr._("Menu"), options, lambda choice: _menu_choice(app, choice))


def _menu_choice(app: Any, choice: str) -> None:
    if choice == "abandon":
        confirm(
            tr._("Abandonner le ticket"),
            tr._("Le ticket en cours est effacé (il reste noté au journal)."),
            lambda: _abandon(app),
            tr._("Abandonner"),
        )
    elif choice in ("cash_in", "cash_out"):
        app.show("cash", direction=choice[5:])
    elif choice == "x_report":
        run_in_background(
            lambda: app.till.x_report(print_report=True),
            lambda x: app.message(tr._("Rapport X imprimé : {n} tickets").format(n=x.ticket_count)),
            app.error,
            name="x-report",
        )
    elif choice == "manager":
        ask_pin(tr._("Code gérant"), lambda pin: _manager(app, pin))
    else:
        app.show(choice)


def _abandon(app: Any) -> None:
    try:
        app.till.clear_ticket()
    except TillError as error:
        app.error(error)
        return
    app.show("sale")
    app.message(tr._("Ticket abandonné"))


def _manager(app: Any, pin: str) -> None:
    if app.till.check_manager_pin(pin):
        app.show("manager", pin=pin)
    else:
        app.message(tr._("Code gérant incorrect"), error=True)
