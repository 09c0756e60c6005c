"""Printable documents built from journal records: the Z report of a CLOSURE, fiscal lines.

The Z printed for the shop and the accountant is built from the signed CLOSURE record itself,
not from figures recomputed on the side, so paper and journal cannot disagree. Renderers get
a `pos.receipt.Report` like any other document.
"""

from __future__ import annotations

from appliance.ledger.journal import JournalRecord
from appliance.pos.document import METHOD_LABELS, method_label
from appliance.pos.receipt import Report, ReportRow, ReportSection, ShopIdentity

LEVEL_TITLES = {"DAY": "RAPPORT Z JOURNALIER", "MONTH": "RAPPORT Z MENSUEL",
                "YEAR": "RAPPORT Z ANNUEL (EXERCICE)"}


def fiscal_lines(record: JournalRecord, software: str) -> tuple[str, ...]:
    """The receipt's fiscal block: journal number and hash excerpt, software and version."""
    series = "X-" if record.training else ""
    return (
        f"{record.rtype.capitalize()} n° {series}{record.type_seq} · journal n° {record.seq}"
        f" · empreinte {record.excerpt}",
        software,
    )


def closure_report(record: JournalRecord, *, shop: ShopIdentity, register_name: str,
                   issued_at: str, software: str) -> Report:
    """The Z report of a CLOSURE record (day, month or fiscal year)."""
    p = record.payload
    counts, totals, gt = p["counts"], p["totals"], p["gt"]
    period = (p["period"]["from"] if p["period"]["from"] == p["period"]["to"]
              else f"{p['period']['from']} au {p['period']['to']}")
    sections = [
        ReportSection(f"Période : {period}", (
            ReportRow("Z n°", value=str(p["no"])),
            ReportRow("Tickets", value=str(counts["tickets"])),
            ReportRow("Ventes", value=str(counts["sales"])),
            ReportRow("Retours", value=str(counts["returns"])),
            ReportRow("Annulations", value=str(counts["voids"])),
            ReportRow("Duplicatas", value=str(counts["duplicates"])),
            ReportRow("Lignes supprimées", value=str(counts["removed_lines"])),
            ReportRow("Tickets école (hors totaux)", value=str(counts["training_tickets"])),
        )),
        ReportSection("Totaux", (
            ReportRow("Ventes TTC", totals["sales_ttc"]),
            ReportRow("Retours TTC", -totals["returns_ttc_abs"]),
            ReportRow("Net HT", totals["net_ht"]),
            ReportRow("Net TVA", totals["net_vat"]),
            ReportRow("Net TTC", totals["net_ttc"]),
            ReportRow("Arrondis espèces", totals["rounding"]),
        )),
        ReportSection("TVA", tuple(
            row
            for rate in p["vat"]
            for row in (ReportRow(f"Base HT {rate['vat_bp'] / 100:g} %", rate["base_ht"]),
                        ReportRow(f"TVA {rate['vat_bp'] / 100:g} %", rate["vat"]))
        )),
        ReportSection("Moyens de paiement", tuple(
            ReportRow(method_label(item["method"], METHOD_LABELS), item["amount"])
            for item in p["payments"]
        )),
        ReportSection("Grands totaux", (
            ReportRow("Total de la période", gt["period_net"]),
            ReportRow(f"Cumul exercice {p['fiscal_year']}", gt["fiscal_year_net"]),
            ReportRow("Grand total perpétuel", gt["perpetual_net"]),
            ReportRow("Grand total perpétuel absolu", gt["perpetual_abs"]),
        )),
    ]
    if "cash_count" in p:
        sections.append(ReportSection("Comptage", tuple(
            ReportRow(key, amount) for key, amount in sorted(p["cash_count"].items())
            if isinstance(amount, int)
        )))
    return Report(
        shop=shop,
        title=LEVEL_TITLES[p["level"]],
        register_name=register_name,
        issued_at=issued_at,
        sections=tuple(sections),
        fiscal_lines=fiscal_lines(record, software),
    )
