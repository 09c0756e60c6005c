"""What the till sends to Kafinea for each journaled document: pure functions, no I/O.

A sale becomes a draft Invoice; a return or a void a draft credit note linked to the original
ticket's invoice (or, on an instance without a credit-note module, an invoice with the status
"Credit Invoice"); each tender a Payment (or, without a payments module, the received amount
on the invoice itself); a cash movement a cash transaction; a Z a cash transaction for the cash
discrepancy. `appliance.kafinea.steps` decides in which order they are sent.

Totals. The server recomputes an inventory document's totals from its lines without rounding
(individual tax mode: each line's net plus its own tax, then the adjustment). The till keeps
its own cents (VAT per rate on the ticket, `appliance.pos.tax`), so the two differ by
fractions of a cent. Each line is sent at its exact pre-tax total when the quantity allows it,
the server's figure is predicted with the very formula it uses (`inventory_lines`), and the
difference (plus any cash rounding) goes in `txtAdjustment`, so the grand total equals what
the customer paid to the cent.

Amounts cross this boundary as integer cents (the till's) or Decimal strings with 8 decimals
(the server's); never as floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from appliance.pos.references import payment_ref

CENT = Decimal("0.01")
EIGHT = Decimal("0.00000001")
MILLI = Decimal(1000)
BASIS = Decimal(10_000)


# --------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Targets:
    """Module and field names on the instance (from the schema map; defaults: the sandbox).

    `payment_module` None: the instance has no payments module, the invoice records the
    received amount and the paid status instead. `cash_module` None: no cash transactions.
    """

    invoice_module: str = "Invoice"
    invoice_ref_field: str = "cf_ticket_ref"
    invoice_register_field: str = "cf_cashregister_id"
    invoice_seller_field: str = "cf_seller"
    invoice_status_field: str = "invoicestatus"
    invoice_draft_status: str = "Created"
    invoice_final_status: str = "Approved"
    invoice_paid_status: str = "Paid"
    invoice_received_field: str = "received"
    invoice_credit_status: str = "Credit Invoice"
    credit_module: str = "CreditNotes"
    credit_ref_field: str = "cf_ticket_ref"
    credit_register_field: str = "cf_cashregister_id"
    credit_invoice_field: str = "invoice_id"
    credit_status_field: str = "creditnote_status"
    credit_date_field: str = "creditnote_date"
    credit_draft_status: str = "Created"
    credit_final_status: str = "Approved"
    payment_module: str | None = "Payments"
    payment_amount_field: str = "amount"
    payment_date_field: str = "payment_date"
    payment_method_field: str = "payment_method"
    payment_related_field: str = "related_to"
    payment_account_field: str = "account_id"
    payment_register_field: str = "cf_cashregister_id"
    payment_ref_field: str = "reference"
    payment_status_field: str = "payment_status"
    payment_final_status: str = "Validé"
    cash_module: str | None = "CashTransactions"
    cash_register_field: str = "cashregister_id"
    cash_amount_field: str = "amount"
    cash_type_field: str = "transaction_type"
    cash_date_field: str = "transaction_date"
    cash_description_field: str = "description"
    cash_types: Mapping[str, str] = field(
        default_factory=lambda: {
            "float": "Fond de caisse",
            "in": "Fond de caisse",
            "out": "Retrait",
            "gain": "Encaissement",
            "loss": "Retrait",
        }
    )
    register_module: str = "CashRegisters"
    register_status_field: str = "cashregister_status"
    register_balance_field: str = "cash_balance"
    register_open_value: str = "Ouverte"
    register_closed_value: str = "Fermée"
    method_values: Mapping[str, str] = field(
        default_factory=lambda: {
            "CASH": "Espèces",
            "CARD": "Carte bancaire",
            "CHEQUE": "Chèque",
            "TRANSFER": "Virement",
            "CREDIT_NOTE": "Avoir",
        }
    )


@dataclass(frozen=True)
class Context:
    """What every record of this register carries (from the register record and login)."""

    register_id: str  # Kafinea id of the register record
    register_code: str  # short name used in references: "C1"
    default_account_id: str
    user_id: str = ""  # the technical user (assigned_user_id); empty: the server's default
    street: str = "Vente au comptoir"  # bill/ship street (both mandatory on invoices)
    tax_keys: Mapping[int, str] = field(default_factory=dict)  # 2000 -> "tax1"


# --------------------------------------------------------------------------- amounts


def euros(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def to_cents(amount: Decimal) -> int:
    """A Kafinea decimal amount in integer cents, half up (how Kafinea rounds its totals)."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decimal_of(value: Any) -> Decimal:
    """A server amount (JSON number, "12.40000000", "" or None) as a Decimal."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"montant illisible dans la réponse de Kafinea : {value!r}") from None


def same_cents(server: Decimal, cents: int) -> bool:
    return server.quantize(CENT) == Decimal(cents) / 100


@dataclass(frozen=True)
class InventoryLines:
    """Lines of an invoice or credit note and the server's total they will produce."""

    lines: tuple[dict[str, str], ...]
    server_total: Decimal  # the server's grand total with a zero adjustment


def inventory_lines(payload: Mapping[str, Any], ctx: Context) -> InventoryLines:
    """LineItems for a TICKET payload (quantities positive: a credit note's lines too)."""
    ht_mode = payload.get("price_mode") == "HT"
    lines = []
    total = Decimal(0)
    for line in payload["lines"]:
        qty = Decimal(abs(line["qty_milli"])) / MILLI
        net_ht = Decimal(abs(line["total_ht"])) / 100
        rate = Decimal(line["vat_bp"]) / BASIS
        unit = Decimal(line["unit_price"]) / 100
        unit_ht = unit if ht_mode else (unit / (1 + rate)).quantize(EIGHT)
        exact = (net_ht / qty).quantize(EIGHT)
        discounted = line["line_discount"] != 0 or line["ticket_discount"] != 0
        element = {
            "productid": line["product_id"],
            "quantity": f"{qty:.3f}",
            "comment": line["label"],
        }
        if discounted:
            discount = (unit_ht * qty - net_ht).quantize(EIGHT)  # the server keeps 8 decimals
            element["listprice"] = f"{unit_ht:.8f}"
            element["discount_amount"] = f"{discount:.8f}"
            net = unit_ht * qty - discount
        elif exact * qty == net_ht:
            element["listprice"] = f"{exact:.8f}"
            net = net_ht
        else:
            element["listprice"] = f"{unit_ht:.8f}"
            net = unit_ht * qty
        key = ctx.tax_keys.get(line["vat_bp"])
        if key:
            element[key] = f"{Decimal(line['vat_bp']) / 100:.3f}"
        lines.append(element)
        total += net + net * rate
    return InventoryLines(tuple(lines), total)


def paid_cents(payload: Mapping[str, Any]) -> int:
    """What the customer paid (or got back): total plus cash rounding, unsigned."""
    return abs(int(payload["total_ttc"]) + int(payload.get("rounding", 0)))


def tender_amounts(payload: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(method, unsigned cents) per tender, the change taken off the cash tenders (last first)."""
    amounts = [[item["method"], abs(item["amount"])] for item in payload["payments"]]
    change = abs(payload.get("change", 0))
    for item in reversed(amounts):
        if change and item[0] == "CASH":
            taken = min(change, item[1])
            item[1] -= taken
            change -= taken
    return [(method, cents) for method, cents in amounts if cents]


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Document:
    """One outbox row as the mapping reads it: kind, reference, payload, local facts."""

    kind: str  # "ticket", "cash", "closure" (appliance.ledger.outbox.Kind values)
    ref: str
    payload: Mapping[str, Any]
    date: str  # local date of the document, "2026-11-28"
    journal_seq: int | None = None
    journal_hash: str = ""
    number: int = 0  # ticket or Z number, for the subject
    origin_ref: str = ""  # a return or void: the reference of the original ticket


def is_refund(doc: Document) -> bool:
    return doc.kind == "ticket" and doc.payload.get("kind") in ("RETURN", "VOID")


def _fiscal_text(doc: Document, ctx: Context) -> str:
    text = f"Ticket {doc.number} de la caisse {ctx.register_code} ({doc.ref})"
    if doc.journal_seq is not None:
        text += f", journal n° {doc.journal_seq}"
    if doc.journal_hash:
        text += f", empreinte {doc.journal_hash[:16]}"
    return text


def _refund_kind(doc: Document) -> str:
    return "Annulation" if doc.payload.get("kind") == "VOID" else "Retour"


def _refund_text(doc: Document, ctx: Context) -> str:
    """A credit's description: what it undoes first, then its own fiscal trace."""
    return f"{_refund_kind(doc)} du ticket {doc.origin_ref}. " + _fiscal_text(doc, ctx)


def _account(doc: Document, ctx: Context) -> str:
    customer = doc.payload.get("customer")
    return customer["id"] if customer else ctx.default_account_id


def _owned(element: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The element assigned to the technical user, when the login named one."""
    if ctx.user_id:
        element["assigned_user_id"] = ctx.user_id
    return element


def _inventory(doc: Document, ctx: Context) -> tuple[dict[str, Any], Decimal]:
    """The lines part of an invoice or credit note, and the adjustment it carries."""
    lines = inventory_lines(doc.payload, ctx)
    adjustment = Decimal(paid_cents(doc.payload)) / 100 - lines.server_total
    part = {
        "hdnTaxType": "individual",
        "productid": lines.lines[0]["productid"],
        "LineItems": list(lines.lines),
        "txtAdjustment": f"{adjustment:.8f}",
    }
    return part, adjustment


def invoice_element(
    doc: Document, ctx: Context, targets: Targets
) -> tuple[dict[str, Any], Decimal]:
    """The draft Invoice of a sale and its adjustment (already included in the element)."""
    inventory, adjustment = _inventory(doc, ctx)
    element: dict[str, Any] = {
        "subject": f"Ticket {doc.number} - caisse {ctx.register_code}",
        "account_id": _account(doc, ctx),
        "invoicedate": doc.date,
        targets.invoice_status_field: targets.invoice_draft_status,
        "bill_street": ctx.street,
        "ship_street": ctx.street,
        **inventory,
        "description": _fiscal_text(doc, ctx),
        targets.invoice_ref_field: doc.ref,
        targets.invoice_register_field: ctx.register_id,
    }
    seller = doc.payload.get("seller")
    if seller:
        element[targets.invoice_seller_field] = seller.get("name") or seller["id"]
    return _owned(element, ctx), adjustment


def credit_note_element(
    doc: Document, ctx: Context, targets: Targets, original_invoice_id: str
) -> tuple[dict[str, Any], Decimal]:
    """The draft credit note of a return or void, linked to the original invoice."""
    inventory, adjustment = _inventory(doc, ctx)
    element: dict[str, Any] = {
        "subject": f"{_refund_kind(doc)} ticket {doc.number} - caisse {ctx.register_code}",
        "account_id": _account(doc, ctx),
        targets.credit_date_field: doc.date,
        targets.credit_status_field: targets.credit_draft_status,
        targets.credit_invoice_field: original_invoice_id,
        **inventory,
        "description": _refund_text(doc, ctx),
        targets.credit_ref_field: doc.ref,
        targets.credit_register_field: ctx.register_id,
    }
    return _owned(element, ctx), adjustment


def credit_invoice_element(
    doc: Document, ctx: Context, targets: Targets
) -> tuple[dict[str, Any], Decimal]:
    """A return or void as an invoice (positive amounts) when there is no credit-note module."""
    element, adjustment = invoice_element(doc, ctx, targets)
    kind = _refund_kind(doc).lower()
    element["subject"] = f"Avoir : {kind} ticket {doc.number} - caisse {ctx.register_code}"
    element["description"] = _refund_text(doc, ctx)
    return element, adjustment


def payment_element(
    doc: Document, ctx: Context, targets: Targets, index: int, related_id: str
) -> dict[str, Any]:
    method, cents = tender_amounts(doc.payload)[index]
    signed = -cents if is_refund(doc) else cents
    element: dict[str, Any] = {
        targets.payment_amount_field: euros(signed),
        targets.payment_date_field: doc.date,
        targets.payment_method_field: targets.method_values.get(method, method),
        targets.payment_related_field: related_id,
        targets.payment_account_field: _account(doc, ctx),
        targets.payment_register_field: ctx.register_id,
        targets.payment_ref_field: payment_ref(doc.ref, index),
        targets.payment_status_field: targets.payment_final_status,
        "description": ("Remboursement " if is_refund(doc) else "Paiement ")
        + f"ticket {doc.number} ({doc.ref})",
    }
    return _owned(element, ctx)


def cash_description(ref: str, text: str) -> str:
    """The reference first: a cash transaction has no reference field, lookups use LIKE."""
    return f"{ref} {text}"


def cash_element(
    ctx: Context, targets: Targets, *, ref: str, kind: str, cents: int, when: str, text: str
) -> dict[str, Any]:
    element: dict[str, Any] = {
        targets.cash_register_field: ctx.register_id,
        targets.cash_amount_field: euros(cents),
        targets.cash_type_field: targets.cash_types[kind],
        targets.cash_date_field: when,
        targets.cash_description_field: cash_description(ref, text),
    }
    return _owned(element, ctx)
