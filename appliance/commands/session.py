"""`appliance session open|close`: the cash session without a screen (headless tills, tests).

    appliance session open --float 150.00
    appliance session close --count cash:312.40 --count card:88.00 [--json]

Both go through the same Till as the kiosk: the float and the Z are journaled and queued for
Kafinea exactly as if a cashier had typed them.
"""

from __future__ import annotations

import argparse
import json

from appliance.commands import Subparsers
from appliance.commands.till_cli import add_config_option, amount, method_amount, open_till, run
from appliance.pos.money import format_amount


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "session",
        help="ouvrir ou clôturer la session de caisse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="session_action", metavar="ACTION", required=True)
    opening = actions.add_parser("open", help="ouvre la session avec le fond de caisse")
    add_config_option(opening)
    opening.add_argument(
        "--float",
        dest="float_amount",
        required=True,
        help="fond de caisse en euros, par exemple 150.00",
    )
    opening.set_defaults(handler=lambda args: run("session open", lambda: _open(args)))
    closing = actions.add_parser("close", help="compte la caisse et imprime le Z")
    add_config_option(closing)
    closing.add_argument(
        "--count",
        action="append",
        default=[],
        metavar="MOYEN:MONTANT",
        help="montant compté par moyen de paiement (répétable)",
    )
    closing.add_argument("--json", action="store_true", help="le Z en JSON")
    closing.set_defaults(handler=lambda args: run("session close", lambda: _close(args)))


def _open(args: argparse.Namespace) -> int:
    cents = amount(args.float_amount)
    with open_till(args) as till:
        session = till.open_session(cents)
    print(f"session ouverte, fond de caisse {format_amount(session.float_cents)}")
    return 0


def _close(args: argparse.Namespace) -> int:
    counted: dict[str, int] = {}
    for text in args.count:
        method, cents = method_amount(text)
        counted[method] = counted.get(method, 0) + cents
    with open_till(args) as till:
        z = till.close_session(counted)
    methods = [
        {
            "method": m.method,
            "label": m.label,
            "expected_cents": m.expected_cents,
            "counted_cents": m.counted_cents,
            "difference_cents": m.difference_cents,
        }
        for m in z.methods
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "z": z.number,
                    "tickets": z.ticket_count,
                    "sales_cents": z.sales_total_cents,
                    "returns_cents": z.returns_total_cents,
                    "methods": methods,
                },
                ensure_ascii=False,
            )
        )
    else:
        if z.number:
            print(f"Z n° {z.number} : {tickets_text(z.ticket_count)}")
        else:
            print("session clôturée : aucun ticket, pas de Z du jour")
        for m in z.methods:
            gap = m.difference_cents or 0
            print(
                f"  {m.label} : attendu {format_amount(m.expected_cents)}, compté"
                f" {format_amount(m.counted_cents or 0)}, écart {'+' if gap > 0 else ''}"
                f"{format_amount(gap)}"
            )
    return 0


def tickets_text(count: int) -> str:
    """French plural: "0 ticket", "1 ticket", "2 tickets" (French keeps 0 singular)."""
    return f"{count} ticket" if count < 2 else f"{count} tickets"
