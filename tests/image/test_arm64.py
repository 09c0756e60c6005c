"""The arm64 (Raspberry Pi 4) image: what the Pi's firmware reads off BOOT, and one boot.

Too slow for CI (the rootfs is built under qemu-user, the boot runs under TCG): runs only with
APPLIANCE_ARM64_TESTS=1; APPLIANCE_IMAGE_REUSE=1 tests the image already in
APPLIANCE_IMAGE_OUT (default image/build-output) instead of building it again. The boot
(tests/image/arm64_boot.py) uses QEMU's virt board with the card's own kernel and initramfs,
so it checks the Debian userland, units and venv on arm64, not the Pi's firmware or device tree.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.image.arm64_boot import (
    OUR_UNITS,
    REPO,
    Arm64Image,
    boot,
    config_txt,
    output_dir,
    prepare,
    qemu_available,
)

pytestmark = [
    pytest.mark.image,
    pytest.mark.timeout(7200),
    pytest.mark.skipif(os.environ.get("APPLIANCE_ARM64_TESTS") != "1",
                       reason="arm64 image tests run only with APPLIANCE_ARM64_TESTS=1 (slow)"),
    pytest.mark.skipif(not qemu_available(), reason="qemu-system-arm or mtools not installed"),
]


@pytest.fixture(scope="module")
def arm64_image() -> Arm64Image:
    out = output_dir()
    built = Arm64Image.in_dir(out)
    if not (os.environ.get("APPLIANCE_IMAGE_REUSE") == "1" and built.image.exists()):
        subprocess.run([str(REPO / "image/build"), "--arch", "arm64", "--out", str(out)],
                       check=True)
    return built


@pytest.fixture(scope="module")
def manifest(arm64_image: Arm64Image) -> dict[str, tuple[str, str]]:
    """Debian package -> (version, architecture), from the manifest beside the image."""
    rows = [line.split("\t") for line in arm64_image.manifest.read_text().splitlines()
            if "\t" in line]
    return {row[0]: (row[1], row[2]) for row in rows}


@pytest.fixture(scope="module")
def config(arm64_image: Arm64Image) -> dict[str, str]:
    return config_txt(arm64_image.boot_file("config.txt"))


@pytest.fixture(scope="module")
def booted(arm64_image: Arm64Image, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("arm64", numbered=True)
    kit = prepare(arm64_image, work)
    facts, log, seconds = boot(kit, work / "serial.log")
    print(f"arm64 QEMU boot to report and power-off: {seconds:.0f} s wall;"
          f" guest settled at {facts.get('settled_s', '?')} s")
    return facts, log


def root_file(image: Arm64Image, path: str) -> str:
    """A file of ROOT_A, read with debugfs at the partition's offset (no mount, no loop)."""
    offset = image.partitions()[1]["start"] * 512
    result = subprocess.run(["debugfs", "-R", f"cat {path}", f"{image.image}?offset={offset}"],
                            capture_output=True, text=True, check=True)
    return result.stdout


def test_partition_table_is_the_pi_layout(arm64_image: Arm64Image) -> None:
    parts = arm64_image.partitions()
    assert [p["type"] for p in parts] == ["c", "83", "83", "83"]
    assert parts[0].get("bootable") is True
    label = subprocess.run(["mlabel", "-s", "-i", arm64_image.fat(), "::"],
                           capture_output=True, text=True, check=True).stdout
    assert "APPBOOT" in label


def test_pi4_firmware_and_device_trees_on_boot(arm64_image: Arm64Image) -> None:
    files = set(arm64_image.boot_files())
    assert {"start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb",
            "bcm2711-rpi-cm4-io.dtb", "config.txt", "cmdline.txt"} <= files
    assert "appliance-setup.example.toml" in files


def test_config_txt_boots_the_cards_kernel_in_64_bit(
    arm64_image: Arm64Image, config: dict[str, str], manifest: dict[str, tuple[str, str]]
) -> None:
    assert config["arm_64bit"] == "1"
    assert config["upstream_kernel"] == "1"
    release = config["kernel"].removeprefix("vmlinuz-")
    assert config["kernel"] == f"vmlinuz-{release}" and release.endswith("-arm64")
    assert config["initramfs"] == f"initrd.img-{release}"
    files = set(arm64_image.boot_files())
    assert {config["kernel"], config["initramfs"]} <= files
    assert manifest[f"linux-image-{release}"][1] == "arm64"
    assert config["disable_splash"] == "1", "image/rootfs/etc/default/raspi-firmware-custom"


def test_cmdline_txt(arm64_image: Arm64Image) -> None:
    words = arm64_image.boot_file("cmdline.txt").split()
    assert "root=LABEL=APPROOT_A" in words
    assert "overlayroot=tmpfs:recurse=0" in words
    assert "console=ttyS1,115200" in words, "the Pi 4's mini-UART on the GPIO header"
    assert "rootwait" in words
    assert "ro" not in words, "overlayroot needs the kernel to mount rw (see image/README.md)"
    assert not any(word.startswith("cma=") for word in words), "cma= can stop a Pi 4 booting"


def test_manifest_is_arm64_and_names_the_venv(
    arm64_image: Arm64Image, manifest: dict[str, tuple[str, str]]
) -> None:
    assert {arch for _, arch in manifest.values()} <= {"arm64", "all"}
    for package in ("linux-image-arm64", "python3-kivy", "python3-evdev", "systemd",
                    "libgl1-mesa-dri", "firmware-brcm80211"):
        assert manifest[package][1] in ("arm64", "all"), package
    assert manifest["raspi-firmware"][1] == "all"
    venv = [line for line in arm64_image.manifest.read_text().splitlines()
            if "==" in line and "\t" not in line]
    names = {line.split("==")[0].lower() for line in venv}
    assert {"appliance", "python-escpos"} <= names
    assert "kivy" not in names, "Kivy comes from Debian, not into the venv"


def test_image_checksum_and_bmap(arm64_image: Arm64Image) -> None:
    sums = (arm64_image.image.parent / f"{arm64_image.image.name}.sha256").read_text()
    expected = dict(reversed(line.split()) for line in sums.splitlines())
    digest = hashlib.sha256()
    with arm64_image.image.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    assert expected[arm64_image.image.name] == digest.hexdigest()
    assert Path(f"{arm64_image.image}.bmap").stat().st_size > 0


def test_update_initramfs_is_the_real_one_again(arm64_image: Arm64Image) -> None:
    """The build's stub (image/hooks/defer-initramfs) must not ship: kernel updates need it."""
    script = root_file(arm64_image, "/usr/sbin/update-initramfs")
    assert "deferred to the end of the image build" not in script
    assert "mkinitramfs" in script
    assert "update-initramfs" not in root_file(arm64_image, "/var/lib/dpkg/diversions")


def test_boots_the_cards_kernel_on_aarch64(booted, config: dict[str, str]) -> None:
    facts, log = booted
    assert "@@ END" in log, log[-4000:]
    assert facts["arch"] == "aarch64"
    assert f"vmlinuz-{facts['kernel']}" == config["kernel"]


def test_appliance_units_are_loaded_started_and_none_failed(booted) -> None:
    facts, log = booted
    states = dict(entry.split(":", 1) for entry in facts["units"].split())
    assert set(OUR_UNITS) <= set(states), facts["units"]
    assert all(states[unit].startswith("loaded:") for unit in OUR_UNITS), facts["units"]
    assert states["appliance-kiosk.service"] == "loaded:enabled"
    assert states["appliance-provision.service"] == "loaded:enabled"
    assert facts["target"] == "active", "multi-user.target reached"
    assert facts["state"] in ("running", "degraded"), log[-6000:]
    # Only ours: systemd-remount-fs.service fails on both architectures today (it remounts
    # overlayroot's generated `/` line, whose lowerdir= options overlayfs refuses on remount).
    ours = set(facts["failed"].split()) & set(OUR_UNITS)
    assert ours == set(), log[-6000:]
    assert facts["kiosk"] != "inactive", "the kiosk was started"


def test_python_imports_in_the_venv(booted) -> None:
    facts, _ = booted
    words = facts["imports"].split()
    assert words[0] == "ok", facts["imports"]
    assert words[1] == Arm64Image.version()
    assert words[4] == "True", "kivy is Debian's python3-kivy (system site packages)"
    assert facts["appliance_cli"] == "ok"


def test_root_is_an_overlay_and_partitions_mounted(booted) -> None:
    facts, _ = booted
    assert facts["root"] == "overlay"
    assert facts["boot"] == "/dev/vda1:vfat"
    assert facts["data"] == "/dev/vda4"
    assert len(facts["machine_id"]) == 32, "made at first boot, not baked in"
