"""Assertions on the built amd64 stand-in: its root tree, its partitions, its manifest.

Commands inside the tree run through chroot with the image's own (newer) systemd and udev:
`systemd-analyze verify` and `udevadm verify` (which the build machine's systemd 252 lacks).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.image.conftest import SKIP_REASON, BuiltImage

pytestmark = [
    pytest.mark.image,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(os.environ.get("APPLIANCE_IMAGE_TESTS") != "1", reason=SKIP_REASON),
]

REPO = Path(__file__).resolve().parents[2]
OUR_UNITS = sorted(p.name for p in (REPO / "systemd/units").iterdir())


@contextlib.contextmanager
def proc_mounted(root: Path) -> Iterator[None]:
    """/proc inside the tree for the duration (systemd tools read /proc/self)."""
    target = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(target)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


def in_root(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin", "LC_ALL": "C.UTF-8", "HOME": "/tmp"}
    return subprocess.run(
        ["chroot", str(root), *command], capture_output=True, text=True, env=env, check=False
    )


def test_service_user_and_groups(built_image: BuiltImage) -> None:
    passwd = (built_image.rootfs / "etc/passwd").read_text().splitlines()
    user = next(line.split(":") for line in passwd if line.startswith("appliance:"))
    assert user[6] == "/usr/sbin/nologin"
    groups = in_root(built_image.rootfs, "id", "-nG", "appliance").stdout.split()
    assert set(groups) >= {"appliance", "input", "lp", "dialout", "video", "render"}
    shadow = (built_image.rootfs / "etc/shadow").read_text()
    assert "\nappliance:!" in "\n" + shadow or "\nappliance:*" in "\n" + shadow
    root_line = next(line for line in shadow.splitlines() if line.startswith("root:"))
    assert root_line.split(":")[1] in ("*", "!", "!*"), "root has no password"


@pytest.mark.parametrize(
    ("unit", "state"),
    [
        ("appliance-kiosk.service", "enabled"),
        ("appliance-provision.service", "enabled"),
        ("appliance-backup.timer", "enabled"),
        ("data.mount", "enabled"),
        ("var-lib-appliance.mount", "enabled"),
        ("NetworkManager.service", "enabled"),
        ("systemd-timesyncd.service", "enabled"),
        ("getty@tty1.service", "masked"),
        ("ctrl-alt-del.target", "masked"),
    ],
)
def test_unit_states(built_image: BuiltImage, unit: str, state: str) -> None:
    result = in_root(built_image.rootfs, "systemctl", "is-enabled", unit)
    assert result.stdout.strip() == state


def test_units_verify_with_the_images_systemd(built_image: BuiltImage) -> None:
    paths = [f"/usr/lib/systemd/system/{unit}" for unit in OUR_UNITS]
    with proc_mounted(built_image.rootfs):
        result = in_root(built_image.rootfs, "systemd-analyze", "verify", "--man=no", *paths)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_udev_rules_verify_with_the_images_udevadm(built_image: BuiltImage) -> None:
    with proc_mounted(built_image.rootfs):
        result = in_root(built_image.rootfs, "udevadm", "verify",
                         "/usr/lib/udev/rules.d/70-appliance.rules")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failures" in result.stdout + result.stderr or "Success" in result.stdout


def test_file_modes(built_image: BuiltImage) -> None:
    r = built_image.rootfs
    for helper in ("rescue-screen", "grow-data", "ssh-host-keys"):
        assert stat.S_IMODE((r / "usr/lib/appliance" / helper).stat().st_mode) == 0o755
    assert stat.S_IMODE((r / "usr/lib/udev/rules.d/70-appliance.rules").stat().st_mode) == 0o644
    assert stat.S_IMODE((r / "etc/ssh/sshd_config.d/appliance.conf").stat().st_mode) == 0o644
    wrapper = (r / "usr/bin/appliance").read_text()
    assert "exec /opt/appliance/venv/bin/appliance" in wrapper
    assert stat.S_IMODE((r / "usr/bin/appliance").stat().st_mode) == 0o755
    # python-escpos' printer database, pickled once at build time (not at every start)
    assert list((r / "opt/appliance/escpos-cache").glob("*.capabilities.pickle"))
    assert os.readlink(r / "etc/localtime") == "/etc/appliance/localtime"
    for path in (r / "usr/lib/systemd/system").glob("appliance-*"):
        assert path.stat().st_uid == 0 and not path.stat().st_mode & 0o022, path


def test_no_per_card_identity_is_baked_in(built_image: BuiltImage) -> None:
    r = built_image.rootfs
    assert (r / "etc/machine-id").read_text() == ""
    assert not (r / "var/lib/dbus/machine-id").exists()
    assert not list((r / "etc/ssh").glob("ssh_host_*"))
    assert not (r / "etc/appliance/appliance.toml").exists()


def test_update_stamps_are_not_older_than_usr(built_image: BuiltImage) -> None:
    """ConditionNeedsUpdate= units (ldconfig, the journal catalogue) run when /usr is newer
    than /etc/.updated or /var/.updated; the RAM overlay forgets stamps written at boot, so the
    image must carry them or every boot runs those units again."""
    r = built_image.rootfs
    usr = (r / "usr").stat().st_mtime_ns
    for directory in ("etc", "var"):
        text = (r / directory / ".updated").read_text()
        found = re.search(r"^TIMESTAMP_NSEC=(\d+)$", text, re.MULTILINE)
        assert found, text
        assert int(found.group(1)) >= usr, f"/{directory}/.updated older than /usr"


def test_partitions_labels_and_boot_command_line(built_image: BuiltImage) -> None:
    parts = built_image.partitions()
    assert [p["type"] for p in parts] == ["c", "83", "83", "83"]
    assert parts[0].get("bootable") is True
    assert all(p["start"] % (8 * 2048) == 0 for p in parts), "8 MiB alignment"
    assert parts[1]["size"] == parts[2]["size"], "ROOT_B reserves the room of ROOT_A"
    img = str(built_image.image)
    label = subprocess.run(["mlabel", "-s", "-i", f"{img}@@{built_image.offset(1)}", "::"],
                           capture_output=True, text=True, check=True).stdout
    assert "APPBOOT" in label
    for number, name in ((2, "APPROOT_A"), (4, "APPDATA")):
        header = subprocess.run(
            ["dumpe2fs", "-h", f"{img}?offset={built_image.offset(number)}"],
            capture_output=True, text=True, check=True,
        ).stdout
        assert f"Filesystem volume name:   {name}" in header
    cmdline = subprocess.run(
        ["mtype", "-i", f"{img}@@{built_image.offset(1)}", "::cmdline.txt"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    # No `ro`: overlayroot mounts the ext4 read-only under a writable RAM overlay itself (with
    # `ro` the overlay too would be read-only and systemd could not write /etc or /var).
    for token in ("root=LABEL=APPROOT_A", "overlayroot=tmpfs:recurse=0", "quiet"):
        assert token in cmdline
    assert "ro" not in cmdline
    files = subprocess.run(["mdir", "-b", "-i", f"{img}@@{built_image.offset(1)}", "::"],
                           capture_output=True, text=True, check=True).stdout
    assert "appliance-setup.example.toml" in files
    assert "::/appliance-setup.toml" not in files.splitlines()


def test_checksum_and_bmap(built_image: BuiltImage) -> None:
    sums = built_image.image.with_name(built_image.image.name + ".sha256").read_text()
    expected = dict(reversed(line.split()) for line in sums.splitlines())
    digest = hashlib.sha256()
    with built_image.image.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    assert expected[built_image.image.name] == digest.hexdigest()
    bmap = built_image.image.with_name(built_image.image.name + ".bmap").read_text()
    assert "<BmapVersion>" in bmap or "<bmap version" in bmap
    assert f"<ImageSize> {built_image.image.stat().st_size} </ImageSize>" in bmap


def test_manifest_lists_debian_and_python_packages(built_image: BuiltImage) -> None:
    lines = built_image.manifest.read_text().splitlines()
    debian = {line.split("\t")[0] for line in lines if "\t" in line}
    assert {"python3-kivy", "linux-image-amd64", "systemd", "overlayroot",
            "network-manager"} <= debian
    assert "linux-image-arm64" not in debian
    python = {line for line in lines if "==" in line}
    assert "python-escpos==3.1" in python
    assert any(line.startswith("appliance==") or line.startswith("appliance @") for line in
               lines)


def test_python_imports_inside_the_image(built_image: BuiltImage) -> None:
    code = (
        "import appliance.cli, appliance.provisioning.apply, escpos.printer, kivy, evdev, usb.core,"
        " serial, requests, cryptography, PIL; print(kivy.__version__)"
    )
    result = in_root(built_image.rootfs, "env", "KIVY_NO_ARGS=1", "KIVY_HOME=/tmp/k",
                     "KIVY_NO_FILELOG=1", "/opt/appliance/venv/bin/python", "-c", code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].startswith("2.3")
    shutil.rmtree(built_image.rootfs / "tmp/k", ignore_errors=True)
    helped = in_root(built_image.rootfs, "appliance", "setup", "--help")
    assert helped.returncode == 0 and "--from" in helped.stdout
