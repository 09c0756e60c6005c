"""`appliance journal verify|export|show`: check, archive and read the fiscal journal.

Exit codes (all three): 0 success (journal intact); 1 integrity failure, with the first failing
record and the reason; 2 usage or I/O error (no journal, unreadable file, bad option).
The data directory comes from `--data`, else from the configuration file (`--config`, else
`$APPLIANCE_CONFIG` or /etc/appliance/appliance.toml when it exists), else /var/lib/appliance.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.commands import Subparsers
from appliance.config import DEFAULT_DATA_DIR, ConfigError, default_config_path, load_config
from appliance.ledger.db import LedgerError
from appliance.ledger.export import export_archive
from appliance.ledger.journal import DB_NAME, HEAD_NAME, Journal, JournalReader
from appliance.ledger.records import JournalRecord
from appliance.ledger.verify import verify_archive, verify_database


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "journal", help="journal fiscal : vérifier, exporter, consulter",
        description="Journal fiscal inaltérable (chaîné, signé) : vérification, archive"
        " vérifiable de façon indépendante, consultation.",
    )
    actions = parser.add_subparsers(dest="journal_action", metavar="ACTION", required=True)

    verify = actions.add_parser("verify", help="vérifie tout le journal (ou une archive)")
    _location(verify)
    verify.add_argument("--archive", type=Path, help="vérifier une archive ZIP exportée")
    verify.add_argument("--json", action="store_true", help="rapport en JSON")
    verify.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processus de vérification des signatures")
    verify.set_defaults(handler=_verify)

    export = actions.add_parser("export", help="écrit une archive ZIP vérifiable")
    _location(export)
    export.add_argument("--out", type=Path, help="fichier ZIP (défaut : <data>/archives/...)")
    export.add_argument("--kind", choices=("ADHOC", "MONTH", "YEAR"), default="ADHOC")
    export.set_defaults(handler=_export)

    show = actions.add_parser("show", help="affiche un enregistrement, un Z, les totaux")
    _location(show)
    what = show.add_mutually_exclusive_group()
    what.add_argument("--seq", type=int, help="enregistrement n°")
    what.add_argument("--ticket", type=int, help="ticket n°")
    what.add_argument("--day", help="Z du jour AAAA-MM-JJ")
    what.add_argument("--totals", action="store_true", help="grands totaux")
    show.add_argument("--training", action="store_true", help="série école (avec --ticket)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)


def _location(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="répertoire de données")
    parser.add_argument("--config", type=Path, help="fichier de configuration TOML")


class _UsageError(Exception):
    pass


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data is not None:
        return Path(args.data)
    path = args.config or default_config_path()
    if args.config is None and not path.exists():
        return DEFAULT_DATA_DIR
    try:
        return load_config(path).data_dir
    except ConfigError as error:
        raise _UsageError(str(error)) from error


def _fail(message: str) -> int:
    print(f"appliance journal: {message}", file=sys.stderr)
    return 2


def _progress(records: int) -> None:
    """Long verifications (millions of records) say how far they are, on stderr."""
    print(f"… {records:,} enregistrements vérifiés".replace(",", " "), file=sys.stderr,
          flush=True)


def _verify(args: argparse.Namespace) -> int:
    try:
        if args.archive is not None:
            if not args.archive.exists():
                return _fail(f"archive introuvable : {args.archive}")
            report = verify_archive(args.archive, workers=args.workers, progress=_progress)
        else:
            data = _data_dir(args)
            if not (data / DB_NAME).exists():
                return _fail(f"aucun journal dans {data}")
            report = verify_database(data / DB_NAME, data / HEAD_NAME, workers=args.workers,
                                     progress=_progress)
    except _UsageError as error:
        return _fail(str(error))
    except (OSError, LedgerError) as error:
        return _fail(f"lecture impossible : {error}")
    print(report.to_json() if args.json else report.sentence())
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    try:
        data = _data_dir(args)
        journal = Journal.open(data)
    except _UsageError as error:
        return _fail(str(error))
    except (OSError, LedgerError) as error:
        return _fail(str(error))
    try:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = args.out or data / "archives" / f"journal-{journal.settings.register}-{stamp}.zip"
        result = export_archive(journal, out, kind=args.kind)
    except (OSError, LedgerError) as error:
        return _fail(f"export impossible : {error}")
    finally:
        journal.close()
    print(f"archive écrite : {result.path} (enregistrements 1 à {result.last_seq},"
          f" sha256 {result.sha256[:16]}…, tracée par l'enregistrement {result.archive.seq})")
    return 0


def _record_dict(record: JournalRecord) -> dict[str, Any]:
    return {"seq": record.seq, "rtype": record.rtype, "training": record.training,
            "type_seq": record.type_seq, "created_utc": record.created_utc,
            "hash": record.hash, "prev_hash": record.prev_hash, "payload": record.payload}


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, fraction = divmod(abs(cents), 100)
    return f"{sign}{units:,}".replace(",", " ") + f",{fraction:02d} €"


def _print_record(record: JournalRecord) -> None:
    print(f"{record.rtype} n° {record.type_seq}{' (école)' if record.training else ''}"
          f" — enregistrement {record.seq} — {record.created_utc} — {record.hash[:8]}")
    print(json.dumps(record.payload, ensure_ascii=False, indent=2, sort_keys=True))


def _print_closure(record: JournalRecord) -> None:
    p = record.payload
    print(f"Z {p['level']} n° {p['no']} du {p['period']['from']} au {p['period']['to']}"
          f" — enregistrement {record.seq} — {record.hash[:8]}")
    counts = p["counts"]
    print(f"  tickets {counts['tickets']} (ventes {counts['sales']}, retours {counts['returns']},"
          f" annulations {counts['voids']}, école {counts['training_tickets']})")
    totals = p["totals"]
    print(f"  ventes {_euros(totals['sales_ttc'])}  retours {_euros(totals['returns_ttc_abs'])}"
          f"  net TTC {_euros(totals['net_ttc'])}  HT {_euros(totals['net_ht'])}"
          f"  TVA {_euros(totals['net_vat'])}")
    for row in p["vat"]:
        print(f"  TVA {row['vat_bp'] / 100:g} % : base {_euros(row['base_ht'])}"
              f"  TVA {_euros(row['vat'])}  TTC {_euros(row['ttc'])}")
    for item in p["payments"]:
        print(f"  {item['method']} {_euros(item['amount'])}")
    gt = p["gt"]
    print(f"  GT période {_euros(gt['period_net'])}  exercice {_euros(gt['fiscal_year_net'])}"
          f"  perpétuel {_euros(gt['perpetual_net'])}  absolu {_euros(gt['perpetual_abs'])}")


def _show(args: argparse.Namespace) -> int:
    try:
        reader = JournalReader.open_readonly(_data_dir(args))
    except _UsageError as error:
        return _fail(str(error))
    except (OSError, LedgerError) as error:
        return _fail(str(error))
    try:
        return _show_with(reader, args)
    except LedgerError as error:
        return _fail(str(error))
    finally:
        reader.close()


def _show_with(reader: JournalReader, args: argparse.Namespace) -> int:
    if args.seq is not None or args.ticket is not None:
        record = (reader.record(args.seq) if args.seq is not None
                  else reader.ticket(args.ticket, training=args.training))
        if record is None:
            return _fail("enregistrement introuvable")
        if args.json:
            print(json.dumps(_record_dict(record), ensure_ascii=False, sort_keys=True))
        else:
            _print_record(record)
        return 0
    if args.day is not None:
        found = [c for c in reader.closures("DAY") if c.payload["period"]["from"] == args.day]
        if not found:
            return _fail(f"pas de Z pour le {args.day}")
        if args.json:
            print(json.dumps(_record_dict(found[-1]), ensure_ascii=False, sort_keys=True))
        else:
            _print_closure(found[-1])
        return 0
    return _show_summary(reader, args)


def _show_summary(reader: JournalReader, args: argparse.Namespace) -> int:
    last = reader.last_record()
    latest: dict[str, JournalRecord | None] = {level: None for level in ("DAY", "MONTH", "YEAR")}
    for level in latest:
        for closure in reader.closures(level):
            latest[level] = closure
    if args.json:
        print(json.dumps({
            "last_seq": last.seq, "last_hash": last.hash,
            "closures": {level: _record_dict(c) for level, c in latest.items() if c},
        }, ensure_ascii=False, sort_keys=True))
        return 0
    print(f"dernier enregistrement : {last.seq} ({last.rtype}, {last.created_utc},"
          f" {last.hash[:8]})")
    for latest_closure in latest.values():
        if latest_closure is not None:
            _print_closure(latest_closure)
    if not any(latest.values()):
        print("aucune clôture pour l'instant")
    return 0
