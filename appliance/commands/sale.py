"""`appliance sale`: a scripted sale, return or void through the same Till as the kiosk.

For technicians' test sales and for tests; actions apply in the order given:

    appliance sale --scan 3760000000012 --scan 3760000000029 --qty 2 --pay cash:20.00 --json
    appliance sale --training --product 14x5 --pay card:4.50
    appliance sale --return 42 --pay cash:9.00          (refund; --qty N LINE to take back less)

`--qty` sets the quantity of the line added just before it (decimals allowed: 0.250).
Without `--pay`, the whole amount is paid (or refunded) in cash. The ticket is journaled and
queued for Kafinea; `appliance sync --once` delivers it. Prints the validated ticket.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from appliance.commands import Subparsers
from appliance.commands.till_cli import UsageError, add_config_option, method_amount, open_till, run
from appliance.pos.money import InvalidQuantityText, format_amount, parse_quantity


class _Ordered(argparse.Action):
    """Keep --scan/--product/--qty in the order typed (a quantity follows its line)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        actions = getattr(namespace, "actions", None) or []
        actions.append((self.dest, values))
        namespace.actions = actions


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "sale",
        help="vente scriptée (tests, techniciens)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_option(parser)
    parser.set_defaults(actions=[])
    parser.add_argument("--scan", action=_Ordered, metavar="CODE", help="code-barres scanné")
    parser.add_argument("--product", action=_Ordered, metavar="ID", help="article par id")
    parser.add_argument("--qty", action=_Ordered, metavar="N", help="quantité de la ligne")
    parser.add_argument(
        "--pay",
        action="append",
        default=[],
        metavar="MOYEN:MONTANT",
        help="paiement, par exemple cash:20.00 (répétable)",
    )
    parser.add_argument("--seller", help="vendeur (nom exact)")
    parser.add_argument("--customer", help="compte client Kafinea (id), sinon le compte par défaut")
    parser.add_argument("--training", action="store_true", help="mode école (jamais transmis)")
    parser.add_argument("--pin", help="code responsable (mode école, annulation)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--return", dest="return_of", metavar="TICKET", help="retour d'un ticket")
    what.add_argument("--void", dest="void_of", metavar="TICKET", help="annulation d'un ticket")
    parser.add_argument("--no-print", action="store_true", help="ne pas imprimer le ticket")
    parser.add_argument("--json", action="store_true", help="le ticket validé en JSON")
    parser.set_defaults(handler=lambda args: run("sale", lambda: _sale(args)))


def _sale(args: argparse.Namespace) -> int:
    tenders = [method_amount(text) for text in args.pay]
    with open_till(args) as till:
        pin = args.pin or till_pin(args)
        if args.training:
            till.enter_training(pin or "")
        try:
            validated = _ring_up(till, args, tenders, pin)
        finally:
            if args.training:
                till.clear_ticket()
                till.leave_training(pin or "")
    print(json.dumps(as_json(validated), ensure_ascii=False) if args.json else summary(validated))
    return 0


def till_pin(args: argparse.Namespace) -> str | None:
    """The technician runs this with the configuration at hand: its PIN is theirs to use."""
    from appliance.config import default_config_path, load_config  # noqa: PLC0415

    return load_config(args.config or default_config_path()).register.manager_pin


def _ring_up(
    till: Any, args: argparse.Namespace, tenders: list[tuple[str, int]], pin: str | None
) -> Any:
    if args.seller:
        till.set_seller(args.seller)
    if args.return_of:
        view = till.start_return(args.return_of)
    elif args.void_of:
        view = till.void(args.void_of, pin)
    else:
        view = till.ticket()
    for kind, value in args.actions:
        view = _apply(till, view, kind, value)
    if args.customer:
        till.set_customer(args.customer)
    for method, cents in tenders:
        view = till.pay(method, cents)
    if not tenders:
        due = abs(view.totals.total_ttc_cents)
        if due:
            till.pay("CASH", due)
    return till.validate(print_receipt=not args.no_print)


def _apply(till: Any, view: Any, kind: str, value: str) -> Any:
    if kind == "scan":
        return till.scan(value)
    if kind == "product":
        return till.add_product(value)
    if not view.lines:
        raise UsageError("--qty sans ligne avant elle : mettez --scan ou --product d'abord")
    try:
        qty = parse_quantity(value)
    except InvalidQuantityText as error:
        raise UsageError(str(error)) from None
    return till.set_quantity(view.lines[-1].index, qty)


def as_json(validated: Any) -> dict[str, Any]:
    ticket = validated.ticket
    return {
        "number": validated.number,
        "kind": str(validated.kind.value),
        "training": validated.training,
        "issued_at": validated.issued_at,
        "lines": [
            {
                "label": line.label,
                "product_id": line.product_id,
                "quantity_milli": line.quantity_milli,
                "unit_price_cents": line.unit_price_cents,
                "total_cents": line.total_cents,
                "vat_rate_bp": line.vat_rate_bp,
            }
            for line in ticket.lines
        ],
        "totals": {
            "ttc_cents": ticket.totals.total_ttc_cents,
            "ht_cents": ticket.totals.total_ht_cents,
            "vat_cents": ticket.totals.vat_cents,
            "rounding_cents": ticket.totals.rounding_cents,
        },
        "tenders": [{"method": p.method, "amount_cents": p.amount_cents} for p in ticket.payments],
        "change_cents": validated.change_cents,
        "seller": ticket.seller,
        "printed": validated.printed,
        "print_error": validated.print_error,
    }


def summary(validated: Any) -> str:
    kind = {"sale": "ticket", "return": "retour", "void": "annulation"}[validated.kind.value]
    text = f"{kind} n° {validated.number} : {format_amount(validated.total_cents)}"
    if validated.change_cents:
        text += f", rendu {format_amount(validated.change_cents)}"
    if validated.training:
        text += " (mode école)"
    if validated.print_error:
        text += f" ; impression : {validated.print_error}"
    return text
