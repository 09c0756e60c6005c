"""Boot the amd64 stand-in under QEMU (software emulation) and look at what the till did.

NOT COLLECTED YET (file name without test_): on this 2-core machine the VM reaches the
provisioning unit (which found two bugs, fixed) but the report never arrived within the time
available; bench/image_boot.py drives the same helpers. Rename to test_boot.py once a boot
passes end to end.

A test `appliance-setup.toml` and a small report script go onto a copy of the image's FAT
partition (mtools, no mount); QEMU boots Debian's kernel and initrd from the build with the
command line of the FAT's cmdline.txt plus `systemd.run=` of the report script, which waits for
the provisioning and kiosk units, prints `@@ key=value` lines on the serial port and powers off.
The disk is grown by 512 MiB first, as a larger SD card would be.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.image.conftest import SKIP_REASON, BuiltImage

pytestmark = [
    pytest.mark.image,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(os.environ.get("APPLIANCE_IMAGE_TESTS") != "1", reason=SKIP_REASON),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                       reason="qemu-system-x86 not installed"),
]

ACCESS_KEY = "bootTestKey0123456789"
SETUP = f"""
schema = 1
[kafinea]
instance = "kfn123456789"
email = "caisse@boutique.fr"
access_key = "{ACCESS_KEY}"
register = "CAISSE-01"
[printer]
connection = "file:/dev/null"
[system]
timezone = "Europe/Paris"
"""

REPORT = r"""#!/bin/sh
# Test report: wait for provisioning and the kiosk, print facts on the serial port.
exec > /dev/ttyS0 2>&1
say() { echo "@@ $*"; }
i=0
while [ "$i" -lt 300 ]; do
    p=$(systemctl show -P ActiveState appliance-provision.service)
    k=$(systemctl show -P ActiveState appliance-kiosk.service)
    if [ "$p" != activating ] && { [ "$k" = active ] || [ "$k" = failed ]; }; then break; fi
    sleep 1; i=$((i + 1))
done
sleep 10
say "waited=$i"
say "provision=$(systemctl show -P Result appliance-provision.service)"
say "kiosk=$(systemctl show -P ActiveState appliance-kiosk.service)"
say "kiosk_sub=$(systemctl show -P SubState appliance-kiosk.service)"
say "kiosk_restarts=$(systemctl show -P NRestarts appliance-kiosk.service)"
# Seconds since the kernel started: the kiosk's READY=1 (active), provisioning done.
at() { echo $(( $(systemctl show -P "$1" "$2") / 1000000 )); }
say "kiosk_ready_s=$(at ActiveEnterTimestampMonotonic appliance-kiosk.service)"
say "provision_done_s=$(at InactiveEnterTimestampMonotonic appliance-provision.service)"
say "status=$(tr -d '\n' < /var/lib/appliance/setup-status.json)"
say "bootfiles=$(ls /boot/firmware | tr '\n' ' ')"
say "config=$(test -s /etc/appliance/appliance.toml && echo present)"
say "key=$(stat -c %a:%U /etc/appliance/kafinea.key)"
say "localtime=$(readlink /etc/appliance/localtime)"
say "lower=$(findmnt -n -o OPTIONS /media/root-ro | cut -d, -f1)"
say "root=$(findmnt -n -o FSTYPE /)"
say "data=$(findmnt -n -o SOURCE /data)"
say "datasize=$(df -B1M --output=size /data | tail -1 | tr -d ' ')"
say "varlib=$(findmnt -n -o SOURCE /var/lib/appliance)"
say "journal=$(findmnt -n -o SOURCE /var/log/journal)"
say "failed=$(systemctl list-units --failed --no-legend --plain | cut -d' ' -f1 | tr '\n' ' ')"
say "machine_id=$(cat /etc/machine-id)"
say "data_machine_id=$(cat /data/etc/machine-id)"
say "grown=$(test -e /data/.grown && echo yes)"
say "ssh_host_key=$(test -s /etc/ssh/appliance/ssh_host_ed25519_key && echo present)"
say "user=$(ps -o user= -p "$(systemctl show -P MainPID appliance-kiosk.service)" 2>/dev/null)"
journalctl -b -u appliance-kiosk.service -n 25 --no-pager -o cat | sed 's/^/@@kiosk-log /'
journalctl -b -u appliance-provision.service -n 10 --no-pager -o cat | sed 's/^/@@provision-log /'
echo "@@ END"
"""


def prepare_disk(built: BuiltImage, workdir: Path) -> Path:
    """A copy of the image, 512 MiB larger, with the test setup file and report on the FAT."""
    disk = workdir / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(built.image), str(disk)], check=True)
    with disk.open("r+b") as handle:
        handle.truncate(disk.stat().st_size + 512 * 1024 * 1024)
    (workdir / "appliance-setup.toml").write_text(SETUP)
    (workdir / "report.sh").write_text(REPORT)
    subprocess.run(["mcopy", "-i", f"{disk}@@{built.offset(1)}",
                    str(workdir / "appliance-setup.toml"), str(workdir / "report.sh"), "::/"],
                   check=True)
    return disk


def boot(built: BuiltImage, disk: Path, serial: Path) -> tuple[dict[str, str], str, float]:
    """Boot once until the report powers the VM off; returns its facts, the log, seconds."""
    fat = f"{disk}@@{built.offset(1)}"
    cmdline = subprocess.run(["mtype", "-i", fat, "::cmdline.txt"], capture_output=True,
                             text=True, check=True).stdout.strip()
    # Software emulation on a busy 2-core machine can take longer than systemd's 90 s
    # default to see the partitions, and upsets the kernel's timer check; a Pi needs neither.
    cmdline += (" systemd.run=/boot/firmware/report.sh systemd.run_success_action=poweroff"
                " systemd.run_failure_action=poweroff systemd.default_device_timeout_sec=400"
                " no_timer_check")
    started = time.monotonic()
    subprocess.run(
        ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2",
         "-m", "2048", "-kernel", str(built.kernel), "-initrd", str(built.initrd),
         "-append", cmdline, "-drive", f"file={disk},format=raw,if=virtio",
         "-nic", "none", "-vga", "none", "-device", "virtio-gpu-pci,xres=800,yres=480",
         "-display", "none", "-serial", f"file:{serial}", "-monitor", "none", "-no-reboot"],
        check=True, timeout=1200,
    )
    elapsed = time.monotonic() - started
    log = serial.read_text(errors="replace")
    facts = dict(
        line[3:].split("=", 1) for line in log.splitlines() if re.match(r"^@@ \w+=", line)
    )
    print(f"QEMU boot to report and power-off: {elapsed:.0f} s wall")
    return facts, log, elapsed


@pytest.fixture(scope="module")
def disk(built_image: BuiltImage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_disk(built_image, tmp_path_factory.mktemp("qemu"))


@pytest.fixture(scope="module")
def booted(built_image: BuiltImage, disk: Path):
    return boot(built_image, disk, disk.with_name("serial-1.log"))


@pytest.fixture(scope="module")
def rebooted(built_image: BuiltImage, disk: Path, booted):
    """The same card switched on again (after the first boot's power-off)."""
    return boot(built_image, disk, disk.with_name("serial-2.log"))


def test_the_report_ran(booted) -> None:
    facts, log, _ = booted
    assert "@@ END" in log, log[-3000:]
    assert int(facts["waited"]) < 300, "provisioning and kiosk settled"


def test_provisioning_applied_the_file_from_the_fat(booted) -> None:
    facts, log, _ = booted
    assert facts["provision"] == "success", log[-3000:]
    status = json.loads(facts["status"])
    assert status["ok"] is True
    assert any("not reachable" in w for w in status["warnings"])  # no network in this VM
    files = facts["bootfiles"].split()
    assert "appliance-setup.applied.toml" in files and "appliance-setup.toml" not in files
    assert facts["config"] == "present"
    assert facts["key"] == "600:appliance"
    assert facts["localtime"] == "/usr/share/zoneinfo/Europe/Paris"
    assert ACCESS_KEY not in log


def test_root_is_read_only_under_a_ram_overlay(booted) -> None:
    facts, _, _ = booted
    assert facts["root"] == "overlay"
    assert facts["lower"] == "ro"


def test_data_partition_is_mounted_grown_and_bound(booted) -> None:
    facts, _, _ = booted
    assert facts["data"] == "/dev/vda4"
    assert int(facts["datasize"]) > 600, "grown from 256 MiB into the extra 512 MiB"
    assert facts["varlib"].endswith("[/appliance]")
    assert facts["journal"].endswith("[/log/journal]")


def test_per_card_identity_is_made_at_first_boot(booted) -> None:
    facts, _, _ = booted
    assert re.fullmatch(r"[0-9a-f]{32}", facts["machine_id"])
    assert facts["ssh_host_key"] == "present"


def test_no_unit_failed_but_the_kiosk_was_started(booted) -> None:
    facts, log, _ = booted
    failed = [u for u in facts["failed"].split() if u != "appliance-kiosk.service"]
    assert failed == [], log[-4000:]
    assert facts["kiosk"] in ("active", "activating", "failed"), facts["kiosk"]


def test_machine_id_is_kept_on_the_data_partition(booted) -> None:
    facts, _, _ = booted
    assert facts["machine_id"] == facts["data_machine_id"]


def test_a_second_boot_keeps_the_data_and_the_identity(booted, rebooted) -> None:
    first, _, _ = booted
    second, log, _ = rebooted
    assert "@@ END" in log
    assert second["provision"] in ("success", ""), "no setup file: provisioning skipped"
    assert second["bootfiles"] == first["bootfiles"]
    assert second["config"] == "present" and second["key"] == "600:appliance"
    assert second["machine_id"] == first["machine_id"]
    assert second["grown"] == "yes" and second["datasize"] == first["datasize"]
    assert json.loads(second["status"]) == json.loads(first["status"])
