"""Export the journal as a self-describing, independently verifiable ZIP archive.

Contents (the format itself: `FORMAT_MD` below, copied into the archive as `FORMAT.md`):
- `journal.jsonl`: every record, one JSON object a line, the authoritative data (the payload is
  kept as the exact canonical text that was hashed);
- `tickets.csv`, `ticket_lines.csv`, `closures.csv`, `events.csv`, `duplicates.csv`:
  flattened views for a spreadsheet (semicolons, UTF-8, amounts in euros with a comma);
- `public_key.pem`, `FORMAT.md` (the format and how to verify it by hand);
- `verify.py` and `chain.py`: the standalone verifier (Python 3.11+ and `cryptography`);
- `manifest.json` (identity, range, counts, public key, SHA-256 of every file) and
  `manifest.sig` (the device's signature of the manifest's SHA-256, hex DER).

Each pass streams the database, so exporting years of records keeps memory flat. After the
file is written and fsynced, an ARCHIVE record (file name, SHA-256) and an ARCHIVE_DONE event
are appended: the archiving operation is itself traced in the chain.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.ledger import chain
from appliance.ledger.journal import Journal
from appliance.ledger.records import JournalRecord

FORMAT_MD = """# Journal fiscal : format de l'archive

Chaque ligne de `journal.jsonl` est un enregistrement :
`seq` (numéro global, continu depuis 1), `rtype` (INIT, TICKET, DUPLICATE, CLOSURE, EVENT,
ARCHIVE), `training` (1 = mode école), `type_seq` (numéro continu par couple rtype/training :
c'est le numéro de ticket), `created_utc` (UTC ISO-8601, millisecondes), `payload` (le contenu,
en JSON canonique, exactement le texte haché), `prev_hash`, `prev_type_hash`, `hash`, `sig`
(hexadécimal), `key_id`, `fmt` (1).

## JSON canonique
UTF-8 ; chaînes normalisées NFC ; clés triées par point de code ; séparateurs `,` et `:` sans
espace ; seulement entiers (|n| < 2^53), chaînes, booléens, listes, objets ; ni flottant ni
null. Montants en centimes, quantités en millièmes, taux de TVA en points de base (2000 = 20 %).

## Hash et signature
`hash` = SHA-256 du JSON canonique de l'objet
`{"created_utc","fmt","payload","prev_hash","prev_type_hash","register","rtype","seq",
"training","type_seq"}` (payload inclus comme objet, hash en hexadécimal minuscule, `register`
venant de l'enregistrement INIT). `prev_hash` est le hash de l'enregistrement précédent
(64 zéros pour le premier) ; `prev_type_hash` celui du précédent de même rtype/training.
`sig` = signature ECDSA P-256 (DER) du condensat `hash` (SHA-256 pré-calculé) par la clé dont
la clé publique (SubjectPublicKeyInfo, base64) figure dans l'enregistrement INIT et dans
`public_key.pem`.

## Tickets
Lignes : `qty_milli`, `unit_price`, `gross`, `line_discount`, `ticket_discount`, `total_ht`,
`total_vat`, `total_ttc`, `vat_bp`. La TVA se calcule par taux sur le total du taux, arrondie
au centime le plus proche (demi vers l'extérieur de zéro) : sur le TTC si `price_mode` = TTC
(TVA = TTC x taux / (10000 + taux)), sur le HT sinon. Retours et annulations : quantités et
montants négatifs, `ref` cite le ticket d'origine (numéro et hash). `business_date` : journée
commerciale (heure locale moins l'heure de clôture de l'INIT).

## Clôtures
`level` DAY, MONTH ou YEAR (exercice). DAY = somme des tickets hors mode école depuis la
clôture DAY précédente (`covers`) ; MONTH = somme de ses DAY ; YEAR = somme de ses MONTH.
`gt.perpetual_net` et `gt.perpetual_abs` ne repartent jamais de zéro ;
`gt.fiscal_year_net` repart à chaque exercice.

## Vérifier
`python verify.py archive.zip` (ou dans le dossier extrait : `python verify.py .`).
Il faut Python 3.11 ou plus et le paquet `cryptography` (`pip install cryptography`) ; avec
`orjson` installé en plus, la lecture est plus rapide, avec le même verdict.
Code de sortie 0 : intègre ; 1 : premier enregistrement en défaut et raison ; 2 : erreur.
Comparez l'empreinte de clé affichée avec celle imprimée sur les tickets et les rapports Z.
"""


Producer = Callable[[], Iterator[bytes]]  # the chunks of one member of the archive


@dataclass(frozen=True)
class ExportResult:
    path: Path
    last_seq: int
    sha256: str
    archive: JournalRecord


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, fraction = divmod(abs(cents), 100)
    return f"{sign}{units},{fraction:02d}"


def _quantity(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    units, fraction = divmod(abs(milli), 1000)
    return f"{sign}{units},{fraction:03d}"


def _rows(journal: Journal, last_seq: int, rtype: str | None = None) -> Iterator[JournalRecord]:
    if rtype is None:
        cursor = journal.connection.execute(
            "SELECT * FROM journal WHERE seq <= ? ORDER BY seq", (last_seq,))
    else:
        cursor = journal.connection.execute(
            "SELECT * FROM journal WHERE seq <= ? AND rtype = ? ORDER BY seq", (last_seq, rtype))
    for row in cursor:
        yield JournalRecord.from_row(row)


def _jsonl(journal: Journal, last_seq: int) -> Iterator[bytes]:
    for record in _rows(journal, last_seq):
        yield json.dumps({
            "seq": record.seq, "rtype": record.rtype, "training": int(record.training),
            "type_seq": record.type_seq, "created_utc": record.created_utc,
            "payload": record.payload_text, "prev_hash": record.prev_hash,
            "prev_type_hash": record.prev_type_hash, "hash": record.hash,
            "sig": record.sig.hex(), "key_id": record.key_id, "fmt": record.fmt,
        }, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 65536:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _ticket_rows(r: JournalRecord) -> Iterator[list[Any]]:
    p = r.payload
    payments = " + ".join(f"{i['method']} {_amount(i['amount'])}" for i in p["payments"])
    yield [r.seq, r.type_seq, int(r.training), p["kind"], r.created_utc, p["business_date"],
           _amount(p["total_ht"]), _amount(p["total_vat"]), _amount(p["total_ttc"]),
           payments, _amount(p["change"]), _amount(p["rounding"]),
           p.get("seller", {}).get("name", ""), p.get("ref", {}).get("type_seq", ""), r.hash]


def _line_rows(r: JournalRecord) -> Iterator[list[Any]]:
    for line in r.payload["lines"]:
        yield [r.seq, r.type_seq, int(r.training), line["n"], line["product_id"],
               line["label"], _quantity(line["qty_milli"]), _amount(line["unit_price"]),
               _amount(line.get("orig_unit_price", line["unit_price"])),
               _amount(line["line_discount"] + line["ticket_discount"]),
               _amount(line["vat_bp"]), _amount(line["total_ht"]),
               _amount(line["total_vat"]), _amount(line["total_ttc"])]


def _closure_rows(r: JournalRecord) -> Iterator[list[Any]]:
    p = r.payload
    totals, gt = p["totals"], p["gt"]
    yield [r.seq, p["level"], p["no"], p["period"]["from"], p["period"]["to"],
           p["counts"]["tickets"], _amount(totals["sales_ttc"]),
           _amount(totals["returns_ttc_abs"]), _amount(totals["net_ttc"]),
           _amount(totals["net_ht"]), _amount(totals["net_vat"]),
           _amount(gt["fiscal_year_net"]), _amount(gt["perpetual_net"]),
           _amount(gt["perpetual_abs"]), r.hash]


def _event_rows(r: JournalRecord) -> Iterator[list[Any]]:
    p = r.payload
    yield [r.seq, r.type_seq, r.created_utc, p["code"], p.get("jet", ""), p.get("label", ""),
           json.dumps(p.get("details", {}), ensure_ascii=False), r.hash]


def _duplicate_rows(r: JournalRecord) -> Iterator[list[Any]]:
    p = r.payload
    yield [r.seq, r.type_seq, int(r.training), r.created_utc, p["of"]["type_seq"],
           p["copy_no"], p["channel"], r.hash]


# The spreadsheet views: file, record type, header, and the rows of one record.
VIEWS: tuple[tuple[str, str, list[str], Callable[[JournalRecord], Iterator[list[Any]]]], ...] = (
    ("tickets.csv", "TICKET",
     ["seq", "ticket", "ecole", "type", "horodatage_utc", "journee", "total_ht", "total_tva",
      "total_ttc", "paiements", "rendu", "arrondi", "vendeur", "ticket_origine", "hash"],
     _ticket_rows),
    ("ticket_lines.csv", "TICKET",
     ["seq", "ticket", "ecole", "ligne", "produit", "libelle", "quantite", "prix_unitaire",
      "prix_origine", "remises", "taux_tva", "total_ht", "total_tva", "total_ttc"],
     _line_rows),
    ("closures.csv", "CLOSURE",
     ["seq", "niveau", "numero", "du", "au", "tickets", "ventes_ttc", "retours_ttc", "net_ttc",
      "net_ht", "net_tva", "gt_exercice", "gt_perpetuel", "gt_perpetuel_absolu", "hash"],
     _closure_rows),
    ("events.csv", "EVENT",
     ["seq", "numero", "horodatage_utc", "code", "jet", "libelle", "details", "hash"],
     _event_rows),
    ("duplicates.csv", "DUPLICATE",
     ["seq", "numero", "ecole", "horodatage_utc", "ticket", "copie", "canal", "hash"],
     _duplicate_rows),
)


def _view(journal: Journal, last_seq: int, rtype: str, header: list[str],
          rows_of: Callable[[JournalRecord], Iterator[list[Any]]]) -> Iterator[bytes]:
    return _csv(header, (row for record in _rows(journal, last_seq, rtype)
                         for row in rows_of(record)))


def _producers(journal: Journal, last_seq: int) -> list[tuple[str, Producer]]:
    """Every member of the archive but the manifest, in order, each read as it is written."""
    here = Path(__file__).parent
    public_pem = journal.public_key_pem()
    return [
        ("journal.jsonl", lambda: _jsonl(journal, last_seq)),
        *((name, functools.partial(_view, journal, last_seq, rtype, header, rows_of))
          for name, rtype, header, rows_of in VIEWS),
        ("public_key.pem", lambda: iter([public_pem])),
        ("FORMAT.md", lambda: iter([FORMAT_MD.encode()])),
        ("verify.py", lambda: iter([(here / "verify.py").read_bytes()])),
        ("chain.py", lambda: iter([(here / "chain.py").read_bytes()])),
    ]


def _write_members(archive: zipfile.ZipFile, producers: list[tuple[str, Producer]]
                   ) -> dict[str, str]:
    """Stream each member into `archive`; returns the SHA-256 of each."""
    digests: dict[str, str] = {}
    for name, produce in producers:
        digest = hashlib.sha256()
        with archive.open(name, "w", force_zip64=True) as member:
            for chunk in produce():
                digest.update(chunk)
                member.write(chunk)
        digests[name] = digest.hexdigest()
    return digests


def _manifest(journal: Journal, init: JournalRecord, last: JournalRecord, kind: str,
              digests: dict[str, str]) -> bytes:
    counts: dict[str, int] = {}
    for (rtype, number) in journal.connection.execute(
            "SELECT rtype, COUNT(*) FROM journal WHERE seq <= ? GROUP BY rtype", (last.seq,)):
        counts[rtype] = number
    return json.dumps({
        "format": chain.FMT,
        "register": journal.settings.register,
        "shop": init.payload["shop"],
        "software": init.payload["software"],
        "kind": kind,
        "first_seq": 1,
        "prev_hash": chain.ZERO_HASH,
        "last_seq": last.seq,
        "last_hash": last.hash,
        "counts": counts,
        "public_key": init.payload["public_key"],
        "key_id": init.payload["key_id"],
        "last_created_utc": last.created_utc,
        "files": digests,
    }, ensure_ascii=False, sort_keys=True, indent=1).encode()


def _journal_archive(journal: Journal, archive: dict[str, Any]) -> JournalRecord:
    """The ARCHIVE record of a written archive, numbered, and its ARCHIVE_DONE event, in one
    transaction."""
    with journal.transaction() as tx:
        previous = tx.connection.execute(
            "SELECT COUNT(*) FROM journal WHERE rtype = 'ARCHIVE'").fetchone()[0]
        record = tx.append("ARCHIVE", {"no": previous + 1, **archive})
        tx.event("ARCHIVE_DONE", details={"archive_seq": record.seq, "file": archive["file"]})
    return record


def export_archive(journal: Journal, out: Path, *, kind: str = "ADHOC") -> ExportResult:
    """Write the archive of every record so far to `out`, then journal the ARCHIVE record."""
    last = journal.last_record()
    init = journal.record(1)
    assert init is not None
    producers = _producers(journal, last.seq)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".part")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = _manifest(journal, init, last, kind, _write_members(archive, producers))
        archive.writestr("manifest.json", manifest)
        manifest_sha = hashlib.sha256(manifest).hexdigest()
        signature = journal.sign_digest(bytes.fromhex(manifest_sha))
        archive.writestr("manifest.sig", signature.hex())
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
        file_sha = hashlib.file_digest(handle, "sha256").hexdigest()
    os.replace(temporary, out)
    record = _journal_archive(journal, {
        "kind": kind, "from_seq": 1, "to_seq": last.seq, "file": out.name,
        "file_sha256": file_sha, "manifest_sha256": manifest_sha,
    })
    return ExportResult(out, last.seq, file_sha, record)
