"""Verify a fiscal journal: a database on the till, or an exported archive anywhere.

Needs only Python 3.11+ and the `cryptography` package: this file and `chain.py` are copied
into every archive, so that an auditor runs

    python verify.py archive.zip          (or the extracted directory)

with no secret and none of our code installed. Exit code 0: intact; 1: the first failing
record and the reason; 2: usage or I/O error. `--json` prints the report as JSON.

The records stream through once (memory stays flat whatever the size); signatures are checked
in batches, on worker processes when the machine has several cores. Checks, per record:
sequence continuity; hash chain (global and per type); canonical payload; recomputed hash;
signature with the key of the INIT record; per-type numbering without gap; time never going
back; ticket arithmetic and VAT rounding rule; business day of each ticket and no ticket in a
closed day; every closure recomputed (DAY = its tickets, MONTH = its DAYs, YEAR = its MONTHs,
grand totals continuous); duplicate counters; RETURN/VOID/DUPLICATE references (second
pass); finally the tail against the head file (database) or the manifest (archive).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sqlite3
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

if __package__:
    from appliance.ledger import chain
else:  # run from an exported archive: chain.py sits beside this file
    import chain  # type: ignore[no-redef]

BATCH = 2048  # records per worker batch; at most 2 x workers batches in flight
SIGNATURE = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
# seq, rtype, training, type_seq, created_utc, payload, prev_hash, prev_type_hash, hash, sig,
# key_id, fmt -- hashes as lowercase hex, sig as bytes
Row = tuple[int, str, int, int, str, str, str, str, str, bytes, str, int]


class Broken(Exception):
    """The journal is broken at `seq` for `reason` (the first fault found)."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"enregistrement {seq} : {reason}")
        self.seq = seq
        self.reason = reason


@dataclass
class Report:
    ok: bool
    records: int
    last_seq: int = 0
    last_hash: str = ""
    register: str = ""
    key_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    failure_seq: int = 0
    failure: str = ""

    def sentence(self) -> str:
        if self.ok:
            return (f"journal intègre : {self.records} enregistrements, dernier n° {self.last_seq}"
                    f" ({self.last_hash[:8]}), clé {self.key_id}")
        return f"journal altéré à l'enregistrement {self.failure_seq} : {self.failure}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def _signature_valid(public_der: bytes, digest: bytes, sig: bytes) -> bool:
    key = serialization.load_der_public_key(public_der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        key.verify(sig, digest, SIGNATURE)
    except InvalidSignature:
        return False
    return True


def _check_batch(public_der: bytes, register: str, rows: list[Row]) -> tuple[int, str]:
    """The record-local checks, run in worker processes: canonical payload, recomputed hash,
    signature. Returns the first failing (seq, reason), or (0, "")."""
    key = serialization.load_der_public_key(public_der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    for (seq, rtype, training, type_seq, created, text, prev_hash, prev_type_hash, hash_hex,
         sig, _, fmt) in rows:
        canonical = text.encode("utf-8")
        try:
            chain.parse_canonical(canonical)
        except chain.CanonicalError as error:
            return seq, f"contenu non canonique (modifié hors de l'application) : {error}"
        envelope = chain.envelope_bytes(
            seq=seq, rtype=rtype, training=bool(training), type_seq=type_seq, created_utc=created,
            register=register, prev_hash=prev_hash, prev_type_hash=prev_type_hash,
            payload=canonical, fmt=fmt,
        )
        if chain.record_hash(envelope) != hash_hex:
            return seq, "hash recalculé différent : contenu ou en-tête modifié"
        try:
            key.verify(sig, bytes.fromhex(hash_hex), SIGNATURE)
        except InvalidSignature:
            return seq, "signature invalide"
    return 0, ""


class Verifier:
    """Feed rows in seq order, then `finish()`; raises `Broken` at the first fault."""

    def __init__(self, workers: int = 1) -> None:
        self.expected_seq = 1
        self.last_hash = chain.ZERO_HASH
        self.last_created = ""
        self.types: dict[tuple[str, int], tuple[int, str]] = {}
        self.counts: dict[str, int] = {}
        self.settings: dict[str, Any] | None = None
        self.public_der = b""
        self.key_id = ""
        self.batch: list[Row] = []
        self.pending: list[tuple[int, Future[tuple[int, str]]]] = []
        self.workers = workers
        self.executor: Executor | None = None
        self.day = chain.Totals()
        self.day_date = ""
        self.month = chain.Totals()
        self.year = chain.Totals()
        self.last_closure: dict[str, tuple[dict[str, Any], str, int]] = {}
        self.copies: dict[tuple[int, int], int] = {}
        self.refs: list[tuple[int, int, int, str]] = []  # seq, training, ticket no, hash
        self.hash_at: dict[int, str] = {}
        self.watch: set[int] = set()

    # -- per record -----------------------------------------------------------------------
    def feed(self, row: Row) -> None:
        """Sequential checks here; record-local ones (canonical form, hash, signature) are
        batched to `_check_batch`, on worker processes when there are several cores."""
        seq, rtype, training, type_seq, created = row[:5]
        hash_hex, key_id = row[8], row[10]
        self._check_links(row)
        payload = self._parse(row)
        if rtype == "INIT":
            self._init(seq, payload)
        elif self.settings is None:
            raise Broken(seq, "pas d'enregistrement INIT en tête")
        if key_id != self.key_id:
            raise Broken(seq, f"clé {key_id} inconnue (attendu {self.key_id})")
        self._check_type(row, payload)
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self._flush()
        if seq in self.watch:
            self.hash_at[seq] = hash_hex
        self.expected_seq = seq + 1
        self.last_hash = hash_hex
        self.last_created = created
        self.types[(rtype, training)] = (type_seq, hash_hex)
        self.counts[rtype] = self.counts.get(rtype, 0) + 1

    def _check_links(self, row: Row) -> None:
        seq, rtype, training, type_seq, created, _, prev_hash, prev_type_hash = row[:8]
        fmt = row[11]
        if seq != self.expected_seq:
            raise Broken(self.expected_seq, f"enregistrement manquant (trouvé {seq} à la place)")
        if fmt != chain.FMT:
            raise Broken(seq, f"format {fmt} inconnu")
        if rtype not in chain.RECORD_TYPES:
            raise Broken(seq, f"type {rtype!r} inconnu")
        if training not in (0, 1) or (training and rtype not in ("TICKET", "DUPLICATE")):
            raise Broken(seq, "indicateur école invalide")
        if prev_hash != self.last_hash:
            raise Broken(seq, "chaînage rompu : prev_hash différent du hash précédent")
        last_type = self.types.get((rtype, training), (0, chain.ZERO_HASH))
        if type_seq != last_type[0] + 1:
            raise Broken(seq, f"numérotation {rtype} rompue : {type_seq} après {last_type[0]}")
        if prev_type_hash != last_type[1]:
            raise Broken(seq, f"chaînage {rtype} rompu : prev_type_hash différent")
        try:
            chain.parse_utc(created)
        except ValueError:
            raise Broken(seq, f"horodatage illisible : {created!r}") from None
        if created < self.last_created:
            raise Broken(seq, f"horodatage antérieur au précédent ({created})")

    @staticmethod
    def _parse(row: Row) -> dict[str, Any]:
        try:
            payload = json.loads(row[5])
        except ValueError as error:
            raise Broken(row[0], f"contenu illisible : {error}") from None
        if not isinstance(payload, dict):
            raise Broken(row[0], "contenu non canonique : objet attendu")
        return payload

    def _init(self, seq: int, payload: dict[str, Any]) -> None:
        if seq != 1 or self.settings is not None:
            raise Broken(seq, "INIT ailleurs qu'en tête du journal")
        try:
            self.public_der = base64.b64decode(payload["public_key"])
            key = serialization.load_der_public_key(self.public_der)
            hours, minutes = payload["cutoff"].split(":")
            self.settings = {
                "register": payload["register"], "tz": payload["tz"],
                "cutoff": int(hours) * 60 + int(minutes),
                "fy_start": payload["fiscal_year_start_month"],
            }
        except (KeyError, ValueError, TypeError) as error:
            raise Broken(seq, f"INIT illisible : {error!r}") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or payload.get("alg") != (
                "ECDSA-P256-SHA256"):
            raise Broken(seq, "algorithme de signature non reconnu")
        self.key_id = hashlib.sha256(self.public_der).hexdigest()[:16]
        if payload.get("key_id") != self.key_id:
            raise Broken(seq, "empreinte de clé incohérente avec la clé publique")

    def _check_type(self, row: Row, payload: dict[str, Any]) -> None:
        seq, rtype, training, hash_hex = row[0], row[1], bool(row[2]), row[8]
        if rtype == "TICKET":
            self._ticket(row, payload)
        elif rtype == "DUPLICATE":
            try:
                key = (int(training), payload["of"]["type_seq"])
                copy_no, of_hash = payload["copy_no"], payload["of"]["hash"]
            except (KeyError, TypeError):
                raise Broken(seq, "duplicata illisible") from None
            if copy_no != self.copies.get(key, 0) + 1:
                raise Broken(seq, f"numéro de duplicata {copy_no} hors séquence")
            self.copies[key] = copy_no
            self.refs.append((seq, key[0], key[1], of_hash))
            self.day.add_duplicate()
        elif rtype == "CLOSURE":
            self._closure(seq, payload, hash_hex)
        elif rtype == "EVENT" and not isinstance(payload.get("code"), str):
            raise Broken(seq, "événement sans code")

    def _ticket(self, row: Row, payload: dict[str, Any]) -> None:
        assert self.settings is not None
        seq, training, type_seq, created, hash_hex = row[0], bool(row[2]), row[3], row[4], row[8]
        problem = chain.ticket_problem(payload)
        if problem:
            raise Broken(seq, f"ticket incohérent : {problem}")
        if payload.get("training") is not training:
            raise Broken(seq, "indicateur école du ticket différent de l'enveloppe")
        expected_day = chain.business_date(created, self.settings["tz"], self.settings["cutoff"])
        day = payload.get("business_date")
        if day != expected_day.isoformat():
            raise Broken(seq, f"journée {day} incohérente avec l'heure {created}")
        closed = self.last_closure.get("DAY")
        if closed and day <= closed[0]["period"]["to"]:
            raise Broken(seq, f"ticket dans une journée déjà clôturée ({day})")
        if self.day_date and day != self.day_date:
            raise Broken(seq, f"ticket du {day} alors que la journée {self.day_date} n'est pas"
                              " clôturée")
        self.day_date = day
        if payload["kind"] in ("RETURN", "VOID"):
            ref = payload.get("ref", {})
            if not isinstance(ref.get("type_seq"), int) or ref["type_seq"] >= type_seq:
                raise Broken(seq, "référence au ticket d'origine invalide")
            self.refs.append((seq, int(training), ref["type_seq"], ref.get("hash", "")))
        self.day.add_ticket(payload, training, type_seq, hash_hex)

    def _closure(self, seq: int, payload: dict[str, Any], hash_hex: str) -> None:
        assert self.settings is not None
        level = payload.get("level")
        if level not in chain.LEVELS:
            raise Broken(seq, f"niveau de clôture {level!r} inconnu")
        previous = self.last_closure.get(level)
        totals = {"DAY": self.day, "MONTH": self.month, "YEAR": self.year}[level]
        try:
            start, end = self._period(seq, level, payload, totals)
            fy = chain.fiscal_year(start, self.settings["fy_start"])
            expected = chain.closure_figures(
                totals, level=level, no=previous[0]["no"] + 1 if previous else 1,
                period_from=start, period_to=end, fy=fy,
                previous=(previous[0], previous[1]) if previous else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Broken(seq, f"clôture illisible : {error!r}") from None
        if level == "DAY":
            first_seq = previous[2] + 1 if previous else 1
            expected["covers"] = {"first_seq": first_seq, "last_seq": seq - 1}
        for key, value in expected.items():
            if payload.get(key) != value:
                raise Broken(seq, f"clôture {level} : « {key} » ne correspond pas au recalcul")
        extra = set(payload) - set(expected) - {"auto", "cash_count"}
        if extra:
            raise Broken(seq, f"clôture {level} : champs inattendus {sorted(extra)}")
        self.last_closure[level] = (payload, hash_hex, seq)
        if level == "DAY":
            self.day, self.day_date = chain.Totals(), ""
            self.month.add_closure(payload, hash_hex)
        elif level == "MONTH":
            self.month = chain.Totals()
            self.year.add_closure(payload, hash_hex)
        else:
            self.year = chain.Totals()

    def _period(self, seq: int, level: str, payload: dict[str, Any],
                totals: chain.Totals) -> tuple[date, date]:
        assert self.settings is not None
        first = date.fromisoformat(payload["period"]["from"])
        if level == "DAY":
            if self.day_date and self.day_date != first.isoformat():
                raise Broken(seq, f"clôture du {first} pour des tickets du {self.day_date}")
            return first, first
        if not totals.children:
            raise Broken(seq, f"clôture {level} sans clôture inférieure")
        if level == "MONTH":
            return chain.month_bounds(first)
        fy_start = self.settings["fy_start"]
        return chain.fiscal_year_bounds(chain.fiscal_year(first, fy_start), fy_start)

    # -- signatures -----------------------------------------------------------------------
    def _flush(self) -> None:
        if not self.batch:
            return
        items, self.batch = self.batch, []
        register = self.settings["register"] if self.settings else ""
        if self.workers <= 1:
            failed, reason = _check_batch(self.public_der, register, items)
            if failed:
                raise Broken(failed, reason)
            return
        if self.executor is None:
            self.executor = ProcessPoolExecutor(max_workers=self.workers)
        self.pending.append((items[0][0], self.executor.submit(
            _check_batch, self.public_der, register, items)))
        while len(self.pending) > self.workers * 2:
            self._collect_one()

    def _collect_one(self, before: int | None = None) -> None:
        _, future = self.pending.pop(0)
        failed, reason = future.result()
        if failed and (before is None or failed < before):
            raise Broken(failed, reason)

    def drain(self, before: int | None = None) -> None:
        """Check every signature submitted (of seqs < `before` when given)."""
        if before is None:
            self._flush()
        try:
            while self.pending and (before is None or self.pending[0][0] < before):
                self._collect_one(before)
        finally:
            if before is None and self.executor is not None:
                self.executor.shutdown(cancel_futures=True)
                self.executor = None

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)
            self.executor = None


Progress = Callable[[int], None]
PROGRESS_EVERY = 100_000


def run(rows: Callable[[], Iterable[Row]], *, workers: int = 1,
        tail: Callable[[Verifier], None] | None = None,
        watch: Iterable[int] = (), progress: Progress | None = None) -> Report:
    """Verify the rows `rows()` yields (called twice when references need a second pass);
    `progress(records_done)` is called every `PROGRESS_EVERY` records."""
    verifier = Verifier(workers)
    verifier.watch = set(watch)
    try:
        try:
            for row in rows():
                verifier.feed(row)
                if progress is not None and row[0] % PROGRESS_EVERY == 0:
                    progress(row[0])
        except Broken as broken:
            verifier.batch = [item for item in verifier.batch if item[0] < broken.seq]
            verifier._flush()
            verifier.drain(before=broken.seq)
            raise
        verifier.drain()
        if verifier.settings is None:
            raise Broken(1, "journal vide : aucun enregistrement INIT")
        _check_refs(verifier, rows)
        if tail is not None:
            tail(verifier)
    except Broken as broken:
        return Report(False, verifier.expected_seq - 1, verifier.expected_seq - 1,
                      verifier.last_hash, (verifier.settings or {}).get("register", ""),
                      verifier.key_id, verifier.counts, broken.seq, broken.reason)
    finally:
        verifier.shutdown()
    return Report(True, verifier.expected_seq - 1, verifier.expected_seq - 1, verifier.last_hash,
                  verifier.settings["register"], verifier.key_id, verifier.counts)


def _check_refs(verifier: Verifier, rows: Callable[[], Iterable[Row]]) -> None:
    if not verifier.refs:
        return
    wanted = {(training, number) for _, training, number, _ in verifier.refs}
    found: dict[tuple[int, int], str] = {}
    for row in rows():
        if row[1] == "TICKET" and (row[2], row[3]) in wanted:
            found[(row[2], row[3])] = row[8]
    for seq, training, number, hash_hex in sorted(verifier.refs):
        if found.get((training, number)) != hash_hex:
            raise Broken(seq, f"référence au ticket n° {number} introuvable ou différente")


# ----------------------------------------------------------------------------- sources


def database_rows(path: Path) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            cursor = connection.execute("SELECT * FROM journal ORDER BY seq")
            for (seq, rtype, training, type_seq, created, payload, prev_hash, prev_type_hash,
                 hash_, sig, key_id, fmt) in cursor:
                yield (seq, rtype, training, type_seq, created, payload,
                       bytes(prev_hash).hex(), bytes(prev_type_hash).hex(), bytes(hash_).hex(),
                       bytes(sig), key_id, fmt)
        finally:
            connection.close()
    return rows


def verify_database(path: Path, head_path: Path | None = None, *, workers: int = 1,
                    progress: Progress | None = None) -> Report:
    """Verify a journal database; `head_path` (the head file) detects a removed tail."""
    if not path.exists():
        raise OSError(f"base introuvable : {path}")
    head = json.loads(head_path.read_bytes()) if head_path and head_path.exists() else None

    def tail(verifier: Verifier) -> None:
        last = verifier.expected_seq - 1
        if head_path is not None and head is None and last > 1:
            raise Broken(last, "fichier de tête absent : fin du journal invérifiable")
        if head is None:
            return
        if head["seq"] > last:
            raise Broken(last + 1, f"journal tronqué : la tête indique {head['seq']},"
                                   f" la base s'arrête à {last}")
        if verifier.hash_at.get(head["seq"]) != head["hash"]:
            raise Broken(head["seq"], "ne correspond pas au fichier de tête")
        if not _signature_ok(verifier.public_der, head["hash"], bytes.fromhex(head["sig"])):
            raise Broken(head["seq"], "signature du fichier de tête invalide")

    return run(database_rows(path), workers=workers, tail=tail,
               watch=[head["seq"]] if head else [], progress=progress)


def _signature_ok(public_der: bytes, hash_hex: str, sig: bytes) -> bool:
    return _signature_valid(public_der, bytes.fromhex(hash_hex), sig)


def _archive_files(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {item.name: item.read_bytes() for item in path.iterdir() if item.is_file()}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def verify_archive(path: Path, *, workers: int = 1, progress: Progress | None = None) -> Report:
    """Verify an exported archive (ZIP or extracted directory): files, manifest, journal."""
    try:
        files = _archive_files(path)
        manifest_bytes = files["manifest.json"]
        manifest = json.loads(manifest_bytes)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, zlib.error) as error:
        return Report(False, 0, failure=f"archive illisible : {error!r}")
    for name, digest in manifest.get("files", {}).items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            return Report(False, 0, failure=f"fichier {name} modifié ou absent")
    public_der = base64.b64decode(manifest.get("public_key", ""))
    try:
        signed = _signature_ok(public_der, hashlib.sha256(manifest_bytes).hexdigest(),
                               bytes.fromhex(files.get("manifest.sig", b"").decode()))
    except ValueError:
        signed = False
    if not signed:
        return Report(False, 0, failure="signature du manifeste invalide")
    journal_text = files["journal.jsonl"]

    def rows() -> Iterator[Row]:
        for line in io.BytesIO(journal_text):
            item = json.loads(line)
            yield (item["seq"], item["rtype"], item["training"], item["type_seq"],
                   item["created_utc"], item["payload"], item["prev_hash"],
                   item["prev_type_hash"], item["hash"], bytes.fromhex(item["sig"]),
                   item["key_id"], item["fmt"])

    def tail(verifier: Verifier) -> None:
        last = verifier.expected_seq - 1
        if (last, verifier.last_hash) != (manifest["last_seq"], manifest["last_hash"]):
            raise Broken(last, "fin du journal différente du manifeste (tronqué ?)")
        if verifier.public_der != public_der:
            raise Broken(1, "clé publique du manifeste différente de celle du journal")

    try:
        return run(rows, workers=workers, tail=tail, progress=progress)
    except (ValueError, KeyError, TypeError) as error:
        return Report(False, 0, failure=f"journal.jsonl illisible : {error!r}")


def _progress(records: int) -> None:
    print(f"… {records:,} enregistrements vérifiés".replace(",", " "), file=sys.stderr,
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vérifie une archive du journal fiscal.")
    parser.add_argument("archive", nargs="?", default=".",
                        help="archive ZIP ou dossier extrait (par défaut : le dossier courant)")
    parser.add_argument("--json", action="store_true", help="rapport en JSON")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    path = Path(args.archive)
    if not path.exists():
        print(f"introuvable : {path}", file=sys.stderr)
        return 2
    report = verify_archive(path, workers=args.workers, progress=_progress)
    print(report.to_json() if args.json else report.sentence())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
