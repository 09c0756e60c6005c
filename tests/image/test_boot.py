"""The amd64 stand-in booted under QEMU, driven like a till in a shop (see qemu_vm.py).

One card (a copy of the built image, 512 MiB larger), switched on twice; tests in file order:

1. first power-on: provisioning from the test appliance-setup.toml on the FAT, the kiosk
   READY against the Kafinea sandbox (served in the guest on 127.0.0.1) on the sale screen
   (screen dump), no failed unit at all, a test page's ESC/POS bytes reaching the printer on
   ttyS1, a barcode typed on the keyboard reaching the till's ticket, the root read-only,
   DATA grown and bound, the kiosk frozen with SIGSTOP killed by the watchdog and started
   again; then, Kafinea unreachable, the sale validated with the mouse and the power cut
   (QEMU killed) as soon as the ticket is in the journal;
2. second power-on: the data, the configuration and the card's identity survived, the
   provisioning did not run again, the fiscal journal verifies and holds the ticket once,
   and the kiosk delivers it to Kafinea once.

Slow (minutes of software emulation): marker `image`, run with APPLIANCE_IMAGE_TESTS=1.
Boot seconds are printed (`-s` shows them; bench/image_boot.py prints them too).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from tests.image.conftest import SKIP_REASON, BuiltImage
from tests.image.qemu_vm import (
    FIRST_BOOT_UNITS,
    LATER_BOOT_UNITS,
    PAY_GREEN,
    SCREEN,
    Machine,
    Shop,
    booted,
    colour_count,
    prepare_disk,
    seed_shop,
)

pytestmark = [
    pytest.mark.image,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(os.environ.get("APPLIANCE_IMAGE_TESTS") != "1", reason=SKIP_REASON),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                       reason="qemu-system-x86 not installed"),
]

KIOSK = "appliance-kiosk.service"
PROVISION = "appliance-provision.service"
# The selected ticket line's colour (appliance/ui/theme.py), as QEMU's screen dump shows it.
SELECTED_LINE = (250, 233, 193)
TICKET_PANEL = (8, 100, 276, 360)  # left, top, right, bottom on the 800x480 screen
# Where the sale's buttons are on the 800x480 screen (measured on the same layout under Xvfb):
# the sale screen's pay button, the seller dialog's first seller, the payment screen's
# "Exact" and "Valider sans ticket", and the "Valider et imprimer" panel (green once paid).
PAY_BUTTON = (685, 438)
FIRST_SELLER = (400, 120)
EXACT_BUTTON = (324, 446)
VALIDATE_WITHOUT_RECEIPT = (715, 448)
EXACT_PANEL = (292, 420, 356, 472)
VALIDATE_PANEL = (642, 344, 787, 414)
EXACT_AMBER = (242, 193, 78)
SHADED_GREEN = (12, 63, 31)  # the pay button under a dialog's shade
JOURNAL = "/var/lib/appliance/journal.sqlite"
SANDBOX_DB = "/run/test-sandbox/sandbox.sqlite3"
TICKETS = "SELECT type_seq, payload FROM journal WHERE rtype = 'TICKET' AND training = 0"
INVOICE_REFS = ("SELECT json_extract(data, '$.cf_ticket_ref') FROM entity"
                " WHERE module = 'Invoice' AND deleted = 0")


@dataclass
class Card:
    built: BuiltImage
    workdir: Path
    shop: Shop
    disk: Path
    facts: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def card(built_image: BuiltImage, tmp_path_factory: pytest.TempPathFactory) -> Card:
    workdir = tmp_path_factory.mktemp("card")
    shop = seed_shop(workdir / "sandbox")
    return Card(built_image, workdir, shop, prepare_disk(built_image, workdir, shop))


def query(machine: Machine, database: str, sql: str, user: str = "appliance") -> list[str]:
    """Rows of `sql` on a SQLite file in the guest, as `user` (the kiosk's files stay its)."""
    return machine.shell.check(
        f"runuser -u {user} -- sqlite3 {database} {shlex.quote(sql)}").splitlines()


def kiosk_log(machine: Machine) -> str:
    return machine.shell.check(
        f"journalctl -b -u {KIOSK} --no-pager -o cat | grep -v DEBUG | tail -40 | cut -c1-300")


@pytest.fixture(scope="module")
def first(card: Card) -> Iterator[Machine]:
    with booted(card.built, card.disk, card.workdir, "first", FIRST_BOOT_UNITS) as machine:
        machine.wait_for_shell(timeout=1200)
        card.facts["kiosk"] = machine.wait_for_unit(KIOSK, timeout=1800)
        if card.facts["kiosk"] == "active":
            ready = machine.uptime_of(KIOSK)
            print(f"\nfirst boot: kiosk READY (first frame) {ready:.1f} s after the kernel"
                  f" started ({machine.seconds():.0f} s wall)")
        yield machine
        if machine.process.poll() is None:
            print(f"first boot: power-off after {machine.power_off():.0f} s wall")


@pytest.fixture(scope="module")
def second(card: Card, first: Machine) -> Iterator[Machine]:
    """The same card switched on again, after the first power-on's power cut (or a clean
    shutdown when the power-cut test did not run)."""
    if first.process.poll() is None:
        first.power_off()
    with booted(card.built, card.disk, card.workdir, "second", LATER_BOOT_UNITS) as machine:
        machine.wait_for_shell(timeout=1200)
        card.facts["second_data"] = machine.wait_for_unit("var-lib-appliance.mount", timeout=900)
        print(f"\nsecond boot: data mounted {machine.seconds():.0f} s wall")
        yield machine


def test_first_boot_brings_the_kiosk_up(first: Machine, card: Card) -> None:
    assert card.facts["kiosk"] == "active", kiosk_log(first)
    assert first.shell.fact(f"systemctl show -P NRestarts {KIOSK}") == "0", kiosk_log(first)
    pid = first.shell.fact(f"systemctl show -P MainPID {KIOSK}")
    assert first.shell.fact(f"ps -o user= -p {pid}") == "appliance"


def test_no_unit_failed_the_system_is_running(first: Machine) -> None:
    """Not only our units: "degraded" (systemd-remount-fs.service failed on overlayroot's
    fstab line for / until the initramfs rewrote it) is a till that a technician must read."""
    status, state = first.shell.run("timeout 900 systemctl is-system-running --wait",
                                    timeout=960)
    failed = first.shell.check("systemctl --failed --no-legend --plain")
    assert (state.strip(), failed.strip()) == ("running", ""), status
    assert first.shell.fact("findmnt -n -o FSTYPE /") == "overlay"
    assert first.shell.fact("systemctl show -P Result systemd-remount-fs.service") == "success"


def test_update_units_found_nothing_to_update(first: Machine) -> None:
    """The image carries /etc/.updated and /var/.updated: ldconfig and the journal catalogue
    are not redone at every boot on the RAM overlay (their condition was checked, and false)."""
    for unit in ("ldconfig.service", "systemd-journal-catalog-update.service"):
        checked = first.shell.fact(f"systemctl show -P ConditionTimestampMonotonic {unit}")
        assert int(checked) > 0, f"{unit}: condition never checked"
        assert first.shell.fact(f"systemctl show -P ConditionResult {unit}") == "no", unit
        assert first.shell.fact(f"systemctl show -P ExecMainStartTimestampMonotonic {unit}") in (
            "0", ""), f"{unit} ran"


def test_the_kiosk_reads_proc_cpuinfo(first: Machine) -> None:
    """ProtectProc=invisible hides other users' processes; ProcSubset=pid hid /proc/cpuinfo
    too, and Kivy logged that it could not read it at every start."""
    assert first.shell.fact(f"systemctl show -P ProtectProc {KIOSK}") == "invisible"
    log = first.shell.check(f"journalctl -b -u {KIOSK} --no-pager -o cat")
    assert "cpuinfo" not in log, [line for line in log.splitlines() if "cpuinfo" in line]


def test_provisioning_applied_the_setup_file_from_the_fat(first: Machine, card: Card) -> None:
    assert first.shell.fact(f"systemctl show -P Result {PROVISION}") == "success"
    status = json.loads(first.shell.check("cat /var/lib/appliance/setup-status.json"))
    assert status["ok"] is True
    assert status["warnings"] == [], "the sandbox answered: the key was checked"
    boot_files = first.shell.fact("ls /boot/firmware").split()
    assert "appliance-setup.applied.toml" in boot_files
    assert "appliance-setup.toml" not in boot_files
    assert first.shell.fact("stat -c %a:%U /etc/appliance/kafinea.key") == "600:appliance"
    assert first.shell.fact("readlink /etc/appliance/localtime") == (
        "/usr/share/zoneinfo/Europe/Paris")
    assert card.shop.url in first.shell.check("cat /etc/appliance/appliance.toml")
    key = card.shop.access_key
    assert first.shell.fact(
        f"grep -c -F {key} /boot/firmware/appliance-setup.applied.toml || true") == "0"
    assert first.shell.fact(f"journalctl -b --no-pager | grep -c -F {key} || true") == "0"


def test_the_kiosk_pulled_the_catalogue_from_the_sandbox(first: Machine, card: Card) -> None:
    catalogue = first.shell.check("sqlite3 /var/lib/appliance/catalog.sqlite .dump")
    barcode = next(iter(card.shop.barcodes))
    assert barcode in catalogue


def test_the_screen_shows_the_sale_screen(first: Machine) -> None:
    png, uptime = first.wait_for_sale_screen()
    print(f"\nfirst boot: sale screen on the display by {uptime:.0f} s after the kernel"
          f" started ({first.seconds():.0f} s wall)")
    assert colour_count(png, PAY_GREEN) > 5000, f"{png}: not the sale screen"
    with Image.open(png) as image:
        assert image.size == SCREEN
    assert colour_count(png, SELECTED_LINE, TICKET_PANEL) == 0, f"{png}: ticket not empty"


def test_a_test_page_reaches_the_serial_printer_on_ttyS1(first: Machine) -> None:
    """`appliance printer test` with the provisioned [printer] (serial:/dev/ttyS1): its ESC/POS
    bytes reach the virtual printer through the VM's UART, and the printer's status answers
    (DLE EOT) come back: the command only succeeds when they do."""
    status, output = first.shell.run("runuser -u appliance -- appliance printer test",
                                     timeout=600)
    assert status == 0, output
    raw = bytes(first.printer.raw)
    assert b"\x1b@" in raw, raw[:40]  # ESC @: initialise
    assert b"\x1dV" in raw  # GS V: cut
    assert b"\x10\x04" in raw  # DLE EOT: status queries


def test_a_barcode_typed_on_the_keyboard_reaches_the_ticket(first: Machine, card: Card) -> None:
    barcode = next(iter(card.shop.barcodes))
    first.qmp.type_text(barcode)
    typed_again = False
    deadline = time.monotonic() + 180
    while True:
        png = first.screendump("scanned")
        found = colour_count(png, SELECTED_LINE, TICKET_PANEL)
        if found > 3000 or time.monotonic() > deadline:
            break
        if not typed_again and time.monotonic() > deadline - 90:
            first.qmp.type_text(barcode)  # a cashier scans again when nothing shows
            typed_again = True
        time.sleep(3)
    assert found > 3000, f"{png}: no ticket line for {barcode}"


def test_root_is_read_only_under_a_ram_overlay(first: Machine) -> None:
    mounts = first.shell.check("grep -E ' (/|/media/root-ro) ' /proc/mounts")
    assert first.shell.fact("findmnt -n -o FSTYPE /") == "overlay", mounts
    assert "ro" in first.shell.fact("findmnt -n -o OPTIONS /media/root-ro").split(","), mounts
    status, output = first.shell.run("touch /media/root-ro/written")
    assert status != 0, output


def test_data_partition_is_grown_and_bound(first: Machine, card: Card) -> None:
    assert first.shell.fact("findmnt -n -o SOURCE /data") == "/dev/vda4"
    size = int(first.shell.fact("df -B1M --output=size /data | tail -1"))
    assert size > 600, "grown from 256 MiB into the card's extra 512 MiB"
    assert first.shell.fact("findmnt -n -o SOURCE /var/lib/appliance").endswith("[/appliance]")
    card.facts["machine_id"] = first.shell.fact("cat /etc/machine-id")
    assert re.fullmatch(r"[0-9a-f]{32}", card.facts["machine_id"])
    assert first.shell.fact("cat /data/etc/machine-id") == card.facts["machine_id"]
    card.facts["setup_status"] = first.shell.check("cat /var/lib/appliance/setup-status.json")


def test_the_watchdog_restarts_a_frozen_kiosk(first: Machine) -> None:
    """SIGSTOP freezes the kiosk: its watchdog pings stop, systemd sends WatchdogSignal
    (SIGABRT, with a SIGCONT so a stopped process gets it), Restart=always starts a new
    process, which reaches READY and draws the sale screen again."""
    frozen = first.shell.fact(f"systemctl show -P MainPID {KIOSK}")
    first.shell.check(f"kill -STOP {frozen}")
    show = f"systemctl show -p NRestarts -p ActiveState -p SubState -p MainPID {KIOSK}"
    deadline = time.monotonic() + 900  # the emulation's 1 min watchdog + a restart
    while True:
        facts = dict(line.split("=", 1) for line in first.shell.check(show).split())
        back = (facts["NRestarts"] != "0" and facts["ActiveState"] == "active"
                and facts["SubState"] == "running" and facts["MainPID"] not in ("0", frozen))
        if back or time.monotonic() > deadline:
            break
        time.sleep(5)
    log = kiosk_log(first)
    assert back, f"{facts}\n{log}"
    assert first.shell.fact(f"test -d /proc/{frozen} && echo alive || echo gone") == "gone"
    killed = first.shell.check(f"journalctl -b -u {KIOSK} --no-pager -o cat")
    assert "Watchdog timeout" in killed, log
    png, uptime = first.wait_for_sale_screen(timeout=600)
    assert colour_count(png, PAY_GREEN) > 5000, f"{png}: not the sale screen again"
    print(f"\nwatchdog: kiosk back on the sale screen by {uptime:.0f} s of guest time")


def _wait_for_screen(machine: Machine, name: str, seen, timeout: float = 300.0) -> Path:
    """Screen dumps until `seen(png)` holds (bounded); the last dump."""
    deadline = time.monotonic() + timeout
    while True:
        png = machine.screendump(name)
        if seen(png) or time.monotonic() > deadline:
            return png
        time.sleep(2)


def test_a_power_cut_right_after_a_sale(first: Machine, card: Card) -> None:
    """Kafinea unreachable (the guest's sandbox stopped), a ticket sold on the screen with the
    mouse: pay, seller, exact cash, validate without receipt; the moment its record is in the
    fiscal journal, the power goes (QEMU killed, no shutdown). Checked on the next boot."""
    barcode = next(iter(card.shop.barcodes))
    first.shell.check("systemctl stop appliance-test-sandbox.service")
    assert query(first, JOURNAL, TICKETS) == []
    png = first.screendump("before-sale")
    if colour_count(png, SELECTED_LINE, TICKET_PANEL) < 3000:  # the restart kept no ticket
        first.qmp.type_text(barcode)
        png = _wait_for_screen(
            first, "sale-line", lambda p: colour_count(p, SELECTED_LINE, TICKET_PANEL) > 3000)
        assert colour_count(png, SELECTED_LINE, TICKET_PANEL) > 3000, png
    first.qmp.click(*PAY_BUTTON)
    png = _wait_for_screen(first, "seller-dialog", lambda p: colour_count(p, SHADED_GREEN) > 3000)
    assert colour_count(png, SHADED_GREEN) > 3000, f"{png}: no seller dialog over the sale"
    first.qmp.click(*FIRST_SELLER)
    png = _wait_for_screen(
        first, "payment", lambda p: colour_count(p, EXACT_AMBER, EXACT_PANEL) > 1000)
    assert colour_count(png, EXACT_AMBER, EXACT_PANEL) > 1000, f"{png}: not the payment"
    first.qmp.click(*EXACT_BUTTON)
    png = _wait_for_screen(
        first, "settled", lambda p: colour_count(p, PAY_GREEN, VALIDATE_PANEL) > 3000)
    assert colour_count(png, PAY_GREEN, VALIDATE_PANEL) > 3000, f"{png}: not paid"
    first.qmp.click(*VALIDATE_WITHOUT_RECEIPT)
    deadline = time.monotonic() + 300
    while not (journaled := query(first, JOURNAL, TICKETS)) and time.monotonic() < deadline:
        time.sleep(0.5)
    first.process.kill()  # the power cut
    first.process.wait(30)
    assert len(journaled) == 1, f"the validated ticket did not reach the journal ({png})"
    card.facts["sold"] = barcode


def test_second_boot_keeps_the_data_and_the_identity(second: Machine, card: Card) -> None:
    assert card.facts["second_data"] == "active"
    assert second.shell.fact("cat /etc/machine-id") == card.facts["machine_id"]
    assert second.shell.fact("test -e /data/.grown && echo yes") == "yes"
    assert card.shop.url in second.shell.check("cat /etc/appliance/appliance.toml")
    assert second.shell.fact("stat -c %a:%U /etc/appliance/kafinea.key") == "600:appliance"
    status = second.shell.check("cat /var/lib/appliance/setup-status.json")
    assert json.loads(status) == json.loads(card.facts["setup_status"])


def test_second_boot_does_not_provision_again(second: Machine) -> None:
    """No appliance-setup.toml on the FAT any more: the unit's condition is false."""
    deadline = time.monotonic() + 600
    show = f"systemctl show -P ConditionTimestampMonotonic {PROVISION}"
    while second.shell.fact(show) == "0" and time.monotonic() < deadline:
        time.sleep(5)
    assert second.shell.fact(f"systemctl show -P ConditionResult {PROVISION}") == "no"


def test_the_fiscal_journal_verifies_after_the_power_cut(second: Machine) -> None:
    """The session opened on the first boot survived the watchdog kill and the power cut."""
    status, report = second.shell.run(
        "runuser -u appliance -- appliance journal verify --workers 1", timeout=900)
    assert status == 0, report


def test_the_sale_cut_short_is_journaled_once_and_reaches_kafinea_once(
    second: Machine, card: Card
) -> None:
    """Neither lost nor doubled: one TICKET record (it holds the product sold), and after
    the restart the kiosk delivers it to the sandbox: one invoice with its reference."""
    assert "sold" in card.facts, "the power-cut sale did not happen"
    rows = query(second, JOURNAL, TICKETS)
    assert len(rows) == 1, rows
    number = int(rows[0].split("|", 1)[0])
    assert card.facts["sold"] in rows[0] or card.shop.barcodes[card.facts["sold"]] in rows[0]

    def invoices() -> int:
        refs = query(second, SANDBOX_DB, INVOICE_REFS, user="root")
        return sum(ref.endswith(f"-T{number:06d}") for ref in refs)

    deadline = time.monotonic() + 1200
    while invoices() == 0 and time.monotonic() < deadline:
        time.sleep(10)
    time.sleep(20)  # a second delivery, if any, would come right behind the first
    assert invoices() == 1, kiosk_log(second)


def test_second_boot_has_no_failed_unit(second: Machine) -> None:
    status, state = second.shell.run("timeout 900 systemctl is-system-running --wait",
                                     timeout=960)
    failed = second.shell.check("systemctl --failed --no-legend --plain")
    assert (state.strip(), failed.strip()) == ("running", ""), status
