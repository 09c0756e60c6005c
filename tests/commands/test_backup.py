"""`appliance backup`: consistent, checked SQLite snapshots while the till keeps writing."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.commands.backup import backup_databases, find_databases


def make_db(path: Path, rows: int) -> sqlite3.Connection:
    """A WAL database with committed rows, left open like the kiosk leaves its journal."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO journal (body) VALUES (?)", [(f"ticket {i}",) for i in range(rows)])
    db.commit()
    return db


def test_snapshot_holds_the_committed_rows_still_in_the_wal(tmp_path: Path) -> None:
    live = make_db(tmp_path / "ledger.sqlite3", 250)
    (tmp_path / "notes.txt").write_text("not a database")
    try:
        assert (tmp_path / "ledger.sqlite3-wal").stat().st_size > 0, "rows are in the WAL"
        target, copies = backup_databases(tmp_path)
    finally:
        live.close()
    assert [c.name for c in copies] == ["ledger.sqlite3"]
    copy = sqlite3.connect(copies[0])
    try:
        assert copy.execute("SELECT count(*), max(body) FROM journal").fetchone() == (
            250,
            "ticket 99",
        )
    finally:
        copy.close()
    assert target.parent == tmp_path / "backups"
    assert sorted(p.name for p in target.iterdir()) == ["ledger.sqlite3"]


def test_only_sqlite_files_are_found(tmp_path: Path) -> None:
    make_db(tmp_path / "outbox.db", 1).close()
    (tmp_path / "config.toml").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    make_db(tmp_path / "sub" / "nested.db", 1).close()
    assert [p.name for p in find_databases(tmp_path)] == ["outbox.db"]


def test_old_snapshots_are_pruned(tmp_path: Path) -> None:
    make_db(tmp_path / "ledger.sqlite3", 3).close()
    start = datetime.datetime(2026, 11, 1, 3, 30, tzinfo=datetime.UTC)
    for day in range(5):
        backup_databases(tmp_path, keep=3, now=start + datetime.timedelta(days=day))
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == ["20261103T033000Z", "20261104T033000Z", "20261105T033000Z"]


def test_command_reports_a_missing_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", "--data", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "introuvable" in err


def test_command_copies_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_db(tmp_path / "ledger.sqlite3", 2).close()
    assert main(["backup", "--data", str(tmp_path), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    assert "ledger.sqlite3 ->" in out and str(tmp_path / "backups") in out


def test_a_corrupt_database_fails_without_leaving_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    make_db(path, 500).close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage after the header page
    path.write_bytes(bytes(data))
    assert main(["backup", "--data", str(tmp_path)]) == 1
    assert not any((tmp_path / "backups").iterdir())
