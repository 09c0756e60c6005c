"""The amd64 stand-in booted under QEMU, driven like a till in a shop (see qemu_vm.py).

One card (a copy of the built image, 512 MiB larger), switched on twice; tests in file order:

1. first power-on: provisioning from the test appliance-setup.toml on the FAT, the kiosk
   READY against the Kafinea sandbox (served in the guest on 127.0.0.1) on the sale screen
   (screen dump), a test page's ESC/POS bytes reaching the printer on ttyS1, a barcode
   typed on the keyboard reaching the till's ticket, the root read-only, DATA grown
   and bound;
2. second power-on: the data, the configuration and the card's identity survived, the
   provisioning did not run again, the fiscal journal verifies.

Slow (minutes of software emulation): marker `image`, run with APPLIANCE_IMAGE_TESTS=1.
Boot seconds are printed (`-s` shows them; bench/image_boot.py prints them too).
"""

from __future__ import annotations

import json
import os
import re
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
    """The same card switched on again, after the first power-on's clean shutdown."""
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


def test_the_fiscal_journal_verifies_after_the_reboot(second: Machine) -> None:
    """The session opened on the first boot survived the watchdog kill and the reboot."""
    status, report = second.shell.run(
        "runuser -u appliance -- appliance journal verify --workers 1", timeout=900)
    assert status == 0, report
