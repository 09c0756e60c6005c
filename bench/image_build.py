"""Build the SD image and print what it costs: wall time, image and partition sizes, packages.

    sudo .venv/bin/python bench/image_build.py [--arch amd64|arm64] [--out DIR]

Runs `image/build` (root, network to deb.debian.org) and prints figures for the README and
for deciding what CI can afford; with --reuse, only reports on an image already built.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="amd64", choices=("amd64", "arm64"))
    parser.add_argument("--out", type=Path, default=REPO / "image/build-output")
    parser.add_argument("--reuse", action="store_true", help="report on an existing image")
    args = parser.parse_args()
    version = re.search(r'__version__ = "(.+)"', (REPO / "appliance/__init__.py").read_text())
    assert version
    name = f"appliance-{version.group(1)}-{args.arch}"
    image = args.out / f"{name}.img"
    if not args.reuse:
        started = time.monotonic()
        subprocess.run([str(REPO / "image/build"), "--arch", args.arch, "--out", str(args.out)],
                       check=True)
        print(f"build wall time: {time.monotonic() - started:.0f} s ({args.arch})")
    if not image.exists():
        print(f"{image}: not built", file=sys.stderr)
        return 1
    size = image.stat().st_size
    used = image.stat().st_blocks * 512
    print(f"image: {image.name}: {size / 2**20:.0f} MiB, {used / 2**20:.0f} MiB allocated")
    table = json.loads(subprocess.run(["sfdisk", "--json", str(image)], capture_output=True,
                                      text=True, check=True).stdout)
    for number, part in enumerate(table["partitiontable"]["partitions"], start=1):
        print(f"  partition {number}: type {part['type']:>2}, {part['size'] * 512 / 2**20:.0f} MiB")
    manifest = image.with_name(f"{name}.manifest.txt")
    lines = [line for line in manifest.read_text().splitlines() if not line.startswith("#")]
    debian = sum("\t" in line for line in lines)
    print(f"manifest: {debian} Debian packages, {len(lines) - debian} Python packages in the venv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
