"""The appliance's systemd units, checked by systemd itself.

How `systemd-analyze verify` runs on a Debian 12 build machine (systemd 252, PID 1 not
systemd): `systemd/install --enable` installs our files into a temporary root, next to a copy
of the host's own unit directory (sysinit.target, systemd-fsck@.service... that our units
order against), and `--root=` makes systemd resolve every unit and every ExecStart= binary
inside that root. The binaries our units start are put there for real: our helper scripts by
the installer, `mount` and `systemd-tmpfiles` copied from the host, and `/usr/bin/appliance`
as the same console-script launcher pip writes (it runs this checkout's real CLI). Unknown or
misplaced keys only warn (exit 0), so any output at all fails a test. The image tests run the
rootfs's own, newer systemd-analyze over the same units inside the built image.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO / "systemd"
UNIT_NAMES = sorted(p.name for p in (SYSTEMD_DIR / "units").iterdir())
HOST_UNITS = Path("/usr/lib/systemd/system")

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not HOST_UNITS.is_dir(),
    reason="systemd is not installed (./dev setup installs it)",
)


def build_root(root: Path) -> Path:
    """A throwaway root holding the host's units, ours (enabled), and the binaries they start."""
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    subprocess.run(
        [str(SYSTEMD_DIR / "install"), "--enable", str(root)],
        check=True,
        capture_output=True,
    )
    bin_dir = root / "usr/bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    launcher = bin_dir / "appliance"
    launcher.write_text(
        f"#!{sys.executable}\nimport sys\nfrom appliance.cli import main\nsys.exit(main())\n"
    )
    launcher.chmod(0o755)
    for tool in ("mount", "systemd-tmpfiles"):
        found = shutil.which(tool)
        assert found, f"{tool} missing on this machine"
        shutil.copy2(found, bin_dir / tool)
    return root


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_root(tmp_path_factory.mktemp("root"))


def verify(root: Path, *units: str) -> subprocess.CompletedProcess[str]:
    paths = [str(root / "usr/lib/systemd/system" / unit) for unit in units]
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", *paths],
        capture_output=True,
        text=True,
        check=False,
    )


def unit_settings(name: str) -> dict[str, list[str]]:
    """`Section.Key -> values` (units repeat keys such as After= and Environment=)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in (SYSTEMD_DIR / "units" / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


@pytest.mark.parametrize("unit", UNIT_NAMES)
def test_systemd_analyze_verify_prints_nothing(unit_root: Path, unit: str) -> None:
    result = verify(unit_root, unit)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_harness_catches_a_warning(unit_root: Path, tmp_path: Path) -> None:
    """The harness sees what systemd only warns about (an unknown key exits 0)."""
    broken = unit_root / "usr/lib/systemd/system/appliance-broken-example.service"
    text = (SYSTEMD_DIR / "units/appliance-backup.service").read_text()
    broken.write_text(text.replace("Nice=10", "Nice=10\nWatchdogSecc=5"))
    try:
        result = verify(unit_root, broken.name)
    finally:
        broken.unlink()
    assert result.returncode == 0
    assert "Unknown key 'WatchdogSecc'" in result.stderr


def test_verify_harness_catches_a_missing_binary(tmp_path: Path) -> None:
    root = build_root(tmp_path / "root")
    (root / "usr/bin/appliance").unlink()
    result = verify(root, "appliance-kiosk.service")
    assert "/usr/bin/appliance is not executable" in result.stderr


def test_kiosk_unit_contract() -> None:
    s = unit_settings("appliance-kiosk.service")
    assert s["Service.Type"] == ["notify"]
    assert s["Service.ExecStart"] == ["/usr/bin/appliance run"]
    assert s["Service.Restart"] == ["always"]
    assert s["Service.User"] == ["appliance"]
    assert s["Service.TTYPath"] == ["/dev/tty1"]
    assert s["Service.WatchdogSec"] and s["Service.WatchdogSec"][0] != "0"
    assert "getty@tty1.service" in " ".join(s["Unit.Conflicts"]).split()
    assert s["Unit.OnFailure"] == ["appliance-rescue.service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/appliance",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "LimitCORE": "0",  # a core dump would hold the access key
    }.items():
        assert s[f"Service.{key}"] == [value], key
    # The kiosk needs the real devices: anything that hides /dev would break the till.
    assert "Service.PrivateDevices" not in s
    assert "Service.DeviceAllow" not in s


def test_kiosk_exposure_stays_low(unit_root: Path) -> None:
    result = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=yes",
            f"--root={unit_root}",
            "appliance-kiosk.service",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(
        r"Overall exposure level for appliance-kiosk.service: ([\d.]+)", result.stdout
    )
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 4.0


def test_provisioning_unit_waits_for_the_file() -> None:
    s = unit_settings("appliance-provision.service")
    assert s["Unit.ConditionPathExists"] == ["/boot/firmware/appliance-setup.toml"]
    assert s["Service.ExecStart"] == [
        "/usr/bin/appliance setup --from /boot/firmware/appliance-setup.toml"
    ]
    assert "appliance-kiosk.service" in " ".join(s["Unit.Before"]).split()


def test_install_enables_units_and_masks_the_getty(unit_root: Path) -> None:
    etc = unit_root / "etc/systemd/system"
    assert (etc / "multi-user.target.wants/appliance-kiosk.service").is_symlink()
    assert (etc / "timers.target.wants/appliance-backup.timer").is_symlink()
    assert (etc / "local-fs.target.requires/data.mount").is_symlink()
    assert (etc / "local-fs.target.requires/var-lib-appliance.mount").is_symlink()
    assert str((etc / "getty@tty1.service").readlink()) == "/dev/null"
    assert str((etc / "ctrl-alt-del.target").readlink()) == "/dev/null"
    helper = unit_root / "usr/lib/appliance/rescue-screen"
    assert helper.stat().st_mode & 0o777 == 0o755


def test_bind_mounts_cover_the_persistent_state() -> None:
    wheres = {}
    for name in UNIT_NAMES:
        if name.endswith(".mount"):
            s = unit_settings(name)
            wheres[s["Mount.Where"][0]] = s["Mount.What"][0]
            # systemd requires a mount unit to be named after its mount point.
            escaped = subprocess.run(
                ["systemd-escape", "--path", "--suffix=mount", s["Mount.Where"][0]],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            assert escaped == name
    assert wheres["/data"] == "/dev/disk/by-label/APPDATA"
    for target in (
        "/var/lib/appliance",
        "/etc/appliance",
        "/var/log/journal",
        "/etc/NetworkManager/system-connections",
    ):
        assert wheres[target].startswith("/data/"), target


def test_sysusers_creates_the_service_user_in_its_groups(tmp_path: Path) -> None:
    shutil.copytree("/usr/lib/sysusers.d", tmp_path / "usr/lib/sysusers.d")
    subprocess.run([str(SYSTEMD_DIR / "install"), str(tmp_path)], check=True)
    (tmp_path / "etc").mkdir(exist_ok=True)
    subprocess.run(["systemd-sysusers", f"--root={tmp_path}"], check=True, capture_output=True)
    passwd = (tmp_path / "etc/passwd").read_text().splitlines()
    user = next(line.split(":") for line in passwd if line.startswith("appliance:"))
    assert user[5:] == ["/var/lib/appliance", "/usr/sbin/nologin"]
    assert 0 < int(user[2]) < 1000
    groups = (tmp_path / "etc/group").read_text().splitlines()
    members = {fields[0]: fields[3].split(",") for fields in (g.split(":") for g in groups)}
    for group in ("input", "lp", "dialout", "video", "render"):
        assert "appliance" in members[group], group
    shadow = (tmp_path / "etc/shadow").read_text()
    assert re.search(r"^appliance:[!*]", shadow, re.MULTILINE), "the user must have no password"


def test_tmpfiles_lays_out_the_data_partition(tmp_path: Path) -> None:
    shutil.copytree("/usr/lib/sysusers.d", tmp_path / "usr/lib/sysusers.d")
    subprocess.run([str(SYSTEMD_DIR / "install"), str(tmp_path)], check=True)
    (tmp_path / "etc").mkdir(exist_ok=True)
    # The users and groups the entries name must exist in that root first.
    (tmp_path / "usr/lib/sysusers.d/zz-test-timesync.conf").write_text("u systemd-timesync - -\n")
    subprocess.run(["systemd-sysusers", f"--root={tmp_path}"], check=True, capture_output=True)
    subprocess.run(
        ["systemd-tmpfiles", f"--root={tmp_path}", "--create", "--prefix=/data"],
        check=True,
        capture_output=True,
    )
    data = tmp_path / "data"
    assert (data / "appliance").stat().st_mode & 0o7777 == 0o750
    assert (data / "etc/NetworkManager/system-connections").stat().st_mode & 0o7777 == 0o700
    assert (data / "log/journal").stat().st_mode & 0o7777 == 0o2755
    assert str((data / "etc/appliance/localtime").readlink()).endswith("zoneinfo/Europe/Paris")
    assert not (tmp_path / "var/lib/appliance").exists(), "--prefix=/data touches /data only"
