import hashlib
import json
import subprocess
import sys
import zipfile

import pytest

from appliance.ledger.export import export_archive
from appliance.ledger.verify import verify_archive

from .journal_support import Clock, new_journal, sell

RUN_STANDALONE = (
    "import runpy, sys\n"
    "sys.modules['appliance'] = None  # our package must not be needed\n"
    "sys.path.insert(0, '.')\n"
    "sys.argv = ['verify.py', sys.argv[1]]\n"
    "runpy.run_path('verify.py', run_name='__main__')\n"
)


@pytest.fixture
def archive(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path / "data", clock)
    for _ in range(2):
        for price in (450, 1290):
            sell(journal, clock, (price, 99))
        sell(journal, clock, (700,), training=True)
        clock.advance(days=1)
    journal.duplicate(1)
    out = tmp_path / "out" / "archive.zip"
    result = export_archive(journal, out)
    last = journal.last_record()
    journal.close()
    return out, result, last


def _standalone(archive_path, workdir, verifier_from=None):
    """Run the archive's own verify.py (taken from `verifier_from`, default the archive)."""
    workdir.mkdir(exist_ok=True)
    with zipfile.ZipFile(verifier_from or archive_path) as zipped:
        zipped.extract("verify.py", workdir)
        zipped.extract("chain.py", workdir)
    return subprocess.run([sys.executable, "-c", RUN_STANDALONE, str(archive_path)],
                          check=False, cwd=workdir, capture_output=True, text=True,
                          timeout=60)


def test_archive_content_and_its_trace_in_the_journal(archive):
    out, result, last = archive
    with zipfile.ZipFile(out) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        lines = zipped.read("journal.jsonl").decode().splitlines()
        tickets_csv = zipped.read("tickets.csv").decode().splitlines()
    assert {"manifest.json", "manifest.sig", "journal.jsonl", "tickets.csv", "ticket_lines.csv",
            "closures.csv", "events.csv", "duplicates.csv", "public_key.pem", "FORMAT.md",
            "verify.py", "chain.py"} <= names
    assert len(lines) == manifest["last_seq"] == result.last_seq
    assert tickets_csv[0].startswith("seq;ticket;ecole;type")
    assert len(tickets_csv) == 1 + manifest["counts"]["TICKET"]
    assert result.archive.rtype == "ARCHIVE"
    assert result.archive.payload["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert last.payload["code"] == "ARCHIVE_DONE"


def test_standalone_verifier_accepts_the_archive(archive, tmp_path):
    out, _, _ = archive
    done = _standalone(out, tmp_path / "auditor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "journal intègre" in done.stdout


def _rewrite(source, target, name, change):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            data = old.read(item)
            new.writestr(item, change(data) if item == name else data)


def _flip_digit(data: bytes) -> bytes:
    index = data.index(b'"total_ttc\\":') + len(b'"total_ttc\\":')
    digit = data[index:index + 1]
    return data[:index] + (b"8" if digit != b"8" else b"7") + data[index + 1:]


@pytest.mark.parametrize(
    ("name", "change"),
    [("journal.jsonl", _flip_digit),
     ("tickets.csv", lambda data: data.replace(b";SALE;", b";SALF;", 1)),
     ("manifest.json", lambda data: data.replace(b'"kind": "ADHOC"', b'"kind": "ADHOD"'))],
)
def test_one_byte_changed_is_rejected(archive, tmp_path, name, change):
    out, _, _ = archive
    altered = tmp_path / "altered.zip"
    _rewrite(out, altered, name, change)
    assert altered.read_bytes() != out.read_bytes()
    done = _standalone(altered, tmp_path / "auditor", verifier_from=out)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not verify_archive(altered).ok


def test_a_flipped_byte_in_the_zip_itself_is_rejected(archive, tmp_path):
    out, _, _ = archive
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01
    altered = tmp_path / "flipped.zip"
    altered.write_bytes(bytes(data))
    report = verify_archive(altered)
    assert not report.ok
    done = _standalone(altered, tmp_path / "auditor", verifier_from=out)
    assert done.returncode == 1, done.stdout + done.stderr


def test_standalone_verifier_runs_where_processes_are_spawned(archive, tmp_path):
    """Windows and macOS start worker processes by spawning, not forking: the auditor's
    `python verify.py archive.zip` must still verify with several workers there."""
    out, _, _ = archive
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    with zipfile.ZipFile(out) as zipped:
        zipped.extract("verify.py", auditor)
        zipped.extract("chain.py", auditor)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import multiprocessing, sys\n"
        "multiprocessing.set_start_method('spawn')\n"
        "sys.modules['appliance'] = None  # our package must not be needed\n")
    done = subprocess.run([sys.executable, "verify.py", "--workers", "2", str(out)],
                          check=False, cwd=auditor, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "journal intègre" in done.stdout
