import json
import sqlite3

import pytest

from appliance.cli import main
from appliance.ledger.journal import DB_NAME

from ..ledger.journal_support import Clock, new_journal, sell


@pytest.fixture
def data(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path / "data", clock)
    for _ in range(2):
        sell(journal, clock, (450, 1290))
        clock.advance(days=1)
    sell(journal, clock)
    journal.close()
    return tmp_path / "data"


def test_verify_intact_journal_exits_0(data, capsys):
    assert main(["journal", "verify", "--data", str(data)]) == 0
    assert "journal intègre" in capsys.readouterr().out
    assert main(["journal", "verify", "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["records"] == report["last_seq"]


def test_verify_tampered_journal_exits_1_with_the_record(data, capsys):
    raw = sqlite3.connect(data / DB_NAME, isolation_level=None)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("UPDATE journal SET payload = replace(payload, '1290', '1390') WHERE seq = 2")
    raw.close()
    assert main(["journal", "verify", "--data", str(data), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failure_seq"] == 2 and report["ok"] is False


def test_usage_and_io_errors_exit_2(tmp_path, capsys):
    assert main(["journal", "verify", "--data", str(tmp_path / "none")]) == 2
    assert "aucun journal" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("data_dir = 3\n")
    assert main(["journal", "verify", "--config", str(bad)]) == 2
    assert main(["journal", "show", "--data", str(tmp_path / "none")]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["journal", "show", "--seq", "x"])
    assert exited.value.code == 2


def test_config_gives_the_data_directory(data, tmp_path, capsys):
    config = tmp_path / "appliance.toml"
    config.write_text(f'data_dir = "{data}"\n')
    assert main(["journal", "verify", "--config", str(config)]) == 0


def test_show_record_day_and_totals(data, capsys):
    assert main(["journal", "show", "--data", str(data), "--ticket", "1", "--json"]) == 0
    ticket = json.loads(capsys.readouterr().out)
    assert ticket["rtype"] == "TICKET" and ticket["payload"]["total_ttc"] == 1740
    assert main(["journal", "show", "--data", str(data), "--day", "2026-03-02"]) == 0
    out = capsys.readouterr().out
    assert "Z DAY n° 1" in out and "17,40 €" in out
    assert main(["journal", "show", "--data", str(data), "--totals", "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert totals["closures"]["DAY"]["payload"]["gt"]["perpetual_net"] == 3480
    assert main(["journal", "show", "--data", str(data), "--day", "1999-01-01"]) == 2


def test_export_writes_a_verifiable_archive(data, tmp_path, capsys):
    out = tmp_path / "a.zip"
    assert main(["journal", "export", "--data", str(data), "--out", str(out)]) == 0
    assert "archive écrite" in capsys.readouterr().out
    assert main(["journal", "verify", "--archive", str(out)]) == 0
    assert main(["journal", "verify", "--data", str(data)]) == 0
