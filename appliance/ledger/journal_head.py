"""The head file (`journal-head.json`): seq, hash and signature of the last record, rewritten
and fsynced after every commit, so that deleting the last records of the database, which
leaves a valid chain behind, is still detected."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from appliance.ledger.journal_errors import JournalCorrupt
from appliance.ledger.records import JournalRecord

HEAD_NAME = "journal-head.json"


def write_head(path: Path, record: JournalRecord) -> None:
    """Atomically replace the head checkpoint (new file fsynced, then renamed over the old).

    The directory is not fsynced: after a power cut the head may name an older record, which
    verification accepts (the head may lag, never lead); what it must never do is name a
    record the database no longer has. This keeps an append at two fsyncs (WAL + head).
    """
    data = json.dumps({"seq": record.seq, "hash": record.hash, "sig": record.sig.hex(),
                       "created_utc": record.created_utc}, sort_keys=True).encode()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two writers never share it
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def read_head(path: Path) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise JournalCorrupt(f"fichier de tête illisible : {path} ({error})") from error
    return head


def check_head(connection: sqlite3.Connection, path: Path) -> None:
    """Compare the database with the head file; a missing tail is `JournalCorrupt`."""
    head = read_head(path)
    last = connection.execute("SELECT MAX(seq) FROM journal").fetchone()[0] or 0
    if head is None:
        if last > 1:
            raise JournalCorrupt("fichier de tête du journal absent")
        return
    row = connection.execute("SELECT hash FROM journal WHERE seq = ?", (head["seq"],)).fetchone()
    if row is None:
        raise JournalCorrupt(
            f"journal tronqué : la tête indique l'enregistrement {head['seq']},"
            f" la base s'arrête à {last}"
        )
    if bytes(row[0]).hex() != head["hash"]:
        raise JournalCorrupt(f"l'enregistrement {head['seq']} ne correspond pas à la tête")
