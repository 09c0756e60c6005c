"""The amd64 stand-in image, built once per test session (slow: minutes).

Gating: these tests carry the `image` marker and run only with APPLIANCE_IMAGE_TESTS=1 (root,
the network to deb.debian.org and the packages of image/README.md are needed). Set
APPLIANCE_IMAGE_REUSE=1 to test an image already in APPLIANCE_IMAGE_OUT (default
image/build-output) instead of building it again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENABLED = os.environ.get("APPLIANCE_IMAGE_TESTS") == "1"
SKIP_REASON = "image tests run only with APPLIANCE_IMAGE_TESTS=1 (slow: build and boot)"


@dataclass(frozen=True)
class BuiltImage:
    image: Path
    rootfs: Path
    manifest: Path
    kernel: Path
    initrd: Path

    def partitions(self) -> list[dict]:
        """sfdisk's view of the MBR (start and size in 512-byte sectors)."""
        table = subprocess.run(
            ["sfdisk", "--json", str(self.image)], capture_output=True, text=True, check=True
        )
        return json.loads(table.stdout)["partitiontable"]["partitions"]

    def offset(self, number: int) -> int:
        return self.partitions()[number - 1]["start"] * 512


def _version() -> str:
    text = (REPO / "appliance/__init__.py").read_text()
    found = re.search(r'__version__ = "(.+)"', text)
    assert found
    return found.group(1)


@pytest.fixture(scope="session")
def built_image() -> BuiltImage:
    if not ENABLED:
        pytest.skip(SKIP_REASON)
    out = Path(os.environ.get("APPLIANCE_IMAGE_OUT", REPO / "image/build-output"))
    name = f"appliance-{_version()}-amd64"
    built = BuiltImage(
        image=out / f"{name}.img",
        rootfs=out / f"{name}.rootfs",
        manifest=out / f"{name}.manifest.txt",
        kernel=out / f"{name}.vmlinuz",
        initrd=out / f"{name}.initrd.img",
    )
    if not (os.environ.get("APPLIANCE_IMAGE_REUSE") == "1" and built.image.exists()):
        subprocess.run(
            [str(REPO / "image/build"), "--arch", "amd64", "--keep-rootfs", "--out", str(out)],
            check=True,
        )
    return built
