"""`appliance backup`: a consistent copy of the till's SQLite databases (nightly timer).

Why SQLite's online backup API rather than `cp`: the kiosk keeps the fiscal journal and the
sync outbox open (WAL mode) while it sells; copying the files could catch a half-written page
or miss the WAL. `sqlite3.Connection.backup` copies a consistent snapshot page by page, and the
copy is checked with `PRAGMA integrity_check` before it is kept. Old snapshots are pruned, the
newest `--keep` stay. Only files that really are SQLite databases (by their 16-byte header) at
the top of the data directory are copied, so the command follows whatever the ledger names
its files.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sqlite3
import sys
from pathlib import Path

from appliance.commands import Subparsers

SQLITE_HEADER = b"SQLite format 3\x00"
BACKUP_DIR_NAME = "backups"


class BackupError(Exception):
    """A backup that could not be made or checked (one line for the journal)."""


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="sauvegarde des bases SQLite (journal fiscal, file d'envoi)",
        description="Copie cohérente (API de sauvegarde en ligne de SQLite) des bases du"
        " répertoire de données dans <data>/backups/<date>/, vérifiée, les plus anciennes"
        " supprimées.",
    )
    parser.add_argument("--data", type=Path, default=Path("/var/lib/appliance"),
                        help="répertoire de données (défaut : /var/lib/appliance)")
    parser.add_argument("--keep", type=int, default=7,
                        help="nombre de sauvegardes conservées (défaut : 7)")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    if args.keep < 1:
        print("appliance backup: --keep doit être au moins 1", file=sys.stderr)
        return 2
    try:
        target, copied = backup_databases(args.data, keep=args.keep)
    except BackupError as exc:
        print(f"appliance backup: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(path.name for path in copied) or "aucune base"
    print(f"appliance backup: {names} -> {target}")
    return 0


def find_databases(data_dir: Path) -> list[Path]:
    """The SQLite database files directly under `data_dir` (WAL/SHM side files excluded)."""
    found = []
    for path in sorted(data_dir.iterdir()):
        if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
                found.append(path)
    return found


def backup_databases(
    data_dir: Path, *, keep: int = 7, now: datetime.datetime | None = None
) -> tuple[Path, list[Path]]:
    """Snapshot every database into `data_dir/backups/<UTC time>/`; returns it and the copies."""
    if not data_dir.is_dir():
        raise BackupError(f"{data_dir}: répertoire de données introuvable")
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    root = data_dir / BACKUP_DIR_NAME
    final = root / stamp
    partial = root / f".{stamp}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o750)
    copies = []
    try:
        for source in find_databases(data_dir):
            copy = partial / source.name
            _backup_one(source, copy)
            copies.append(final / source.name)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _prune(root, keep)
    return final, copies


def _backup_one(source: Path, copy: Path) -> None:
    try:
        src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
                (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: sauvegarde impossible ({exc})") from exc
    if verdict != "ok":
        raise BackupError(f"{source}: la copie ne passe pas integrity_check ({verdict})")
    with copy.open("rb") as handle:
        os.fsync(handle.fileno())


def _prune(root: Path, keep: int) -> None:
    snapshots = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in snapshots[:-keep]:
        shutil.rmtree(old)
