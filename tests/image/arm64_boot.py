"""Boot the arm64 (Raspberry Pi 4) image once under `qemu-system-aarch64 -M virt` (TCG).

The Pi's boot firmware (start4.elf reading config.txt) does not run under QEMU's virt board, so
this does its job: it reads config.txt on a copy of the image's FAT, takes the kernel and the
initramfs that config.txt names off the FAT (mtools, no mount) and gives them to QEMU, with the
FAT's cmdline.txt as the command line, the Pi's UART console (ttyS1) swapped for the virt
board's PL011 (ttyAMA0). The whole card goes on virtio, so ROOT_A, BOOT and DATA are found by
their labels as on the Pi.

`systemd.run=` runs a launcher from the FAT that starts the report as a transient unit outside
the boot transaction (a oneshot inside it would keep systemd "starting" until it ends); the
report waits for `systemctl is-system-running --wait`, prints `@@ key=value` lines on the
serial port (units, failed units, mounts, the venv's imports) and powers the VM off.
Used by tests/image/test_arm64.py and bench/image_boot_arm64.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUR_UNITS = sorted(p.name for p in (REPO / "systemd/units").iterdir())
IMPORTS = "appliance, appliance.cli, kivy, evdev, escpos.printer, serial, usb.core, cryptography"

LAUNCH = """#!/bin/sh
# systemd.run= target: start the report outside the boot transaction, then return at once.
systemd-run --no-block --unit=arm64-smoke /bin/sh /boot/firmware/arm64-smoke.sh
"""

REPORT = rf"""#!/bin/sh
# arm64 smoke report: wait for the boot to finish, print facts on the serial port, power off.
exec > /dev/ttyAMA0 2>&1
say() {{ echo "@@ $*"; }}
say "started_s=$(cut -d. -f1 /proc/uptime)"
say "state=$(timeout 1200 systemctl is-system-running --wait)"
say "settled_s=$(cut -d. -f1 /proc/uptime)"
say "arch=$(uname -m)"
say "kernel=$(uname -r)"
say "failed=$(systemctl list-units --failed --no-legend --plain | cut -d' ' -f1 | tr '\n' ' ')"
units=""
for unit in {" ".join(shlex.quote(unit) for unit in OUR_UNITS)}; do
    units="$units $unit:$(systemctl show -P LoadState "$unit"):$(systemctl is-enabled "$unit")"
done
say "units=$units"
say "kiosk=$(systemctl show -P ActiveState appliance-kiosk.service)"
say "kiosk_restarts=$(systemctl show -P NRestarts appliance-kiosk.service)"
ready_us=$(systemctl show -P ActiveEnterTimestampMonotonic appliance-kiosk.service)
say "kiosk_ready_s=$((ready_us / 1000000))"
say "provision=$(systemctl show -P ActiveState,Result appliance-provision.service | tr '\n' :)"
say "target=$(systemctl is-active multi-user.target)"
say "root=$(findmnt -n -o FSTYPE /)"
say "lower=$(findmnt -n -o OPTIONS /media/root-ro | cut -d, -f1)"
say "boot=$(findmnt -n -o SOURCE,FSTYPE /boot/firmware | tr -s ' ' :)"
say "data=$(findmnt -n -o SOURCE /data)"
say "machine_id=$(cat /etc/machine-id)"
imports=$(cd /tmp && env KIVY_NO_ARGS=1 KIVY_HOME=/tmp/kivy KIVY_NO_FILELOG=1 \
    /opt/appliance/venv/bin/python -c "import sys, {IMPORTS}; \
print('ok', appliance.__version__, kivy.__version__, sys.version.split()[0], \
kivy.__file__.startswith('/usr/lib/python3/'))" 2>&1 | tail -1)
say "imports=$imports"
say "appliance_cli=$(/usr/bin/appliance --help >/dev/null 2>&1 && echo ok)"
say "uptime_s=$(cut -d. -f1 /proc/uptime)"
journalctl -b -p warning -n 30 --no-pager -o cat | sed 's/^/@@log /'
journalctl -b -u appliance-kiosk.service -n 15 --no-pager -o cat | sed 's/^/@@kiosk-log /'
echo "@@ END"
systemctl poweroff
"""


@dataclass(frozen=True)
class Arm64Image:
    """The files image/build leaves for `--arch arm64` in its output directory."""

    image: Path
    manifest: Path

    @staticmethod
    def version() -> str:
        text = (REPO / "appliance/__init__.py").read_text()
        found = re.search(r'__version__ = "(.+)"', text)
        assert found
        return found.group(1)

    @classmethod
    def in_dir(cls, out: Path) -> Arm64Image:
        name = f"appliance-{cls.version()}-arm64"
        return cls(image=out / f"{name}.img", manifest=out / f"{name}.manifest.txt")

    def partitions(self) -> list[dict]:
        """sfdisk's view of the MBR (start and size in 512-byte sectors)."""
        table = subprocess.run(["sfdisk", "--json", str(self.image)], capture_output=True,
                               text=True, check=True)
        return json.loads(table.stdout)["partitiontable"]["partitions"]

    def fat(self, disk: Path | None = None) -> str:
        """mtools' name for the BOOT partition of this image (or of a copy of it)."""
        return f"{disk or self.image}@@{self.partitions()[0]['start'] * 512}"

    def boot_file(self, name: str) -> str:
        return subprocess.run(["mtype", "-i", self.fat(), f"::{name}"], capture_output=True,
                              text=True, check=True).stdout

    def boot_files(self) -> list[str]:
        listing = subprocess.run(["mdir", "-b", "-i", self.fat(), "::/"], capture_output=True,
                                 text=True, check=True).stdout
        return [line.removeprefix("::/").strip("/") for line in listing.splitlines()]


def config_txt(text: str) -> dict[str, str]:
    """The Pi firmware's config.txt as key -> value (`key=value` and `initramfs FILE`)."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("initramfs "):
            found["initramfs"] = line.split()[1]
        elif "=" in line:
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


def virt_cmdline(pi_cmdline: str) -> str:
    """The Pi's cmdline.txt for the virt board: its consoles replaced by the PL011, verbose."""
    kept = [word for word in pi_cmdline.split()
            if not word.startswith("console=") and word not in ("quiet",)
            and not word.startswith("loglevel=")]
    # TCG on a busy 2-core machine is slow: give devices time, and skip the timer check.
    return " ".join([*kept, "systemd.default_device_timeout_sec=600", "no_timer_check",
                     "systemd.run=/boot/firmware/arm64-launch.sh",
                     # systemd.run= alone boots into kernel-command-line.target (sysinit and
                     # little else): boot the real target and pull the launcher in beside it
                     "systemd.unit=multi-user.target", "systemd.wants=kernel-command-line.service",
                     # the serial getty's vhangup would cut the report off the console
                     "systemd.mask=serial-getty@ttyAMA0.service",
                     # the launcher returns at once; the report powers off itself
                     "systemd.run_success_action=none", "systemd.run_failure_action=poweroff",
                     "console=ttyAMA0"])


@dataclass(frozen=True)
class Kit:
    disk: Path
    kernel: Path
    initrd: Path
    cmdline: str


def prepare(built: Arm64Image, workdir: Path) -> Kit:
    """A copy of the card with the report on its FAT, and the kernel and initrd config.txt names."""
    disk = workdir / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(built.image), str(disk)], check=True)
    fat = built.fat(disk)
    (workdir / "arm64-launch.sh").write_text(LAUNCH)
    (workdir / "arm64-smoke.sh").write_text(REPORT)
    subprocess.run(["mcopy", "-i", fat, str(workdir / "arm64-launch.sh"),
                    str(workdir / "arm64-smoke.sh"), "::/"], check=True)
    config = config_txt(built.boot_file("config.txt"))
    kernel, initrd = workdir / "vmlinuz", workdir / "initrd.img"
    subprocess.run(["mcopy", "-n", "-i", fat, f"::{config['kernel']}", str(kernel)], check=True)
    subprocess.run(["mcopy", "-n", "-i", fat, f"::{config['initramfs']}", str(initrd)],
                   check=True)
    return Kit(disk, kernel, initrd, virt_cmdline(built.boot_file("cmdline.txt")))


def boot(kit: Kit, serial: Path, timeout: float = 2400) -> tuple[dict[str, str], str, float]:
    """Boot until the report powers the VM off; returns its facts, the serial log, seconds."""
    started = time.monotonic()
    subprocess.run(
        ["qemu-system-aarch64", "-M", "virt", "-cpu", "max,pauth-impdef=on",
         "-accel", "tcg,thread=multi", "-smp", "2", "-m", "2048",
         "-kernel", str(kit.kernel), "-initrd", str(kit.initrd), "-append", kit.cmdline,
         "-drive", f"file={kit.disk},format=raw,if=virtio",
         "-nic", "none", "-device", "virtio-gpu-pci,xres=800,yres=480", "-display", "none",
         "-serial", f"file:{serial}", "-monitor", "none", "-no-reboot"],
        check=True, timeout=timeout,
    )
    elapsed = time.monotonic() - started
    log = serial.read_text(errors="replace")
    facts = dict(line[3:].split("=", 1) for line in log.splitlines()
                 if re.match(r"^@@ \w+=", line))
    return facts, log, elapsed


def qemu_available() -> bool:
    return shutil.which("qemu-system-aarch64") is not None and shutil.which("mtype") is not None


def output_dir() -> Path:
    return Path(os.environ.get("APPLIANCE_IMAGE_OUT", REPO / "image/build-output"))
