"""Boot the amd64 stand-in under QEMU (software emulation) and print how long it takes.

    sudo .venv/bin/python bench/image_boot.py [--out image/build-output]

Uses the image built by image/build (or bench/image_build.py) and the boot test's own machine
(tests/image/qemu_vm.py: the test appliance-setup.toml, the in-guest Kafinea sandbox, the
first-boot session opening). Prints, for a first and a second power-on of the same card, the
guest seconds from kernel start to provisioning done, to the kiosk's READY=1 (its first frame)
and to the sale screen seen in a screen dump, and the wall seconds to READY and to power-off.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.image.conftest import BuiltImage  # noqa: E402  (after the path is set)
from tests.image.qemu_vm import (  # noqa: E402
    FIRST_BOOT_UNITS,
    LATER_BOOT_UNITS,
    booted,
    prepare_disk,
    seed_shop,
)

KIOSK = "appliance-kiosk.service"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "image/build-output")
    args = parser.parse_args()
    version = re.search(r'__version__ = "(.+)"', (REPO / "appliance/__init__.py").read_text())
    assert version
    name = f"appliance-{version.group(1)}-amd64"
    built = BuiltImage(
        image=args.out / f"{name}.img",
        rootfs=args.out / f"{name}.rootfs",
        manifest=args.out / f"{name}.manifest.txt",
        kernel=args.out / f"{name}.vmlinuz",
        initrd=args.out / f"{name}.initrd.img",
    )
    if not built.image.exists():
        print(f"{built.image}: not built (image/build --arch amd64)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(dir="/var/tmp") as work:
        workdir = Path(work)
        shop = seed_shop(workdir / "sandbox")
        disk = prepare_disk(built, workdir, shop)
        for label, units in (("first", FIRST_BOOT_UNITS), ("second", LATER_BOOT_UNITS)):
            with booted(built, disk, workdir, label, units) as machine:
                shell = machine.wait_for_shell()
                state = machine.wait_for_unit(KIOSK)
                wall = machine.seconds()
                ready = machine.uptime_of(KIOSK) if state == "active" else 0.0
                _, shown = machine.wait_for_sale_screen() if state == "active" else (None, 0.0)
                provision = machine.uptime_of("appliance-provision.service",
                                              "InactiveEnterTimestampMonotonic")
                off = machine.power_off()
            print(f"{label} boot: kiosk {state}; guest: provisioning done at {provision:.1f} s,"
                  f" kiosk READY at {ready:.1f} s, sale screen shown by {shown:.0f} s;"
                  f" wall: shell {shell:.0f} s, READY {wall:.0f} s, power-off {off:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
