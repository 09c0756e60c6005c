"""The amd64 stand-in under QEMU (software emulation), driven from the host like a till.

Used by tests/image/test_boot.py and bench/image_boot.py. What it sets up on a *copy* of the
built image (the image itself is never touched):

- the FAT gets the technician's `appliance-setup.toml` and a seeded Kafinea sandbox store
  (made on the host, so its access key and barcodes are known here);
- ROOT_A gets test-only units (written with debugfs, no loop device): a root shell on a
  virtio-serial port, the sandbox serving that store on the guest's 127.0.0.1 (the
  configuration allows plain http:// to loopback only), and a first-boot unit that opens the
  cash session so the kiosk comes up on the sale screen. The kernel command line names them
  with `systemd.wants=`, so a boot without them is the card as shipped.

The machine: Debian's kernel and initrd from the build, the FAT's cmdline.txt, virtio disk and
GPU (800x480), the PS/2 keyboard fed through QMP `send-key`, ttyS0 = kernel console (a file),
ttyS1 = the receipt printer (a socket: `SerialPrinter` answers its status queries and keeps
the ESC/POS bytes), QMP for screen dumps and keys, and no network.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.devices.escpos_decode import EscPosDecoder, StatusQuery
from appliance.devices.status import SimulatedState
from appliance.kafinea.sandbox.server import DB_NAME, SandboxServer
from tests.image.conftest import BuiltImage

SANDBOX_PORT = 8765
SCREEN = (800, 480)
# The sale screen's pay button (appliance/ui/theme.py: pay = 0.1, 0.55, 0.27), as dumped.
PAY_GREEN = (26, 140, 69)
# One virtual CPU: on a loaded 2-core host, two TCG vCPUs spend their time spinning on guest
# locks held by the descheduled other one (soft lockups, 76 % system time, minutes to boot).
VCPUS = int(os.environ.get("APPLIANCE_VM_CPUS", "1"))
# No AVX: Mesa's llvmpipe JIT-compiles AVX2 code that QEMU 7.2's young AVX emulation runs
# wrong (the kiosk died with SIGSEGV in its second frame, Window.flip); no 5-level paging.
CPU = os.environ.get("APPLIANCE_VM_CPU", "max,-avx,-avx2,-la57")
GUEST_SANDBOX_DIR = "test-sandbox"

SHELL_UNIT = r"""[Unit]
Description=Test only: root shell on the virtio port "test" for the boot test
DefaultDependencies=no

[Service]
ExecStart=/bin/bash -c 'until [ -e /dev/virtio-ports/test ]; do sleep 0.2; done; \
exec 3<>/dev/virtio-ports/test; exec /bin/bash <&3 >&3 2>&3'
Restart=always
RestartSec=1
"""

SANDBOX_UNIT = f"""[Unit]
Description=Test only: Kafinea sandbox on 127.0.0.1:{SANDBOX_PORT} (store from the FAT)
RequiresMountsFor=/boot/firmware
Before=appliance-provision.service appliance-kiosk.service appliance-test-session.service

[Service]
ExecStartPre=/bin/cp -rT /boot/firmware/{GUEST_SANDBOX_DIR} /run/{GUEST_SANDBOX_DIR}
ExecStart=/usr/bin/appliance sandbox --data /run/{GUEST_SANDBOX_DIR} --port {SANDBOX_PORT}
ExecStartPost=/bin/bash -c 'for i in $(seq 1200); do \
(exec 3<>/dev/tcp/127.0.0.1/{SANDBOX_PORT}) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
TimeoutStartSec=5min
"""

SESSION_UNIT = """[Unit]
Description=Test only: open the cash session before the kiosk starts (first boot)
After=appliance-provision.service appliance-test-sandbox.service
Before=appliance-kiosk.service
RequiresMountsFor=/var/lib/appliance /etc/appliance

[Service]
Type=oneshot
User=appliance
Group=appliance
WorkingDirectory=/var/lib/appliance
ExecStart=/usr/bin/appliance session open --float 150.00
TimeoutStartSec=5min
"""

# Software emulation starts Kivy (GL through llvmpipe) 20-50 times slower than a Pi: the
# kiosk's 3 min start limit would kill it before its first frame, and building a dialog for
# the first time held its UI clock (the watchdog's pings) over the 30 s of production. A
# crash prints where.
KIOSK_DROPIN = """[Service]
TimeoutStartSec=20min
WatchdogSec=1min
Environment=PYTHONFAULTHANDLER=1
"""

TEST_UNITS = {
    "appliance-test-shell.service": SHELL_UNIT,
    "appliance-test-sandbox.service": SANDBOX_UNIT,
    "appliance-test-session.service": SESSION_UNIT,
}


@dataclass(frozen=True)
class Shop:
    """The seeded sandbox shop the guest's till talks to."""

    url: str
    username: str
    access_key: str = field(repr=False)
    register: str
    barcodes: dict[str, str]  # EAN-13 -> product name (active products with a price)

    def setup_toml(self) -> str:
        return f"""schema = 1
[kafinea]
url = "{self.url}"
email = "{self.username}"
access_key = "{self.access_key}"
register = "{self.register}"
[printer]
connection = "serial:/dev/ttyS1:19200"
[system]
timezone = "Europe/Paris"
"""


def seed_shop(directory: Path) -> Shop:
    """Seed a sandbox store on the host (the guest serves the same file on the same port)."""
    server = SandboxServer(directory, port=0, seed=1)
    server.start()  # stop() waits for the serving loop to end
    try:
        rows = server.store.select(
            "SELECT data FROM entity WHERE module = 'Products' AND deleted = 0", ()
        )
    finally:
        server.stop()
    barcodes = {}
    for (text,) in rows:
        data = json.loads(text)
        if data.get("discontinued") == "1" and data.get("cf_853") and data.get("productcategory"):
            barcodes[data["cf_853"]] = data["productname"]
    for suffix in ("-wal", "-shm"):
        (directory / (DB_NAME + suffix)).unlink(missing_ok=True)
    (directory / "sandbox.json").unlink()
    url = f"http://127.0.0.1:{SANDBOX_PORT}/{server.url.rsplit('/', 1)[1]}"
    return Shop(url, server.info.username, server.info.access_key, server.info.register, barcodes)


def prepare_disk(built: BuiltImage, workdir: Path, shop: Shop, grow_mib: int = 512) -> Path:
    """A sparse copy of the image, `grow_mib` larger (a bigger card), with the test files."""
    disk = workdir / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(built.image), str(disk)], check=True)
    with disk.open("r+b") as handle:
        handle.truncate(disk.stat().st_size + grow_mib * 1024 * 1024)
    setup = workdir / "appliance-setup.toml"
    setup.write_text(shop.setup_toml())
    fat = f"{disk}@@{built.offset(1)}"
    subprocess.run(["mcopy", "-i", fat, str(setup), "::/"], check=True)
    subprocess.run(["mmd", "-i", fat, f"::/{GUEST_SANDBOX_DIR}"], check=True)
    subprocess.run(["mcopy", "-i", fat, str(workdir / "sandbox" / DB_NAME),
                    f"::/{GUEST_SANDBOX_DIR}/"], check=True)
    units = workdir / "units"
    units.mkdir()
    commands = ["cd /etc/systemd/system"]
    for name, text in TEST_UNITS.items():
        (units / name).write_text(text)
        os.chmod(units / name, 0o644)
        commands.append(f"write {units / name} {name}")
    (units / "emulation.conf").write_text(KIOSK_DROPIN)
    os.chmod(units / "emulation.conf", 0o644)
    commands += ["mkdir appliance-kiosk.service.d", "cd appliance-kiosk.service.d",
                 f"write {units / 'emulation.conf'} emulation.conf"]
    script = workdir / "debugfs.cmd"
    script.write_text("\n".join(commands) + "\n")
    result = subprocess.run(
        ["debugfs", "-w", "-f", str(script), f"{disk}?offset={built.offset(2)}"],
        capture_output=True, text=True, check=True,
    )
    if "rror" in result.stderr or "not found" in result.stderr:
        raise RuntimeError(f"debugfs: {result.stderr}")
    return disk


# ------------------------------------------------------------------------------ host side


class SerialPrinter:
    """The receipt printer on the guest's ttyS1: a QEMU socket chardev we connect to.

    Keeps every byte and answers `DLE EOT` status queries like a healthy printer (the kiosk
    shows "Imprimante prête" only then), as tests/devices' pty printer does.
    """

    def __init__(self, path: Path) -> None:
        self.raw = bytearray()
        self._state = SimulatedState()
        self._decoder = EscPosDecoder()
        self._sock = _connect_unix(path)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="vm-printer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.raw += chunk
                for event in self._decoder.feed(chunk):
                    if isinstance(event, StatusQuery):
                        with contextlib.suppress(OSError):
                            self._sock.sendall(self._state.reply(event.kind))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class Qmp:
    """QEMU's machine protocol on a unix socket: screen dumps, keys."""

    def __init__(self, path: Path) -> None:
        self._sock = _connect_unix(path)
        self._file = self._sock.makefile("rwb", buffering=0)
        self._file.readline()  # greeting
        self.command("qmp_capabilities")

    def command(self, name: str, **arguments) -> object:
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self._file.write(json.dumps(message).encode() + b"\n")
        while True:
            line = self._file.readline()
            if not line:
                raise ConnectionError("QMP closed")
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"QMP {name}: {reply['error']}")

    def screendump(self, path: Path) -> Path:
        self.command("screendump", filename=str(path))
        return path

    def type_text(self, text: str) -> None:
        """Type digits and letters, then Enter (a keyboard-wedge scanner's way)."""
        for char in text:
            self.command("send-key", keys=[{"type": "qcode", "data": char.lower()}],
                         **{"hold-time": 30})
            time.sleep(0.05)
        self.command("send-key", keys=[{"type": "qcode", "data": "ret"}], **{"hold-time": 30})

    def click(self, x: int, y: int) -> None:
        """A touch at (x, y) of the screen (top-left origin) with the PS/2 mouse: relative
        moves to the top-left corner, where SDL clamps the pointer, then to the point, then a
        left click. In steps of at most 100: QEMU's PS/2 queue keeps a larger move's rest
        for later packets, which would land after the click."""
        self._move(-2 * SCREEN[0], -2 * SCREEN[1])
        self._move(x, y)
        for down in (True, False):
            self.command("input-send-event", events=[
                {"type": "btn", "data": {"down": down, "button": "left"}}])
            time.sleep(0.2)

    def _move(self, dx: int, dy: int) -> None:
        while dx or dy:
            step_x, step_y = max(-100, min(100, dx)), max(-100, min(100, dy))
            self.command("input-send-event", events=[
                {"type": "rel", "data": {"axis": "x", "value": step_x}},
                {"type": "rel", "data": {"axis": "y", "value": step_y}},
            ])
            dx, dy = dx - step_x, dy - step_y
            time.sleep(0.05)
        time.sleep(0.5)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class GuestShell:
    """Root shell in the guest (the test unit on virtio port "test"): run a command, get
    its exit status and output."""

    def __init__(self, path: Path) -> None:
        self._sock = _connect_unix(path)
        self._buffer = b""

    def run(self, command: str, timeout: float = 120.0) -> tuple[int, str]:
        token = secrets.token_hex(6)
        self._sock.sendall(
            f"{{ {command}\n}} 2>&1 </dev/null; printf '\\n@@{token} %s\\n' $?\n".encode()
        )
        pattern = re.compile(rb"\n@@" + token.encode() + rb" (\d+)\n")
        deadline = time.monotonic() + timeout
        while True:
            found = pattern.search(self._buffer)
            if found:
                output = self._buffer[: found.start()].decode(errors="replace")
                self._buffer = self._buffer[found.end():]
                return int(found.group(1)), output
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"guest command timed out: {command}")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionError("guest shell closed")
            self._buffer += chunk

    def check(self, command: str, timeout: float = 120.0) -> str:
        status, output = self.run(command, timeout)
        if status != 0:
            raise RuntimeError(f"guest: {command!r} exited {status}: {output[-2000:]}")
        return output

    def fact(self, command: str) -> str:
        return self.check(command).strip()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


def _connect_unix(path: Path, timeout: float = 30.0) -> socket.socket:
    """Connect to a socket QEMU creates once it has started."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Machine:
    """One power-on of the card: QEMU running, shell/QMP/printer connected."""

    def __init__(self, built: BuiltImage, disk: Path, workdir: Path, label: str,
                 wants: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.label = label
        self.console_log = workdir / f"console-{label}.log"
        # Sockets in a short private directory (unix socket paths are limited to 108 bytes).
        self._sockdir = Path(tempfile.mkdtemp(prefix="vm-", dir="/run"))
        fat = f"{disk}@@{built.offset(1)}"
        cmdline = subprocess.run(["mtype", "-i", fat, "::cmdline.txt"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        # Software emulation on a busy 2-core machine is slower than a Pi at finding the
        # partitions and upsets the kernel's timer check; ttyS0 is a log, not a login.
        cmdline += (" systemd.default_device_timeout_sec=400 no_timer_check"
                    " systemd.mask=serial-getty@ttyS0.service"
                    " systemd.wants=appliance-test-shell.service")
        cmdline += "".join(f" systemd.wants={unit}" for unit in wants)
        if os.environ.get("APPLIANCE_BOOT_DEBUG") == "1":
            cmdline += (" console=ttyS0 systemd.log_target=console"
                        " systemd.journald.forward_to_console=1")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["qemu-system-x86_64", "-accel", "tcg", "-cpu", CPU, "-smp", str(VCPUS),
             "-m", "2048", "-kernel", str(built.kernel), "-initrd", str(built.initrd),
             "-append", cmdline, "-drive", f"file={disk},format=raw,if=virtio",
             "-nic", "none", "-vga", "none",
             "-device", f"virtio-gpu-pci,xres={SCREEN[0]},yres={SCREEN[1]}",
             "-display", "none", "-monitor", "none", "-no-reboot",
             "-chardev", f"file,id=console,path={self.console_log}",
             "-chardev", f"socket,id=printer,path={self._sockdir}/printer,server=on,wait=off",
             "-serial", "chardev:console", "-serial", "chardev:printer",
             "-device", "virtio-serial-pci",
             "-chardev", f"socket,id=shell,path={self._sockdir}/shell,server=on,wait=off",
             "-device", "virtserialport,chardev=shell,name=test",
             "-qmp", f"unix:{self._sockdir}/qmp,server=on,wait=off"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=(workdir / f"qemu-{label}.err").open("wb"),
        )
        self.printer = SerialPrinter(self._sockdir / "printer")
        self.qmp = Qmp(self._sockdir / "qmp")
        self.shell = GuestShell(self._sockdir / "shell")

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def wait_for_shell(self, timeout: float = 600.0) -> float:
        """Seconds (wall) until the guest's test shell answers."""
        self.shell.check("true", timeout=timeout)
        return self.seconds()

    def wait_for_unit(self, unit: str, states: tuple[str, ...] = ("active",),
                      timeout: float = 600.0) -> str:
        """Poll the unit's ActiveState until it is one of `states` (or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.shell.fact(f"systemctl show -P ActiveState {unit}")
            if state in states or state == "failed" or time.monotonic() > deadline:
                return state
            time.sleep(2)

    def uptime_of(self, unit: str, prop: str = "ActiveEnterTimestampMonotonic") -> float:
        """Guest seconds since the kernel started at which `unit` entered the state."""
        return int(self.shell.fact(f"systemctl show -P {prop} {unit}")) / 1e6

    def screendump(self, name: str) -> Path:
        """The guest's screen as a PNG in the work directory (QEMU writes PPM)."""
        from PIL import Image  # noqa: PLC0415  (only the screen tests need Pillow)

        ppm = self.qmp.screendump(self._sockdir / f"{name}.ppm")
        png = self.workdir / f"{name}.png"
        with Image.open(ppm) as image:
            image.save(png)
        ppm.unlink()
        return png

    def wait_for_sale_screen(self, timeout: float = 300.0) -> tuple[Path, float]:
        """Screen dumps until the sale screen's green pay button shows (READY=1 comes with
        the first frame, drawn before the screen's widgets); returns the last dump and the
        guest's uptime then."""
        deadline = time.monotonic() + timeout
        while True:
            png = self.screendump("sale-screen")
            if colour_count(png, PAY_GREEN) > 5000 or time.monotonic() > deadline:
                return png, float(self.shell.fact("cut -d' ' -f1 /proc/uptime"))
            time.sleep(3)

    def power_off(self, timeout: float = 300.0) -> float:
        """A clean shutdown from inside; returns the wall seconds since power-on."""
        with contextlib.suppress(OSError, ConnectionError, TimeoutError):
            self.shell._sock.sendall(b"systemctl poweroff\n")
        try:
            self.process.wait(timeout)
        finally:
            self.close()
        return self.seconds()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        for part in (self.shell, self.qmp, self.printer):
            part.close()
        shutil.rmtree(self._sockdir, ignore_errors=True)


def colour_count(png: Path, colour: tuple[int, int, int],
                 box: tuple[int, int, int, int] | None = None) -> int:
    """Pixels of about `colour` in the screen dump (or in its `box`: left, top, right, bottom)."""
    from PIL import Image  # noqa: PLC0415  (only the screen checks need Pillow)

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        region = rgb.crop(box) if box else rgb
        colours = region.getcolors(maxcolors=1 << 20) or []
    return sum(n for n, c in colours
               if all(abs(a - b) < 12 for a, b in zip(c, colour, strict=True)))


@contextlib.contextmanager
def booted(built: BuiltImage, disk: Path, workdir: Path, label: str,
           wants: tuple[str, ...] = ()) -> Iterator[Machine]:
    machine = Machine(built, disk, workdir, label, wants)
    try:
        yield machine
    finally:
        machine.close()


FIRST_BOOT_UNITS = ("appliance-test-sandbox.service", "appliance-test-session.service")
LATER_BOOT_UNITS = ("appliance-test-sandbox.service",)
