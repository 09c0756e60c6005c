"""Boot the arm64 image once under qemu-system-aarch64 -M virt (TCG) and print how long it took.

    sudo .venv/bin/python bench/image_boot_arm64.py [--out image/build-output]

Uses an image built by `image/build --arch arm64` (or bench/image_build.py --arch arm64) and
the arm64 test's helpers (tests/image/arm64_boot.py): the card's kernel and initramfs named by
its config.txt, a report script on a copy of its FAT. Prints the wall time of a boot to
power-off and, from the guest's clock, when systemd finished starting and in what state.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.image.arm64_boot import Arm64Image, boot, output_dir, prepare  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=output_dir())
    args = parser.parse_args()
    built = Arm64Image.in_dir(args.out)
    if not built.image.exists():
        print(f"{built.image}: not built (image/build --arch arm64)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(dir="/var/tmp") as work:
        kit = prepare(built, Path(work))
        facts, log, wall = boot(kit, Path(work) / "serial.log")
    if "@@ END" not in log:
        print(f"no report on the serial console after {wall:.0f} s", file=sys.stderr)
        return 1
    print(f"arm64 boot under TCG: {wall:.0f} s wall to power-off; guest: systemd"
          f" '{facts['state']}' at {facts['settled_s']} s, report done at {facts['uptime_s']} s;"
          f" kernel {facts['kernel']}; failed units: {facts['failed'].strip() or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
