"""What to do next for one outbox row, given the progress recorded so far: pure functions.

`next_step` answers with one `Step`: look a reference up (an earlier create whose outcome is
unknown), create, correct, finalise, read back, stop with a reason (`Fail`), or nothing more
(`Done`). The sync worker performs it, folds the answer into the progress with `record`, and
asks again. Because every create is preceded by an *intent* in the progress (`intent`), and an
intent without an id is always looked up by reference before creating again, a record is never
created twice, whatever fails and wherever the process is killed.

An invoice or credit note is created as a draft (`appliance.kafinea.documents` computes its
adjustment); if the server's total disagrees anyway (another tax rate on the product in
Kafinea, a server rounding to whole units) one revise corrects the adjustment; finalising
(which locks the record) comes only after the total is right, and the answer of that
finalising revise is the read-back check. A difference that survives is reported (`Fail`).
Then the payments, one per tender, each looked up by its own reference after an unknown
outcome. A cash movement or a Z: the cash transaction, then the register's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from appliance.kafinea.documents import (
    Context,
    Document,
    Targets,
    cash_element,
    credit_invoice_element,
    credit_note_element,
    decimal_of,
    euros,
    invoice_element,
    is_refund,
    paid_cents,
    payment_element,
    same_cents,
    tender_amounts,
    to_cents,
)
from appliance.pos.money import format_amount
from appliance.pos.references import payment_ref


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
        updated[step.key] = _stored(answer, _extra(step))
    return updated


def intent(progress: Progress, step: Create | Revise, attempt: int) -> dict[str, Any]:
    """The progress to save *before* sending `step`: "a create may be under way"."""
    return {**progress, step.key: {"intent": attempt, **_extra(step)}}


def _extra(step: Create | Revise) -> Mapping[str, str]:
    """What a create keeps beside the id (the adjustment it sent); a revise keeps nothing."""
    return step.extra if isinstance(step, Create) else {}


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


@dataclass(frozen=True)
class _Draft:
    """An invoice or credit note: created as a draft, corrected once if needed, finalised."""

    key: str  # its entry in the progress: "invoice" or "credit"
    module: str
    ref_field: str
    status_field: str
    element: dict[str, Any]
    adjustment: Decimal
    final: dict[str, Any]  # what the finalising revise sets (the final status, and more)

    @property
    def final_status(self) -> str:
        return str(self.final[self.status_field])


def _sale_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    element, adjustment = invoice_element(doc, ctx, targets)
    draft = _Draft(
        "invoice",
        targets.invoice_module,
        targets.invoice_ref_field,
        targets.invoice_status_field,
        element,
        adjustment,
        _invoice_final(doc, targets),
    )
    return _draft_then_payments(doc, progress, ctx, targets, draft)


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
    return _draft_then_payments(
        doc, progress, ctx, targets, _credit_draft(doc, ctx, targets, origin)
    )


def _credit_draft(doc: Document, ctx: Context, targets: Targets, origin: str) -> _Draft:
    if targets.credit_module:
        element, adjustment = credit_note_element(doc, ctx, targets, origin)
        module, ref_field = targets.credit_module, targets.credit_ref_field
        status_field, final_status = targets.credit_status_field, targets.credit_final_status
    else:  # no credit-note module: vtiger's convention, an invoice marked "Credit Invoice"
        element, adjustment = credit_invoice_element(doc, ctx, targets)
        module, ref_field = targets.invoice_module, targets.invoice_ref_field
        status_field, final_status = targets.invoice_status_field, targets.invoice_credit_status
    final = {status_field: final_status}
    return _Draft("credit", module, ref_field, status_field, element, adjustment, final)


def _draft_then_payments(
    doc: Document, progress: Progress, ctx: Context, targets: Targets, draft: _Draft
) -> Step:
    step = _draft_steps(doc, progress, draft)
    if step is not None:
        return step
    return _payments_step(doc, progress, ctx, targets, _id(progress, draft.key) or "")


def _draft_steps(doc: Document, progress: Progress, draft: _Draft) -> Step | None:
    """Create the draft, correct its total once if needed, finalise; None when all done."""
    key = draft.key
    record_id = _id(progress, key)
    if record_id is None:
        if _pending_create(progress, key):
            fields = ("id", "hdnGrandTotal", "txtAdjustment", draft.status_field)
            return Lookup(key, draft.module, draft.ref_field, doc.ref, fields)
        return Create(key, draft.module, draft.element, {"adjustment": f"{draft.adjustment:.8f}"})
    expected = paid_cents(doc.payload)
    entry = progress[key]
    final_key = key + "_final"
    done = progress.get(final_key)
    if done is None and entry.get("status") == draft.final_status:
        done = entry  # found by a lookup: it was finalised before the crash
    if done is None:
        return _fix_or_finalise(progress, draft, record_id, expected)
    if "id" not in done:  # an intent: the finalising revise may have happened
        return Retrieve(final_key, record_id, draft.status_field, draft.final_status)
    if not same_cents(decimal_of(done.get("total")), expected):
        return Fail(_mismatch(draft.module, record_id, done.get("total"), expected))
    return None


def _fix_or_finalise(progress: Progress, draft: _Draft, record_id: str, expected: int) -> Step:
    """Correct the adjustment once when the server's total differs, else finalise."""
    key = draft.key
    fix = progress.get(key + "_fix")
    latest = fix if fix is not None else progress[key]
    server_total = decimal_of(latest.get("total"))
    if same_cents(server_total, expected):
        return Revise(key + "_final", {"id": record_id, **draft.final}, guarded=True)
    if fix is not None:
        return Fail(_mismatch(draft.module, record_id, latest.get("total"), expected))
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


def _cash_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    """A float, cash in or cash out: one cash transaction (+ the register opened, for a float)."""
    payload = doc.payload
    kind = payload["kind"]
    if targets.cash_module is not None:
        cents = payload["amount"] if kind != "out" else -payload["amount"]
        text = payload.get("reason", "")
        step = _cash_transaction(doc, progress, ctx, targets, kind=kind, cents=cents, text=text)
        if step is not None:
            return step
    if kind == "float":
        return _register_step(
            progress, ctx, targets, targets.register_open_value, payload["amount"]
        )
    return Done()


def _closure_step(doc: Document, progress: Progress, ctx: Context, targets: Targets) -> Step:
    """A Z: the cash discrepancy as a cash transaction, then the register closed."""
    payload = doc.payload
    discrepancy = payload.get("cash_discrepancy", 0)
    if targets.cash_module is not None and discrepancy:
        kind = "gain" if discrepancy > 0 else "loss"
        text = f"Écart de caisse à la clôture Z {doc.number}"
        step = _cash_transaction(
            doc, progress, ctx, targets, kind=kind, cents=discrepancy, text=text
        )
        if step is not None:
            return step
    counted = payload.get("cash_counted", 0)
    return _register_step(progress, ctx, targets, targets.register_closed_value, counted)


def _cash_transaction(
    doc: Document,
    progress: Progress,
    ctx: Context,
    targets: Targets,
    *,
    kind: str,
    cents: int,
    text: str,
) -> Step | None:
    """Create (or look up) the document's one cash transaction; None once it is there."""
    module = targets.cash_module
    assert module is not None
    if _id(progress, "cash") is not None:
        return None
    if _pending_create(progress, "cash"):
        return Lookup("cash", module, targets.cash_description_field, doc.ref + " ", like=True)
    element = cash_element(
        ctx, targets, ref=doc.ref, kind=kind, cents=cents, when=doc.payload["at"], text=text
    )
    return Create("cash", module, element)


def _register_step(
    progress: Progress, ctx: Context, targets: Targets, status: str, cents: int
) -> Step:
    """The register's state and cash balance after a float or a Z, set once."""
    if "register" in progress:
        return Done()
    return Revise(
        "register",
        {
            "id": ctx.register_id,
            targets.register_status_field: status,
            targets.register_balance_field: euros(cents),
        },
    )


_OTHER_KINDS = {"cash": _cash_step, "closure": _closure_step}
