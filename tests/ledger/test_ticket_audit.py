"""`chain.ticket_audit`: every arithmetic rule of a TICKET refused with its own reason, and the
sums a valid ticket adds to its DAY read in the same pass."""

import pytest

from appliance.ledger import chain
from appliance.pos.fiscal import ticket_payload
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import Ticket

from .journal_support import Clock


def _ticket() -> dict:
    """Two VAT rates, a removed line, card plus cash with change and 0.05 cash rounding."""
    clock = Clock()
    ticket = (Ticket.open(clock())
              .add_line("P1", "Savon", 2000, 450, 2000)
              .add_line("P2", "Pain", 1000, 322, 550)
              .add_line("P3", "Thé", 1000, 990, 550))
    ticket = ticket.remove_line(3, clock(), "erreur")
    return ticket_payload(validate(ticket, [Tender("CARD", 600), Tender("CASH", 1000)], clock(),
                                   CashRounding.FIVE_CENTS))


def test_a_valid_ticket_gives_its_day_sums():
    payload = _ticket()
    problem, sums = chain.ticket_audit(payload)
    assert problem is None
    counter, removed, ttc, ht, vat, rounding, vat_rows, payments = sums
    assert (counter, removed, ttc) == ("sales", 1, 900 + 322)
    assert ht + vat == ttc and rounding == payload["rounding"] != 0
    assert sorted(row[0] for row in vat_rows) == [550, 2000]
    assert sum(row[3] for row in vat_rows) == ttc
    change = payload["change"]
    assert change > 0 and payments == (("CARD", 600), ("CASH", 1000), ("CASH", -change))
    assert chain.ticket_sums(payload) == sums and chain.ticket_problem(payload) is None


def _line(payload, **changes):
    payload["lines"][0].update(changes)


@pytest.mark.parametrize(("tamper", "reason"), [
    (lambda p: _line(p, total_vat=p["lines"][0]["total_vat"] + 1),
     "ligne 1 : HT + TVA différent du TTC"),
    (lambda p: _line(p, gross=p["lines"][0]["gross"] + 1), "ligne 1 : montant après remises"),
    (lambda p: p["vat"].pop(), "les lignes de TVA ne correspondent pas aux taux des lignes"),
    (lambda p: p["vat"].append(dict(p["vat"][0])), "les lignes de TVA ne correspondent pas"),
    (lambda p: p["vat"][0].update(ttc=p["vat"][0]["ttc"] + 1), "différente de la somme"),
    (lambda p: [_line(p, total_vat=p["lines"][0]["total_vat"] + 1,
                      total_ht=p["lines"][0]["total_ht"] - 1),
                p["vat"][[r["vat_bp"] for r in p["vat"]].index(2000)].update(
                    base_ht=p["lines"][0]["total_ht"],
                    vat=p["lines"][0]["total_vat"])],
     "ne suit pas la règle d'arrondi"),
    (lambda p: p.update(total_ht=p["total_ht"] + 1),
     "les totaux du ticket diffèrent des lignes de TVA"),
    (lambda p: p["payments"][0].update(amount=p["payments"][0]["amount"] + 1),
     "les paiements ne soldent pas le total"),
    (lambda p: p.update(change=p["change"] + 1), "les paiements ne soldent pas le total"),
    (lambda p: p.update(line_count=3), "line_count diffère du nombre de lignes"),
    (lambda p: p.update(kind="GIFT"), "ticket mal formé : KeyError('GIFT')"),
    (lambda p: p.pop("payments"), "ticket mal formé : KeyError('payments')"),
    (lambda p: p.update(lines=None), "ticket mal formé : TypeError"),
])
def test_each_rule_is_refused_with_its_reason(tamper, reason):
    payload = _ticket()
    tamper(payload)
    problem, sums = chain.ticket_audit(payload)
    assert sums is None and reason in problem
    with pytest.raises(ValueError, match="ticket incohérent"):
        chain.ticket_sums(payload)
