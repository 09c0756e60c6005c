"""Boot the amd64 stand-in under QEMU (software emulation) and print how long things took.

    sudo .venv/bin/python bench/image_boot.py [--out image/build-output]

Uses the image built by image/build (or bench/image_build.py) and the boot test's own helpers
(a test appliance-setup.toml and a report script on the FAT). Prints the wall time of a boot to
power-off, and from the guest's clock the seconds from kernel start to provisioning done and
to the kiosk's READY=1 (0 when the kiosk never became ready).
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
from tests.image.qemu_boot import boot, prepare_disk  # noqa: E402


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
        disk = prepare_disk(built, Path(work))
        for label in ("first boot (provisioning)", "second boot"):
            facts, _, wall = boot(built, disk, Path(work) / "serial.log")
            print(f"{label}: {wall:.0f} s wall to power-off; guest: provisioning done at"
                  f" {facts.get('provision_done_s', '?')} s, kiosk {facts.get('kiosk', '?')}"
                  f" (READY at {facts.get('kiosk_ready_s', '?')} s,"
                  f" restarts {facts.get('kiosk_restarts', '?')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
