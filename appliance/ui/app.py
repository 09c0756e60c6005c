"""The kiosk application: one window, a screen manager, a status bar, a message bar.

The app owns three cross-cutting things and nothing else:
- routing: every scan goes to the current screen's `handle_scan`, whatever dialog is open,
  so a scan is never lost behind a popup;
- status: the Till calls our listener from any thread; we copy the `StatusView` onto the UI
  thread with `Clock.schedule_once` and the bars bind to the resulting properties (the badge
  never calls Kafinea);
- the first frame: `on_first_frame` lets `appliance run` tell systemd READY=1 once the sale
  (or the first) screen is really drawn.

What to show first: the wizard when there is no configuration, the login when the key is
not stored, then the opening float when the session is closed, else the sale. When the last
provisioning (`appliance setup`) failed, the first screen carries a banner saying why; it never
blocks the screen below and goes away when dismissed.

The technician can run the wizard again (`reconfigure`): the running Till keeps working until
the summary is confirmed, then it is closed (sync worker stopped, journal closed) before the new
one is built from the same data directory; if that fails, the configuration on disk is opened
again, so the till is never left without a way forward.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from appliance.till import PrinterState, SessionState, StatusView, Till, TillError
from appliance.ui import fmt, screens
from appliance.ui.background import run_in_background
from appliance.ui.i18n import error_text, tr
from appliance.ui.provisioning import ProvisioningBanner, ProvisioningFailure
from appliance.ui.screens.base import KioskScreen
from appliance.ui.screens.manager import open_menu
from appliance.ui.screens.wizard import SetupBackend
from appliance.ui.theme import Theme
from appliance.ui.widgets import ScreenStack

log = logging.getLogger(__name__)

STATUS_POLL_S = 2.0
KV_DIR = Path(__file__).with_name("kv")
KV_FILES = ("widgets.kv", "root.kv")  # the screens' own files load with the screens


@dataclass(frozen=True)
class StartPlan:
    """What the kiosk starts with.

    `till` is already built (the key was stored); otherwise `connect(key)` builds it from the
    key typed on the login screen (in a worker thread), and `username` pre-fills that screen.
    `setup` is the wizard's back end: at the first start, and later from the technician
    screen (its `finish(answers)` builds the new Till, `reopen()` the one on disk).
    `provisioning_failure`, when the last `appliance setup` failed (shown as a banner).
    `retired` lists the tills the kiosk closed itself when the wizard replaced them: the
    caller must not close those again.
    """

    till: Till | None = None
    connect: Callable[[str], Till] | None = None
    username: str = ""
    register_name: str = ""
    setup: SetupBackend | None = None
    language: str = "fr"
    primary_colour: str | None = None
    accent_colour: str | None = None
    provisioning_failure: ProvisioningFailure | None = None
    retired: list[Till] = field(default_factory=list)
    # Starts the scanner readers: called with (on_scan, on_notice), both safe from any
    # thread; returns the function that stops them. None: keyboard-wedge scans only.
    start_inputs: (
        Callable[[Callable[[str], None], Callable[[str], None]], Callable[[], None]] | None
    ) = None


class KioskRoot(BoxLayout):
    """Status bar, training banner, screens, message bar (layout in `root.kv`)."""


class KioskApp(App):
    """The Kivy application. Build it with a `StartPlan`, then `run()`."""

    till = ObjectProperty(None, allownone=True)
    theme = ObjectProperty(None)
    tr = ObjectProperty(tr)
    training = BooleanProperty(False)
    register_name = StringProperty("")
    session_open = BooleanProperty(False)
    sync_text = StringProperty("")
    sync_state = StringProperty("unknown")  # ok | pending | offline | error | unknown
    printer_text = StringProperty("")
    printer_ok = BooleanProperty(True)
    pending = NumericProperty(0)

    def __init__(
        self,
        plan: StartPlan,
        *,
        on_first_frame: Callable[[], None] | None = None,
        heartbeat: tuple[float, Callable[[], None]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.title = "Caisse Kafinea"
        self.theme = Theme()
        self.theme.apply_register_colours(plan.primary_colour, plan.accent_colour)
        self._colours = (plan.primary_colour, plan.accent_colour)
        tr.switch(plan.language)
        self._on_first_frame = on_first_frame
        self._heartbeat = heartbeat
        self._unsubscribe: Callable[[], None] | None = None
        self._wedge: list[str] = []
        self._stopping = threading.Event()
        self._till_done = threading.Event()
        self._stop_inputs: Callable[[], None] | None = None
        self.register_name = plan.register_name

    # -- building ---------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        # The background is the window's clear colour, not a full-screen rectangle: under
        # software GL, filling the screen once more per frame costs 6-10 ms.
        Window.clearcolor = self.theme.background
        self.theme.bind(background=lambda _theme, colour: setattr(Window, "clearcolor", colour))
        for name in KV_FILES:
            path = str(KV_DIR / name)
            if path not in Builder.files:  # a second app in one process: rules once only
                Builder.load_file(path)
        root = KioskRoot()
        self.manager: ScreenStack = root.ids.manager
        for name, (screen_class, kv_file) in screens.SCREENS.items():
            self.manager.add_factory(name, self._factory(screen_class, kv_file))
        Window.bind(on_key_down=self._on_key_down)
        if self.plan.provisioning_failure is not None:
            configured = self.plan.till is not None or self.plan.connect is not None
            banner = ProvisioningBanner(self.plan.provisioning_failure, configured=configured)
            root.add_widget(banner, index=1)  # above the screens, below the status bars
            root.ids["provisioning_banner"] = banner
        return root

    def _factory(self, screen_class: type[KioskScreen], kv_file: str) -> Callable[[], KioskScreen]:
        def build() -> KioskScreen:
            path = str(KV_DIR / kv_file)
            if path not in Builder.files:
                Builder.load_file(path)
            return screen_class()

        return build

    def on_start(self) -> None:
        if self.plan.start_inputs is not None:
            self._stop_inputs = self.plan.start_inputs(
                self.scan_from_any_thread, self.message_from_any_thread
            )
        if self.plan.till is not None:
            self.attach_till(self.plan.till)
        elif self.plan.connect is not None:
            self.show("login")
        else:
            self.show("wizard")
        # READY=1 after the first frame, then the watchdog beats: systemd's order.
        Window.bind(on_flip=self._first_flip)

    def _first_flip(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._first_flip)
        callback, self._on_first_frame = self._on_first_frame, None
        if callback is not None:
            callback()
        if self._heartbeat is not None:
            # Fed by the UI thread's own clock: a frozen UI stops the beat (systemd watchdog).
            interval, beat = self._heartbeat
            Clock.schedule_interval(lambda _dt: beat(), interval)

    def on_stop(self) -> None:
        self._stopping.set()
        if self._stop_inputs is not None:
            self._stop_inputs()
        self._detach_till()

    # -- the Till ---------------------------------------------------------------------------

    def attach_till(self, till: Till) -> None:
        """Start selling with `till`: listen to its status, then float or sale screen.

        A till attached before (the wizard builds a new one) stops being listened to.
        """
        self._detach_till()
        self.till = till
        self._unsubscribe = till.add_listener(self._status_from_any_thread)
        self._till_done = threading.Event()
        threading.Thread(
            target=self._poll_status, args=(till, self._till_done), name="ui-status", daemon=True
        ).start()
        status = till.status()
        self._apply_status(status)
        self.show("sale" if status.session.state is SessionState.OPEN else "float")

    def can_reconfigure(self) -> str:
        """Why the wizard cannot replace the running till now ("" when it can)."""
        if self.plan.setup is None:
            return tr._("L'assistant n'est pas disponible sur cette caisse (démonstration)")
        if self.till is None:
            return ""
        if self.till.ticket().lines:
            return tr._("Terminez ou abandonnez le ticket en cours avant de reconfigurer")
        if self.till.parked():
            return tr._("Des tickets sont en attente : rappelez-les et terminez-les d'abord")
        return ""

    def replace_till(self, build: Callable[[], Till], reopen: Callable[[], Till]) -> None:
        """Close the running till (nothing in flight: its sync worker stopped, its journal
        closed), then start selling with `build()`; `reopen()` is the way back when `build`
        fails. Both run on a worker thread; the wizard shows it is busy meanwhile."""
        old = self.till
        self._detach_till()
        self.till = None  # the Menu is disabled while no till is there to serve it

        def failed(error: BaseException) -> None:
            self._replace_failed(error, reopen)

        def closed(_result: Any) -> None:
            run_in_background(build, self._replaced, failed, name="till-build")

        if old is None:
            closed(None)
            return
        # The kiosk closes it from now on (a half-closed till is never reused either).
        self.plan.retired.append(old)
        run_in_background(old.close, closed, failed, name="till-close")

    def _replaced(self, till: Till) -> None:
        self.theme.apply_register_colours(None, None)  # the new register's colours, or none
        self._colours = (None, None)
        self.attach_till(till)
        self.message(tr._("Nouvelle configuration en service"))

    def _replace_failed(self, error: BaseException, reopen: Callable[[], Till]) -> None:
        failed = tr._("Nouvelle configuration impossible : {e}").format(e=error_text(error))
        self.message(failed, error=True)

        def reopened(till: Till) -> None:
            self.attach_till(till)
            restarted = tr._("La caisse repart avec la configuration enregistrée")
            self.show("manager", detail=f"{failed}\n{restarted}")  # the technician is here
            self.message(restarted, error=True)

        def lost(second: BaseException) -> None:
            self.till = None
            self.show("wizard")
            self.message(
                tr._("La caisse ne démarre pas ({e}) : refaites la configuration").format(
                    e=error_text(second)
                ),
                error=True,
            )

        run_in_background(reopen, reopened, lost, name="till-reopen")

    def _detach_till(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._till_done.set()

    def _poll_status(self, till: Till, done: threading.Event) -> None:
        """Safety net beside the listener: read the Till's local status every few seconds on
        this thread (the Till's lock may be held by a slow print), apply it on the UI thread."""
        while not done.wait(STATUS_POLL_S):
            try:
                status = till.status()
            except TillError:
                log.exception("status poll failed")
                continue
            self._status_from_any_thread(status)

    def _status_from_any_thread(self, status: StatusView) -> None:
        Clock.schedule_once(lambda _dt: self._apply_status(status), 0)

    def _apply_status(self, status: StatusView) -> None:
        if self._stopping.is_set():
            return
        colours = (status.primary_colour, status.accent_colour)
        if colours not in (self._colours, (None, None)):
            self.theme.apply_register_colours(*colours)  # after a login, a refresh, a wizard
            self._colours = colours
        self.training = status.training
        self.register_name = status.register_name or self.register_name
        self.session_open = status.session.state is SessionState.OPEN
        sync = status.sync
        self.pending = sync.pending
        if sync.failed:
            self.sync_state = "error"
            self.sync_text = tr._("Kafinea : {n} refusé(s)").format(n=sync.failed)
        elif sync.reachable is False:
            self.sync_state = "offline"
            self.sync_text = tr._("Hors ligne · {n} en attente").format(n=sync.pending)
        elif sync.pending:
            self.sync_state = "pending"
            self.sync_text = tr._("Envoi · {n} en attente").format(n=sync.pending)
        elif sync.reachable:
            self.sync_state = "ok"
            self.sync_text = tr._("Kafinea à jour")
        else:
            self.sync_state = "unknown"
            self.sync_text = tr._("Kafinea …")
        self.printer_ok = status.printer in (PrinterState.READY, PrinterState.NONE)
        self.printer_text = {
            PrinterState.READY: tr._("Imprimante prête"),
            PrinterState.PAPER_OUT: tr._("Plus de papier"),
            PrinterState.OFFLINE: tr._("Imprimante absente"),
            PrinterState.NONE: tr._("Sans imprimante"),
        }[status.printer]
        for screen in self.manager.screens:
            screen.on_status(status)

    # -- navigation and messages --------------------------------------------------------------

    def show(self, name: str, **context: Any) -> None:
        """Go to screen `name`; `context` goes to its `prepare(**context)` first."""
        self.manager.get_screen(name).prepare(**context)
        self.manager.current = name

    def open_menu(self) -> None:
        open_menu(self)

    def message(self, text: str, *, error: bool = False) -> None:
        self.root.ids.message.show(text, error=error)

    def error(self, exc: BaseException) -> None:
        """A refusal in the screen's language; anything else is unexpected, and said so."""
        if isinstance(exc, TillError):
            self.message(error_text(exc), error=True)
        else:
            self.message(tr._("Erreur inattendue : {e}").format(e=exc), error=True)

    def money(self, cents: int) -> str:
        return fmt.money(cents)

    # -- scans ----------------------------------------------------------------------------

    def scan(self, code: str) -> None:
        """A code from a scanner (any thread: call through `scan_from_any_thread`)."""
        code = code.strip()
        if not code:
            return
        self.manager.current_screen.handle_scan(code)

    def scan_from_any_thread(self, code: str) -> None:
        Clock.schedule_once(lambda _dt: self.scan(code), 0)

    def message_from_any_thread(self, text: str) -> None:
        """A device notice (scanner plugged, unreadable scan) shown on the UI thread."""
        Clock.schedule_once(lambda _dt: self.message(text), 0)

    def _on_key_down(
        self, _window: Any, key: int, _scancode: Any, codepoint: str | None, modifiers: Any
    ) -> bool:
        """A keyboard-wedge scanner (or the demo's desktop keyboard): digits then Enter.

        The kiosk has no text field (every screen types with its own keyboard), so the
        physical keys are always a scan. Returning True for Escape keeps Kivy from closing.
        """
        if key == 27:
            return True
        if key in (13, 271):
            code, self._wedge = "".join(self._wedge), []
            if code:
                self.scan(code)
            return True
        if codepoint and codepoint.isprintable() and set(modifiers or ()) <= {"shift"}:
            self._wedge.append(codepoint)
        return False
