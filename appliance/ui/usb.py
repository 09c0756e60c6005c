"""Where a USB stick may be mounted, for the journal export of the manager screen.

The kiosk does not mount anything itself: udisks (or the technician) mounts the stick under
/media, /run/media or /mnt. Only mount points the kiosk can write to are offered, so the
export is never attempted on a read-only stick or an empty /mnt folder.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable

MOUNT_PATTERNS = ("/media/*", "/media/*/*", "/run/media/*/*", "/mnt/*")


def usb_mounts(
    patterns: Iterable[str] = MOUNT_PATTERNS,
    is_mount: Callable[[str], bool] = os.path.ismount,
) -> tuple[str, ...]:
    """Writable mount points matching `patterns`, sorted, each listed once."""
    found = {
        path
        for pattern in patterns
        for path in glob.glob(pattern)
        if os.path.isdir(path) and is_mount(path) and os.access(path, os.W_OK | os.X_OK)
    }
    return tuple(sorted(found))
