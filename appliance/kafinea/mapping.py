"""From journaled documents to Kafinea records, and what to do next for each: pure functions.

Two questions, answered without any I/O (cosmicpython's `determine_actions`):

1. *What to send.* A ticket becomes an Invoice (a return or a void a credit note linked to
   the original invoice), its tenders Payments, a cash movement a cash transaction, a Z a cash
   transaction for the cash discrepancy plus the register's closing state.
2. *What to do next* for one outbox row, given the progress recorded so far: look a reference
   up (an earlier create whose outcome is unknown), create, correct, finalise, or stop.
   `next_step` returns one `Step`; the sync worker performs it and records the answer with
   `record`, then asks again. Because every create is preceded by an *intent* in the
   progress, and an intent without an id is always looked up before creating again, a record
   is never created twice, whatever fails and wherever the process is killed.

Totals. The server recomputes an inventory document's totals from its lines without rounding
(individual tax mode: each line's net plus its own tax, then the adjustment). The till keeps
its own cents (VAT per rate on the ticket, `appliance.pos.tax`), so the two differ by
fractions of a cent. We send each line at its exact pre-tax total when the quantity allows it,
predict the server's figure with the very formula it uses, and put the difference (plus any
cash rounding) in `txtAdjustment`, so the grand total equals what the customer paid to the
cent. The invoice is created as a draft; if the server's total disagrees anyway (another tax
rate on the product in Kafinea, a server rounding to whole units) one revise corrects the
adjustment; finalising (which locks it) comes only after the total is right, and the answer
of that finalising revise is the read-back check. A difference that survives is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from appliance.pos.money import format_amount
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
    return abs(payload["total_ttc"] + payload.get("rounding", 0))


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
    """One outbox row seen by the mapping: kind, reference, payload, local facts."""

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


def _account(doc: Document, ctx: Context) -> str:
    customer = doc.payload.get("customer")
    return customer["id"] if customer else ctx.default_account_id


def invoice_element(
    doc: Document, ctx: Context, targets: Targets
) -> tuple[dict[str, Any], Decimal]:
    """The draft Invoice of a sale and its adjustment (already included in the element)."""
    lines = inventory_lines(doc.payload, ctx)
    adjustment = Decimal(paid_cents(doc.payload)) / 100 - lines.server_total
    element: dict[str, Any] = {
        "subject": f"Ticket {doc.number} - caisse {ctx.register_code}",
        "account_id": _account(doc, ctx),
        "invoicedate": doc.date,
        targets.invoice_status_field: targets.invoice_draft_status,
        "bill_street": ctx.street,
        "ship_street": ctx.street,
        "hdnTaxType": "individual",
        "productid": lines.lines[0]["productid"],
        "LineItems": list(lines.lines),
        "txtAdjustment": f"{adjustment:.8f}",
        "description": _fiscal_text(doc, ctx),
        targets.invoice_ref_field: doc.ref,
        targets.invoice_register_field: ctx.register_id,
    }
    seller = doc.payload.get("seller")
    if seller:
        element[targets.invoice_seller_field] = seller.get("name") or seller["id"]
    if ctx.user_id:
        element["assigned_user_id"] = ctx.user_id
    return element, adjustment


def credit_note_element(
    doc: Document, ctx: Context, targets: Targets, original_invoice_id: str
) -> tuple[dict[str, Any], Decimal]:
    """The draft credit note of a return or void, linked to the original invoice."""
    lines = inventory_lines(doc.payload, ctx)
    adjustment = Decimal(paid_cents(doc.payload)) / 100 - lines.server_total
    kind = "Annulation" if doc.payload.get("kind") == "VOID" else "Retour"
    element: dict[str, Any] = {
        "subject": f"{kind} ticket {doc.number} - caisse {ctx.register_code}",
        "account_id": _account(doc, ctx),
        targets.credit_date_field: doc.date,
        targets.credit_status_field: targets.credit_draft_status,
        targets.credit_invoice_field: original_invoice_id,
        "hdnTaxType": "individual",
        "productid": lines.lines[0]["productid"],
        "LineItems": list(lines.lines),
        "txtAdjustment": f"{adjustment:.8f}",
        "description": f"{kind} du ticket {doc.origin_ref}. " + _fiscal_text(doc, ctx),
        targets.credit_ref_field: doc.ref,
        targets.credit_register_field: ctx.register_id,
    }
    if ctx.user_id:
        element["assigned_user_id"] = ctx.user_id
    return element, adjustment


def credit_invoice_element(
    doc: Document, ctx: Context, targets: Targets
) -> tuple[dict[str, Any], Decimal]:
    """A return or void as an invoice (positive amounts) when there is no credit-note module."""
    element, adjustment = invoice_element(doc, ctx, targets)
    kind = "Annulation" if doc.payload.get("kind") == "VOID" else "Retour"
    element["subject"] = f"Avoir : {kind.lower()} ticket {doc.number} - caisse {ctx.register_code}"
    element["description"] = f"{kind} du ticket {doc.origin_ref}. " + _fiscal_text(doc, ctx)
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
    if ctx.user_id:
        element["assigned_user_id"] = ctx.user_id
    return element


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
    if ctx.user_id:
        element["assigned_user_id"] = ctx.user_id
    return element


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Lookup:
    """Find a record by its reference (an earlier create's outcome is unknown)."""

    key: str
    module: str
    field: str
    value: str
    fields: tuple[str, ...] = ("id",)  # what to select (never * on inventory modules)
    like: bool = False  # match `value` as a prefix (cash transactions: reference + text)
    required: bool = False  # not found is final (the original invoice of a return)


@dataclass(frozen=True)
class Create:
    key: str
    module: str
    element: dict[str, Any]
    extra: Mapping[str, str] = field(default_factory=dict)  # kept beside the id in progress


@dataclass(frozen=True)
class Revise:
    """Set absolute values on a record. `guarded`: it locks the record (finalising), so an
    intent is saved first and an unknown outcome is checked with a `Retrieve`, never resent
    blindly (a locked record refuses any second revise)."""

    key: str
    element: dict[str, Any]  # with "id"
    guarded: bool = False


@dataclass(frozen=True)
class Retrieve:
    """Read a record back to learn whether a guarded revise took effect."""

    key: str
    record_id: str
    expect_field: str
    expect_value: str


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Fail:
    """Kafinea cannot take this document as it is: the errors list, with the reason."""

    reason: str


Step = Lookup | Create | Revise | Retrieve | Done | Fail
Progress = Mapping[str, Any]


def record(progress: Progress, step: Step, answer: Mapping[str, Any] | None) -> dict[str, Any]:
    """The progress after `step` was performed and answered `answer` (pure).

    A lookup that found nothing clears the intent, so the next step is the create; one that
    found a record stores it as if the create had answered. A retrieve that shows the revise
    did not happen clears its intent, so the revise is sent again.
    """
    updated = dict(progress)
    if isinstance(step, Lookup):
        if answer is not None:
            updated[step.key] = _stored(answer, {})
        elif step.required:
            updated[step.key] = {"missing": True}
        else:
            updated.pop(step.key, None)
    elif isinstance(step, Retrieve):
        if answer is not None and str(answer.get(step.expect_field)) == step.expect_value:
            updated[step.key] = _stored(answer, {})
        else:
            updated.pop(step.key, None)
    elif isinstance(step, Create | Revise):
        assert answer is not None
        updated[step.key] = _stored(answer, getattr(step, "extra", {}))
    return updated


def intent(progress: Progress, step: Create | Revise, attempt: int) -> dict[str, Any]:
    """The progress to save *before* sending `step`: "a create may be under way"."""
    return {**progress, step.key: {"intent": attempt, **getattr(step, "extra", {})}}


def for_retry(progress: Progress) -> dict[str, Any]:
    """Progress kept for a manual retry: ids stay, "not found" verdicts are forgotten."""
    return {
        key: value
        for key, value in progress.items()
        if not (isinstance(value, Mapping) and value.get("missing"))
    }


def _stored(answer: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, Any]:
    stored: dict[str, Any] = {"id": str(answer["id"]), **extra}
    if "hdnGrandTotal" in answer:
        stored["total"] = f"{decimal_of(answer['hdnGrandTotal']):.8f}"
    if "txtAdjustment" in answer and "adjustment" not in stored:
        stored["adjustment"] = f"{decimal_of(answer['txtAdjustment']):.8f}"
    for name, value in answer.items():
        if name.endswith("status") and isinstance(value, str):
            stored["status"] = value
    return stored


def _id(progress: Progress, key: str) -> str | None:
    entry = progress.get(key)
    return entry.get("id") if isinstance(entry, Mapping) else None


def _pending_create(progress: Progress, key: str) -> bool:
    entry = progress.get(key)
    return isinstance(entry, Mapping) and "intent" in entry and "id" not in entry


def next_step(
    doc: Document,
    progress: Progress,
    ctx: Context,
    targets: Targets,
    origin_invoice_id: str | None = None,
) -> Step:
    """The one thing to do next for `doc`, given what is already done (see module docstring).

    `origin_invoice_id`: for a return or void, the original ticket's invoice id when the
    local outbox knows it (else it is looked up in Kafinea by reference).
    """
    if doc.kind == "ticket":
        if doc.payload.get("training"):
            return Fail("ticket école : jamais transmis à Kafinea")
        if not doc.payload.get("lines"):
            return Fail("ticket sans ligne : rien à facturer")
        if is_refund(doc):
            return _refund_step(doc, progress, ctx, targets, origin_invoice_id)
        return _sale_step(doc, progress, ctx, targets)
    decide = _OTHER_KINDS.get(doc.kind)
    if decide is None:
        return Fail(f"document inconnu : {doc.kind}")
    return decide(doc, progress, ctx, targets)


def _sale_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    element, adjustment = invoice_element(doc, ctx, targets)
    document = _document_steps(
        doc,
        progress,
        key="invoice",
        module=targets.invoice_module,
        ref_field=targets.invoice_ref_field,
        element=element,
        adjustment=adjustment,
        final=_invoice_final(doc, targets),
        status_field=targets.invoice_status_field,
    )
    if document is not None:
        return document
    return _payments_step(doc, progress, ctx, targets, _id(progress, "invoice") or "")


def _invoice_final(doc: Document, targets: Targets) -> dict[str, Any]:
    if targets.payment_module is None:
        return {
            targets.invoice_status_field: targets.invoice_paid_status,
            targets.invoice_received_field: euros(paid_cents(doc.payload)),
        }
    return {targets.invoice_status_field: targets.invoice_final_status}


def _refund_step(
    doc: Document,
    progress: Progress,
    ctx: Context,
    targets: Targets,
    origin_invoice_id: str | None,
) -> Step:
    origin = _id(progress, "origin") or origin_invoice_id
    if origin is None:
        if progress.get("origin", {}).get("missing"):
            return Fail(f"facture du ticket d'origine {doc.origin_ref} introuvable dans Kafinea")
        return Lookup(
            "origin",
            targets.invoice_module,
            targets.invoice_ref_field,
            doc.origin_ref,
            required=True,
        )
    if targets.credit_module:
        element, adjustment = credit_note_element(doc, ctx, targets, origin)
        module, ref_field = targets.credit_module, targets.credit_ref_field
        status_field, final_status = targets.credit_status_field, targets.credit_final_status
    else:  # no credit-note module: vtiger's convention, an invoice marked "Credit Invoice"
        element, adjustment = credit_invoice_element(doc, ctx, targets)
        module, ref_field = targets.invoice_module, targets.invoice_ref_field
        status_field, final_status = targets.invoice_status_field, targets.invoice_credit_status
    document = _document_steps(
        doc,
        progress,
        key="credit",
        module=module,
        ref_field=ref_field,
        element=element,
        adjustment=adjustment,
        final={status_field: final_status},
        status_field=status_field,
    )
    if document is not None:
        return document
    return _payments_step(doc, progress, ctx, targets, _id(progress, "credit") or "")


def _document_steps(
    doc: Document,
    progress: Progress,
    *,
    key: str,
    module: str,
    ref_field: str,
    element: dict[str, Any],
    adjustment: Decimal,
    final: dict[str, Any],
    status_field: str,
) -> Step | None:
    """Create the draft, correct its total once if needed, finalise; None when all done."""
    record_id = _id(progress, key)
    if record_id is None:
        if _pending_create(progress, key):
            fields = ("id", "hdnGrandTotal", "txtAdjustment", status_field)
            return Lookup(key, module, ref_field, doc.ref, fields)
        return Create(key, module, element, {"adjustment": f"{adjustment:.8f}"})
    expected = paid_cents(doc.payload)
    entry = progress[key]
    final_key, final_status = key + "_final", str(final[status_field])
    done = progress.get(final_key)
    if done is None and entry.get("status") == final_status:
        done = entry  # found by a lookup: it was finalised before the crash
    if done is None:
        return _fix_or_finalise(progress, key, module, record_id, expected=expected, final=final)
    if "id" not in done:  # an intent: the finalising revise may have happened
        return Retrieve(final_key, record_id, status_field, final_status)
    if not same_cents(decimal_of(done.get("total")), expected):
        return Fail(_mismatch(module, record_id, done.get("total"), expected))
    return None


def _fix_or_finalise(
    progress: Progress,
    key: str,
    module: str,
    record_id: str,
    *,
    expected: int,
    final: dict[str, Any],
) -> Step:
    """Correct the adjustment once when the server's total differs, else finalise."""
    fix = progress.get(key + "_fix")
    latest = fix if fix is not None else progress[key]
    server_total = decimal_of(latest.get("total"))
    if same_cents(server_total, expected):
        return Revise(key + "_final", {"id": record_id, **final}, guarded=True)
    if fix is not None:
        return Fail(_mismatch(module, record_id, latest.get("total"), expected))
    current = decimal_of(progress[key].get("adjustment"))
    corrected = current + Decimal(expected) / 100 - server_total
    return Revise(key + "_fix", {"id": record_id, "txtAdjustment": f"{corrected:.8f}"})


def _mismatch(module: str, record_id: str, server: Any, expected: int) -> str:
    found = format_amount(to_cents(decimal_of(server)))
    return (
        f"total de {module} {record_id} dans Kafinea ({found}) différent du ticket"
        f" ({format_amount(expected)}) malgré l'ajustement : à corriger dans Kafinea"
    )


def _payments_step(
    doc: Document, progress: Progress, ctx: Context, targets: Targets, related_id: str
) -> Step:
    if targets.payment_module is None:
        return Done()
    for index in range(len(tender_amounts(doc.payload))):
        key = f"payment.{index}"
        if _id(progress, key) is not None:
            continue
        if _pending_create(progress, key):
            return Lookup(
                key, targets.payment_module, targets.payment_ref_field, payment_ref(doc.ref, index)
            )
        return Create(
            key, targets.payment_module, payment_element(doc, ctx, targets, index, related_id)
        )
    return Done()


def _cash_create(
    progress: Progress, targets: Targets, key: str, element_of: Any, ref: str
) -> Step | None:
    """Create (or look up) one cash transaction; None when already there."""
    assert targets.cash_module is not None
    if _id(progress, key) is not None:
        return None
    if _pending_create(progress, key):
        return Lookup(
            key, targets.cash_module, targets.cash_description_field, ref + " ", like=True
        )
    return Create(key, targets.cash_module, element_of())


def _cash_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    """A float, cash in or cash out: one cash transaction (+ the register opened, for a float)."""
    payload = doc.payload
    kind = payload["kind"]
    if targets.cash_module is not None:
        step = _cash_create(
            progress,
            targets,
            "cash",
            lambda: cash_element(
                ctx,
                targets,
                ref=doc.ref,
                kind=kind,
                cents=payload["amount"] if kind != "out" else -payload["amount"],
                when=payload["at"],
                text=payload.get("reason", ""),
            ),
            doc.ref,
        )
        if step is not None:
            return step
    if kind == "float" and "register" not in progress:
        return Revise(
            "register",
            {
                "id": ctx.register_id,
                targets.register_status_field: targets.register_open_value,
                targets.register_balance_field: euros(payload["amount"]),
            },
        )
    return Done()


def _closure_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    """A Z: the cash discrepancy as a cash transaction, then the register closed."""
    payload = doc.payload
    discrepancy = payload.get("cash_discrepancy", 0)
    if targets.cash_module is not None and discrepancy:
        step = _cash_create(
            progress,
            targets,
            "cash",
            lambda: cash_element(
                ctx,
                targets,
                ref=doc.ref,
                kind="gain" if discrepancy > 0 else "loss",
                cents=discrepancy,
                when=payload["at"],
                text=f"Écart de caisse à la clôture Z {doc.number}",
            ),
            doc.ref,
        )
        if step is not None:
            return step
    if "register" not in progress:
        return Revise(
            "register",
            {
                "id": ctx.register_id,
                targets.register_status_field: targets.register_closed_value,
                targets.register_balance_field: euros(payload.get("cash_counted", 0)),
            },
        )
    return Done()


_OTHER_KINDS = {"cash": _cash_step, "closure": _closure_step}
