"""systemd's notify protocol (sd_notify(3)), without a dependency.

One datagram on the Unix socket named by `$NOTIFY_SOCKET` ("@name" is the abstract
namespace). The kiosk sends `READY=1` once its first frame is drawn and `WATCHDOG=1` from the
Kivy clock, so a frozen UI thread stops feeding the watchdog and systemd restarts the kiosk.
Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op.
"""

from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, state: str) -> bool:
        """Send `state` ("READY=1", "WATCHDOG=1", "STATUS=..."); False when it did not go."""
        if not self.address:
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(self.address)
                sock.sendall(state.encode("utf-8"))
            except OSError:
                return False
        return True


def watchdog_interval_s(environ: dict[str, str] | None = None) -> float | None:
    """Half of `$WATCHDOG_USEC` in seconds, when systemd asked this very process for it."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 2_000_000
