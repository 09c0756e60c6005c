"""Put planned files in place under a root, all or nothing staged.

Every system-level path is written under `root` (default `/`), so tests apply a setup into a
temporary directory. Files are staged next to their targets (written, fsynced), then renamed
over them, so a read-only or full disk stops everything before any file is replaced.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from appliance.provisioning.plan import FileChange
from appliance.provisioning.setup_file import SetupError


def under(root: Path, path: PurePosixPath) -> Path:
    """Where a device path lives below `root`."""
    return root / str(path).lstrip("/")


def _owner_ids(root: Path, name: str | None) -> tuple[int, int] | None:
    """uid/gid of `name` in `<root>/etc/passwd`, or None (not root, or no such user there)."""
    if name is None or os.geteuid() != 0:
        return None
    try:
        for line in under(root, PurePosixPath("/etc/passwd")).read_text().splitlines():
            fields = line.split(":")
            if len(fields) > 3 and fields[0] == name:
                return int(fields[2]), int(fields[3])
    except (OSError, ValueError):
        return None
    return None


def apply_placed(placed: list[tuple[Path, FileChange]], root: Path) -> None:
    """Stage every file next to its target, then rename all into place.

    A file that cannot be staged (read-only or full disk, a file where a directory should
    be) removes what was staged and raises SetupError: nothing is applied. The renames that
    follow do not fail in practice; a power cut among them leaves the setup file on the boot
    partition, so the next boot applies it again.
    """
    staged: list[tuple[Path, Path | None]] = []
    try:
        for target, change in placed:
            staged.append((target, _stage(target, change, root)))
    except OSError as exc:
        for _, temp in staged:
            if temp is not None:
                temp.unlink(missing_ok=True)
        raise SetupError([f"écriture impossible de {exc.filename} : {exc.strerror}"]) from None
    for target, temp in staged:
        if temp is None:
            target.unlink(missing_ok=True)
        else:
            os.replace(temp, target)
        sync_dir(target.parent)


def _stage(target: Path, change: FileChange, root: Path) -> Path | None:
    """The staged file beside `target` (None: `target` is to be removed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if change.content is None and change.symlink_to is None:
        return None
    temp = target.with_name(f".{target.name}.setup-{os.getpid()}")
    temp.unlink(missing_ok=True)
    if change.symlink_to is not None:
        temp.symlink_to(change.symlink_to)
        return temp
    write_synced(temp, change.content or b"", change.mode)
    ids = _owner_ids(root, change.owner)
    if ids is not None:
        os.chown(temp, *ids)
    return temp


def write_synced(path: Path, content: bytes, mode: int) -> None:
    """A new file with its mode from the first byte, on the disk when this returns."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
