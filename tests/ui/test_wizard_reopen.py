"""The kiosk started as `appliance run` starts it without a stored key, then reconfigured from
the technician screen: a real Kivy window, the Kafinea sandbox on loopback, the virtual
printer on TCP, real SQLite files.

In file order, as a technician's visit goes: the last provisioning failed (banner on the first
screen, dismissed); login with the key (the register's colours paint the kiosk once the Till
exists); the wizard refused while a ticket is open; opened then cancelled (old till still
selling); run to the end with a network printer typed in and test-printed (old till closed
cleanly, new one selling); a reconfiguration that cannot start (the configuration on disk
comes back). Screens are saved under test-output/ui/.
"""

import json
import os
import threading

import pytest

from appliance.commands.demo import write_demo_config
from appliance.config import load_config, write_access_key
from appliance.devices.virtual_printer import running_virtual_printer
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.ledger.journal import Journal
from appliance.provisioning.status import provisioning_failure
from appliance.provisioning.wizard import WizardBackend
from appliance.till.bootstrap import build_till

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)"),
]

PIN = "1234"
KEY = "Wz7qPkC2mXv9TbRc"  # the technical user's access key: a capital C, typed on screen
SETUP_FAILED = {
    "ok": False,
    "message": "[kafinea] access_key: Kafinea refuse la clé d'accès de caisse@example.com",
    "problems": [
        "[kafinea] access_key: Kafinea refuse la clé d'accès de caisse@example.com",
        "[wifi] psk: 8 à 63 caractères",
    ],
    "source": "/boot/firmware/appliance-setup.toml",
    "at": "2026-11-29T06:58:12+00:00",
}


def give_key(sandbox, key):
    """Set the technical user's access key in the sandbox (what Kafinea's user page does).

    A fixed key with a capital C: the on-screen keyboard once sent "C" for that letter and
    for its clear key, which wiped such keys while they were typed (1 sandbox key in 4).
    """
    store = sandbox.server.store
    ((user_id,),) = store.select(
        "SELECT id FROM entity WHERE module = 'Users' AND json_extract(data, '$.user_name') = ?",
        (sandbox.username,),
    )
    store.set_meta(f"accesskey:{user_id}", key)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    base = tmp_path_factory.mktemp("reopen")
    with (
        running_sandbox(base / "sandbox") as sandbox,
        running_virtual_printer(base / "printer") as printer,
    ):
        give_key(sandbox, KEY)
        config_path = write_demo_config(base, sandbox, "none")  # the wizard adds the printer
        write_access_key(base / "kafinea.key", KEY)
        yield sandbox, printer, config_path


@pytest.fixture(scope="module")
def kiosk(parts):
    from kivy.core.window import Window  # noqa: PLC0415

    from appliance.ui.app import KioskApp, StartPlan  # noqa: PLC0415
    from tests.ui.kivy_driver import Driver  # noqa: PLC0415

    Window.size = (800, 480)  # another module's kiosk may have run in this process

    sandbox, _printer, config_path = parts
    config = load_config(config_path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "setup-status.json").write_text(json.dumps(SETUP_FAILED), "utf-8")

    def connect(key):
        assert key == KEY
        return build_till(config)

    plan = StartPlan(
        connect=connect,
        username=sandbox.username,
        setup=WizardBackend(config_path, config.data_dir, build_till),
        provisioning_failure=provisioning_failure(config.data_dir),
    )
    driver = Driver(KioskApp(plan))
    yield driver
    driver.close()
    till = driver.app.till
    if till is not None and till not in plan.retired:
        till.close()


def a_barcode(till):
    for category in till.categories():
        for product in till.products_in(category.name):
            if product.barcode and product.price_cents:
                return product.barcode
    raise AssertionError("no product with a barcode")


def to_manager(kiosk, pin=PIN):
    kiosk.tap(kiosk.app.root.ids.menu_button)
    kiosk.tap(kiosk.button("Gérant / technicien (code)"))
    for digit in pin:
        kiosk.tap(kiosk.button(digit))
    kiosk.tap(kiosk.button("Valider"))
    assert kiosk.screen().name == "manager"


def wizard_logged_in(kiosk, pin):
    """The wizard from the technician screen, through the steps already filled in, at the
    register step once Kafinea accepted the key typed again."""
    to_manager(kiosk, pin)
    kiosk.tap(kiosk.screen().ids.wizard_button)
    kiosk.tap(kiosk.button("Lancer l'assistant"))
    wizard = kiosk.screen()
    for _step in ("language", "instance", "email"):
        kiosk.tap(wizard.ids.next_button)
    kiosk.type_text(KEY)
    kiosk.tap(wizard.ids.next_button)
    kiosk.wait_for(lambda: wizard.step == 4, timeout=30, what="login accepted")
    return wizard


def test_failed_provisioning_is_explained_on_the_first_screen_and_dismissed(kiosk, parts):
    _sandbox, _printer, config_path = parts
    data_dir = load_config(config_path).data_dir
    banner = kiosk.app.root.ids.provisioning_banner
    assert kiosk.screen().name == "login"
    text = banner.text.text
    assert "La dernière configuration (appliance-setup.toml) a échoué" in text
    assert "Kafinea refuse la clé d'accès" in text and "(et 1 autre(s) problème(s))" in text
    assert "Rien n'a été appliqué : la caisse garde sa configuration précédente." in text
    assert "Corrigez le fichier sur la carte SD" in text
    # Above the screen, not over it: the login keyboard below stays fully on screen.
    connect = kiosk.screen().ids.connect_button
    assert connect.to_window(*connect.pos)[1] >= 0
    assert banner.y >= kiosk.app.manager.top
    kiosk.screenshot("40-provisioning-banner")
    from appliance.ui.provisioning import failure_text  # noqa: PLC0415

    first_start = failure_text(banner.failure, configured=False)  # the wizard is below
    assert "la caisse n'est pas encore configurée" in first_start
    assert "configurez ci-dessous" in first_start
    kiosk.tap(banner.dismiss_button)
    assert banner.parent is None
    assert provisioning_failure(data_dir) is None  # not shown at the next start either
    newer = {**SETUP_FAILED, "at": "2026-11-30T07:00:00+00:00"}
    (data_dir / "setup-status.json").write_text(json.dumps(newer), "utf-8")
    assert provisioning_failure(data_dir).at == newer["at"]  # a newer failure shows again
    (data_dir / "setup-status.json").write_text(json.dumps({"ok": True}), "utf-8")
    assert provisioning_failure(data_dir) is None


def test_login_builds_the_till_and_the_register_colours_paint_the_kiosk(kiosk, parts):
    _sandbox, _printer, _config = parts
    default_primary = tuple(kiosk.app.theme.primary)
    kiosk.type_text(KEY)
    kiosk.tap(kiosk.screen().ids.connect_button)
    kiosk.wait_for(lambda: kiosk.app.till is not None, timeout=60, what="till built")
    kiosk.pump(3)
    status = kiosk.app.till.status()
    assert status.primary_colour == "#1F5F8B"  # the sandbox register's colour
    assert tuple(round(c, 3) for c in kiosk.app.theme.primary) == (0.122, 0.373, 0.545, 1.0)
    assert tuple(kiosk.app.theme.primary) != default_primary
    assert kiosk.screen().name == "float"
    kiosk.screenshot("41-float-register-colours")
    kiosk.tap(kiosk.button("20 €\n× 0"))
    kiosk.tap(kiosk.button("5"))
    kiosk.tap(kiosk.button("Ouvrir la caisse"))
    assert kiosk.screen().name == "sale"


def test_wizard_refused_while_a_ticket_is_open_then_cancelled_without_changing_anything(kiosk):
    till = kiosk.app.till
    kiosk.app.scan(a_barcode(till))
    assert len(till.ticket().lines) == 1
    to_manager(kiosk)
    kiosk.tap(kiosk.screen().ids.wizard_button)
    assert kiosk.screen().name == "manager"
    assert "Terminez ou abandonnez le ticket en cours" in kiosk.screen().detail_text
    kiosk.tap(kiosk.button("Retour à la vente"))
    till.clear_ticket()
    to_manager(kiosk)
    kiosk.tap(kiosk.screen().ids.wizard_button)
    kiosk.screenshot("42-wizard-confirm")
    kiosk.tap(kiosk.button("Lancer l'assistant"))
    wizard = kiosk.screen()
    assert wizard.name == "wizard" and wizard.reconfigure
    kiosk.tap(wizard.ids.next_button)
    kiosk.screenshot("43-wizard-reopened")
    kiosk.tap(wizard.ids.cancel_button)
    assert kiosk.screen().name == "manager"
    assert kiosk.app.till is till
    kiosk.tap(kiosk.button("Retour à la vente"))
    kiosk.app.scan(a_barcode(till))  # the old till still sells
    assert len(till.ticket().lines) == 1
    assert kiosk.screen().name == "sale"
    till.clear_ticket()


def test_wizard_to_the_end_replaces_the_till_with_a_network_printer_typed_in(kiosk, parts):
    sandbox, printer, config_path = parts
    old = kiosk.app.till
    to_manager(kiosk)
    kiosk.tap(kiosk.screen().ids.wizard_button)
    kiosk.tap(kiosk.button("Lancer l'assistant"))
    wizard = kiosk.screen()
    kiosk.tap(kiosk.button("Français"))
    kiosk.tap(wizard.ids.next_button)
    assert wizard.answers["instance"] == sandbox.url  # what is in place, pre-filled
    kiosk.tap(wizard.ids.next_button)
    assert wizard.answers["email"] == sandbox.username
    kiosk.tap(wizard.ids.next_button)
    assert wizard.answers["key"] == ""  # the key is typed again, never pre-filled
    kiosk.type_text(KEY)
    kiosk.tap(wizard.ids.next_button)  # logs in while the old till's worker is live
    kiosk.wait_for(lambda: wizard.step == 4, timeout=30, what="login accepted")
    assert wizard.answers["register"] == sandbox.register  # the one in place, still offered
    kiosk.screenshot("44-wizard-register-kept")
    kiosk.tap(wizard.ids.next_button)
    kiosk.tap(kiosk.button("Imprimante réseau…"))
    host, port = printer.connection_string.removeprefix("tcp:").rsplit(":", 1)
    kiosk.type_text(f"{host}:{port}")
    kiosk.screenshot("45-wizard-network-printer")
    kiosk.tap(kiosk.button("Vérifier l'adresse"))
    kiosk.wait_for(lambda: not wizard.busy, timeout=10, what="printer checked")
    assert wizard.answers["printer"] == f"tcp:{host}:{port}"
    assert "répond" in wizard.note
    pages_before = len(printer.receipts)
    kiosk.tap(kiosk.button("Imprimer une page de test"))
    kiosk.wait_for(lambda: not wizard.busy, timeout=10, what="test page")
    kiosk.wait_for(lambda: len(printer.receipts) > pages_before, timeout=10, what="page printed")
    assert any("PAGE DE TEST" in line for line in printer.receipts[-1].lines)
    kiosk.screenshot("46-wizard-printer-chosen")
    for _step in ("printer", "drawer", "scanner"):
        kiosk.tap(wizard.ids.next_button)
    for digit in "9876":
        kiosk.tap(kiosk.button(digit))
    kiosk.tap(wizard.ids.next_button)
    assert old.status().session.state.name == "OPEN"  # still selling up to the summary
    kiosk.tap(wizard.ids.next_button)  # Enregistrer
    kiosk.wait_for(lambda: kiosk.app.till not in (old, None), timeout=60, what="new till")
    new = kiosk.app.till
    assert old in kiosk.app.plan.retired
    # The old till is closed: its journal ends with APP_STOP, its sync worker has stopped.
    journal = Journal.open(load_config(config_path).data_dir)
    try:
        codes = [r.payload.get("code") for r in journal.records_after(0) if r.rtype == "EVENT"]
    finally:
        journal.close()
    assert codes[-2:] == ["APP_STOP", "APP_START"]  # the old one stopped, then the new one
    workers = [t for t in threading.enumerate() if t.name == "kafinea-sync"]
    assert len(workers) == 1  # the new till's; the old one's has ended
    config = load_config(config_path)
    assert str(config.printer.connection) == f"tcp:{host}:{port}"
    assert config.register.manager_pin == "9876"
    assert new.check_manager_pin("9876") and not new.check_manager_pin(PIN)
    assert kiosk.screen().name == "sale"  # same data directory: the session is still open
    kiosk.app.scan(a_barcode(new))
    assert len(new.ticket().lines) == 1
    kiosk.screenshot("47-after-reconfiguration")
    new.clear_ticket()


def test_a_new_configuration_that_cannot_start_brings_the_saved_one_back(kiosk, parts):
    _sandbox, _printer, config_path = parts
    before = config_path.read_text("utf-8")
    old = kiosk.app.till
    wizard = wizard_logged_in(kiosk, "9876")  # the PIN the previous reconfiguration set
    # A printer address no screen can produce: the build fails after the old till is closed.
    wizard.answers["printer"] = "tcp:"
    for _step in ("register", "printer", "drawer", "scanner"):
        kiosk.tap(wizard.ids.next_button)
    for digit in "5555":
        kiosk.tap(kiosk.button(digit))
    kiosk.tap(wizard.ids.next_button)
    kiosk.tap(wizard.ids.next_button)  # Enregistrer
    kiosk.wait_for(lambda: kiosk.app.till not in (old, None), timeout=60, what="till reopened")
    message = kiosk.app.root.ids.message
    kiosk.wait_for(lambda: "configuration enregistrée" in message.text, what="explanation")
    assert message.is_error
    manager = kiosk.screen()
    assert manager.name == "manager"  # where the technician reads why, then goes back
    assert "Nouvelle configuration impossible" in manager.detail_text
    assert "Adresse d'imprimante illisible : 'tcp:'" in manager.detail_text
    kiosk.screenshot("48-reconfiguration-failed")
    assert old in kiosk.app.plan.retired
    assert config_path.read_text("utf-8") == before  # nothing written
    reopened = kiosk.app.till
    assert reopened.check_manager_pin("9876")
    kiosk.tap(kiosk.button("Retour à la vente"))
    assert kiosk.screen().name == "sale"
    kiosk.app.scan(a_barcode(reopened))
    assert len(reopened.ticket().lines) == 1
    reopened.clear_ticket()


def test_printer_step_and_address_entry_fit_every_panel(kiosk):
    from kivy.core.window import Window  # noqa: PLC0415

    wizard = wizard_logged_in(kiosk, "9876")
    kiosk.tap(wizard.ids.next_button)
    kiosk.tap(kiosk.button("Imprimante réseau…"))
    try:
        for size in ((800, 480), (1024, 600), (1280, 800)):
            Window.size = size
            kiosk.pump(5)
            keys = [w for w in wizard.walk(restrict=False) if type(w).__name__ == "KButton"]
            assert min(k.height for k in keys if k.opacity) >= 40, size
            kiosk.screenshot("49-wizard-printer-address")
            kiosk.tap(kiosk.button("Retour à la liste"))
            kiosk.screenshot("49-wizard-printer-list")
            kiosk.tap(kiosk.button("Imprimante réseau…"))
    finally:
        Window.size = (800, 480)
        kiosk.pump(5)
    kiosk.tap(wizard.ids.cancel_button)
    assert kiosk.screen().name == "manager"
