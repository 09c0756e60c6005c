"""Inventory line items and the server-side totals, as vtiger 8.2 computes them.

The totals a client sends are ignored and recomputed. Group mode applies the taxes of the first
line to the whole document; individual mode adds each line's own product taxes (a line's `taxN`
only overrides a rate the product has); nothing is rounded to cents (the columns keep 8
decimals), so a grand total of 10.298 is possible. The till has to pick prices that make the
server total equal its ticket total.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.kafinea.sandbox.errors import HttpFailure
from appliance.kafinea.sandbox.modules import LINE_ITEM_PREFIX

TAX_KEYS = ("tax1", "tax2", "tax3", "tax4")


def _decimal(value: Any, default: str = "0") -> Decimal:
    text = default if value in (None, "") else str(value)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise HttpFailure(500) from None


def normalise_line(
    line: dict[str, Any], index: int, line_id: int, product_name: str
) -> dict[str, Any]:
    """One stored line; a line without quantity is kept with quantity 0, as vtiger does."""
    discount_percent = line.get("discount_percent")
    discount_amount = line.get("discount_amount")
    out: dict[str, Any] = {
        "productid": str(line.get("productid") or ""),
        "sequence_no": str(index + 1),
        "quantity": f"{_decimal(line.get('quantity')):.3f}",
        "listprice": f"{_decimal(line.get('listprice')):.8f}",
        "discount_percent": ""
        if discount_percent in (None, "")
        else f"{_decimal(discount_percent):.3f}",
        "discount_amount": ""
        if discount_amount in (None, "")
        else f"{_decimal(discount_amount):.8f}",
        "comment": str(line.get("comment") or ""),
        "description": str(line.get("description") or ""),
        "incrementondel": "0",
    }
    for key in TAX_KEYS:
        if line.get(key) not in (None, ""):
            out[key] = f"{_decimal(line[key]):.3f}"
    out.update(
        {
            "product_name": product_name,
            "entity_type": "Products",
            "deleted": "0",
            "id": f"{LINE_ITEM_PREFIX}x{line_id}",
        }
    )
    return out


def _net(line: dict[str, Any]) -> Decimal:
    gross = _decimal(line["listprice"]) * _decimal(line["quantity"])
    amount = _decimal(line.get("discount_amount"))
    if amount != 0:
        return gross - amount
    return gross - gross * _decimal(line.get("discount_percent")) / 100


def compute_totals(data: dict[str, Any], taxes_of: Callable[[str], dict[str, str]]) -> None:
    """Set hdnSubTotal, pre_tax_total and hdnGrandTotal on `data` (8 decimals, unrounded)."""
    lines: list[dict[str, Any]] = data.get("LineItems", [])
    discount_amount = _decimal(data.get("hdnDiscountAmount"))
    discount_percent = _decimal(data.get("hdnDiscountPercent"))
    adjustment = _decimal(data.get("txtAdjustment"))
    nets = [_net(line) for line in lines]
    if data.get("hdnTaxType") == "group":
        subtotal = sum(nets, Decimal(0))
        discount = discount_amount if discount_amount > 0 else subtotal * discount_percent / 100
        base = subtotal - discount
        first = lines[0] if lines else {}
        rates = [_decimal(first[k]) for k in TAX_KEYS if first.get(k) not in (None, "")]
        taxes = sum((base * rate / 100 for rate in rates), Decimal(0))
        pre_tax = base
        grand = pre_tax + taxes + adjustment
    else:
        with_tax = Decimal(0)
        for line, net in zip(lines, nets, strict=True):
            product_taxes = taxes_of(line["productid"])
            rates = []
            for key, rate in product_taxes.items():
                effective = line.get(key) or rate
                line[key] = f"{_decimal(effective):.3f}"
                rates.append(_decimal(effective))
            with_tax += net + sum((net * r / 100 for r in rates), Decimal(0))
        subtotal = with_tax
        discount = discount_amount if discount_amount > 0 else subtotal * discount_percent / 100
        pre_tax = sum(nets, Decimal(0)) - discount
        grand = subtotal - discount + adjustment
    data["hdnSubTotal"] = f"{subtotal:.8f}"
    data["pre_tax_total"] = f"{pre_tax:.8f}"
    data["hdnGrandTotal"] = f"{grand:.8f}"
