"""The sandbox's records: resolve, show, list, create, change and delete them over the Store.

What vtiger does and this imitates: an id whose prefix names another module, a hidden module,
a deleted or missing record all answer ACCESS_DENIED (INVALID_ID_ATTRIBUTE when the prefix and
the record disagree); a create answers totals as JSON numbers and a retrieve as 8-decimal
strings; line items carry the parent "<prefix>xArray"; an `update` of an inventory record built
from a retrieve answers HTTP 500; a revise with new lines resets the tax mode to "" and leaves
the balance stale; a user whose currency decimals are unset gets every amount rounded to whole
units. Kafinea's own modules add: a payment settles the document it names, a cash movement
moves its register's balance, and a final status locks the record with a continuous number.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from appliance.kafinea.sandbox import inventory
from appliance.kafinea.sandbox.errors import HttpFailure, SandboxError
from appliance.kafinea.sandbox.modules import BY_PREFIX, MODULES, Module
from appliance.kafinea.sandbox.query import run_query
from appliance.kafinea.sandbox.store import Store
from appliance.kafinea.sandbox.values import (
    TAX_KEYS,
    WS_ID,
    check_mandatory,
    check_references,
    html_encode,
    normalise,
    now_text,
    parse_element,
    product_taxes,
)
from appliance.kafinea.sandbox.vtql_parser import parse

DENIED = "Permission to perform the operation is denied"
_ACTORS = (
    ("Groups", "Groupes"),
    ("Currency", "Devises"),
    ("LineItem", "Lignes"),
    ("Tax", "Taxes"),
    ("ProductTaxes", "Taxes des produits"),
)


class Records:
    """The records of the Store as the webservice shows them (some modules hidden)."""

    def __init__(self, store: Store, hidden_modules: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.hidden_modules = hidden_modules

    # ------------------------------------------------------------------ reads

    def retrieve(self, ws_id: str) -> dict[str, Any]:
        module, record_id, data, created, modified = self.load(ws_id)
        return present(module, record_id, data, created=created, modified=modified, mode="retrieve")

    def _visible(self) -> list[Module]:
        return [m for m in MODULES.values() if m.name not in self.hidden_modules]

    def module(self, name: str) -> Module:
        module = MODULES.get(name)
        if module is None or name in self.hidden_modules:
            raise SandboxError("ACCESS_DENIED", f"{DENIED} for name : {name}".rstrip(" :"))
        return module

    def listtypes(self) -> dict[str, Any]:
        entities = [m for m in self._visible() if m.is_entity]
        types = [m.name for m in entities] + [name for name, _ in _ACTORS]
        information = {
            m.name: {"isEntity": True, "label": m.label, "singular": m.singular} for m in entities
        }
        for name, label in _ACTORS:
            information[name] = {"isEntity": False, "label": label, "singular": label}
        return {"types": types, "information": information}

    def load(self, ws_id: str) -> tuple[Module, int, dict[str, Any], str, str]:
        """Resolve a ws id with vtiger's checks and error codes (see the module docstring)."""
        match = WS_ID.match(ws_id)
        prefix_module = BY_PREFIX.get(int(match.group(1))) if match else None
        if match is None or prefix_module is None or prefix_module.name in self.hidden_modules:
            raise SandboxError("ACCESS_DENIED", f"{DENIED} for id")
        record_id = int(match.group(2))
        rows = self.store.select(
            "SELECT module, deleted, createdtime, modifiedtime, data FROM entity WHERE id = ?",
            (record_id,),
        )
        if not rows or rows[0][1] or rows[0][0] in self.hidden_modules:
            raise SandboxError("ACCESS_DENIED", DENIED)
        module_name, _, created, modified, data = rows[0]
        if module_name != prefix_module.name:
            raise SandboxError("INVALID_ID_ATTRIBUTE", "Id specified is incorrect")
        return prefix_module, record_id, json.loads(data), created, modified

    def query(self, text: str) -> list[dict[str, Any]]:
        if not text:
            raise SandboxError("ACCESS_DENIED", f"{DENIED} for query")
        statement = parse(text)
        module = self.module(statement.module)
        return run_query(self.store, module, statement, present)

    # ------------------------------------------------------------------ writes

    def create(self, params: dict[str, str], user_id: int) -> dict[str, Any]:
        module = self.module(params.get("elementType", ""))
        if not module.is_entity or module.name == "Users":
            raise SandboxError("ACCESS_DENIED", "Permission to write is denied")
        element = check_references(module, parse_element(params), drop_empty=True)
        element.setdefault("assigned_user_id", f"{MODULES['Users'].prefix}x{user_id}")
        check_mandatory(module, element, all_fields=True)
        lines = element.get("LineItems")
        if module.inventory and (not isinstance(lines, list) or not lines):
            raise SandboxError("MANDATORY_FIELDS_MISSING", "Mandatory Fields Missing..")
        data: dict[str, Any] = {f.name: (f.default or "") for f in module.fields if f.editable}
        if "conversion_rate" in data:
            data["conversion_rate"] = "1.000"
        data.update(normalise(module, element))
        data["source"] = str(element.get("source") or "WEBSERVICE")
        self._whole_units_if_unset(module, data, user_id)
        if module.name == "Products":
            data["taxes"] = product_taxes(element)
        now = now_text()
        with self.store.transaction():
            record_id = self.store.insert(module.name, data, now)
            if module.number_field:
                number = self.store.next_number(module.name)
                data[module.number_field] = f"{module.number_prefix}{number}"
            if module.inventory:
                data["hdnTaxType"] = str(element.get("hdnTaxType") or "")
                data["LineItems"] = self._lines(module, lines or [])
                self._whole_units_if_unset(module, data, user_id)
                inventory.compute_totals(data, self._product_taxes_of)
                self._whole_units_if_unset(module, data, user_id)
                received = Decimal(data.get("received") or "0")
                data["received"] = f"{received:.8f}"
                data["balance"] = f"{Decimal(data['hdnGrandTotal']) - received:.8f}"
            self._finalise_if_due(module, data)
            self.store.save(record_id, data, now)
            self._apply_side_effects(module, data, now)
        return present(module, record_id, data, created=now, modified=now, mode="create")

    def _apply_side_effects(self, module: Module, data: dict[str, Any], now: str) -> None:
        """What Kafinea's own modules do to others: a payment settles the document it
        references (received, balance); a cash movement moves the register's balance."""
        if module.name == "Payments":
            target, field_name = data.get("related_to", ""), "received"
        elif module.name == "CashTransactions":
            target, field_name = data.get("cashregister_id", ""), "cash_balance"
        else:
            return
        match = WS_ID.match(str(target))
        other_id = int(match.group(2)) if match else 0
        found = self.store.get(other_id)
        if found is None or found[1]:
            return
        other_module, _, other = found
        if other_module not in ("Invoice", "CreditNotes", "CashRegisters"):
            return
        amount = Decimal(data.get("amount") or "0")
        other[field_name] = f"{Decimal(other.get(field_name) or '0') + amount:.8f}"
        if field_name == "received":
            total = Decimal(other.get("hdnGrandTotal") or "0")
            other["balance"] = f"{total - Decimal(other[field_name]):.8f}"
        self.store.save(other_id, other, now)

    def change(self, operation: str, params: dict[str, str], user_id: int) -> dict[str, Any]:
        element = parse_element(params)
        module, record_id, data, created, _ = self.load(str(element.get("id", "")))
        if data.get("cf_locked") == "1":
            raise SandboxError("ACCESS_DENIED", "Permission to write is denied")
        full = operation == "update"
        if (
            full
            and module.inventory
            and (
                element.get("hdnDiscountAmount") == ""
                or ("shipping_&_handling" in element and element["shipping_&_handling"] is None)
            )
        ):
            raise HttpFailure(500)  # vtiger's PHP fatal: an update built from a retrieve
        element = check_references(module, element, drop_empty=full)
        check_mandatory(module, element, all_fields=full)
        data.update(normalise(module, element))
        if module.name == "Products" and any(k in element for k in TAX_KEYS):
            data["taxes"] = product_taxes(element)
        now = now_text()
        with self.store.transaction():
            if (
                module.inventory
                and isinstance(element.get("LineItems"), list)
                and element["LineItems"]
            ):
                data["hdnTaxType"] = str(element.get("hdnTaxType") or "")  # vtiger resets it to ""
                data["LineItems"] = self._lines(module, element["LineItems"])
            self._whole_units_if_unset(module, data, user_id)
            if module.inventory:
                inventory.compute_totals(data, self._product_taxes_of)  # balance left stale
                self._whole_units_if_unset(module, data, user_id)
            self._finalise_if_due(module, data)
            self.store.save(record_id, data, now)
        return present(module, record_id, data, created=created, modified=now, mode="create")

    def delete(self, ws_id: str) -> dict[str, str]:
        module, record_id, data, _, _ = self.load(ws_id)
        if data.get("cf_locked") == "1":
            raise SandboxError("ACCESS_DENIED", "Permission to delete is denied")
        if module.name == "Users":
            raise SandboxError("ACCESS_DENIED", "Permission to delete is denied")
        self.store.mark_deleted(record_id, now_text())
        return {"status": "successful"}

    def _whole_units_if_unset(self, module: Module, data: dict[str, Any], user_id: int) -> None:
        """vtiger rounds every amount to units for a user whose currency decimals are unset."""
        found = self.store.get(user_id)
        if found is None or found[2].get("no_of_currency_decimals", "") not in ("", None):
            return
        unit = Decimal(1)
        for f in module.fields:
            if f.type == "currency" and data.get(f.name) not in (None, ""):
                data[f.name] = f"{Decimal(data[f.name]).quantize(unit, ROUND_HALF_UP):.8f}"
        for line in data.get("LineItems", []):
            line["listprice"] = f"{Decimal(line['listprice']).quantize(unit, ROUND_HALF_UP):.8f}"

    def _finalise_if_due(self, module: Module, data: dict[str, Any]) -> None:
        """Kafinea's permanent locking: final status → read-only, final continuous number."""
        if module.status_field is None or data.get(module.status_field) != module.final_status:
            return
        data["cf_locked"] = "1"
        if module.final_number_prefix and module.number_field:
            number = self.store.next_number(f"{module.name}:final")
            year = now_text()[:4]
            data[module.number_field] = f"{module.final_number_prefix}{year}-{number:05d}"

    def _lines(self, module: Module, lines: list[Any]) -> list[dict[str, Any]]:
        first = self.store.next_number("LineItem", len(lines))
        out = []
        for index, raw in enumerate(lines):
            line = raw if isinstance(raw, dict) else {}
            product_id = str(line.get("productid") or "")
            name = self._product_name(product_id)
            out.append(inventory.normalise_line(line, index, first + index, name))
        return out

    def _product_name(self, ws_id: str) -> str:
        match = WS_ID.match(ws_id)
        if match is None:
            return ""
        found = self.store.get(int(match.group(2)))
        if found is None:
            return ""
        return html_encode(str(found[2].get("productname") or found[2].get("servicename", "")))

    def _product_taxes_of(self, ws_id: str) -> dict[str, str]:
        match = WS_ID.match(ws_id)
        found = self.store.get(int(match.group(2))) if match else None
        if found is None or found[0] != "Products":
            return {}
        return dict(found[2].get("taxes", {}))


def present(
    module: Module,
    record_id: int,
    data: dict[str, Any],
    *,
    created: str,
    modified: str,
    mode: str,
    columns: list[str] | None = None,
) -> dict[str, Any]:
    """A record as the server shows it; `mode` is query | retrieve | create."""
    out: dict[str, Any] = {}
    hidden = module.hidden_in_query if mode == "query" else ()
    for f in module.fields:
        if f.name in hidden:
            continue
        value = data.get(f.name, "")
        out[f.name] = "" if value is None else value
    out["createdtime"], out["modifiedtime"] = created, modified
    if module.name == "Products":
        for name in module.hidden_in_query:
            out.pop(name, None)
        if mode != "query":
            out.update(data.get("taxes", {}))
            out["currency1"] = float(Decimal(data.get("unit_price") or "0"))
            out["currency_id"] = "21x1"
    if module.inventory and mode != "query":
        out["LineItems"] = [
            {**line, "parent_id": f"{module.prefix}xArray"} for line in data.get("LineItems", [])
        ]
        if mode == "create":
            for name in ("hdnSubTotal", "hdnGrandTotal", "pre_tax_total"):
                out[name] = float(Decimal(out[name] or "0"))
            out["productid"] = None
    out["id"] = f"{module.prefix}x{record_id}"
    if mode != "query":
        out["label"] = html_encode(" ".join(str(data.get(f, "")) for f in module.label_fields))
    if columns is not None:
        out = {k: out.get(k, "") for k in (*columns, "id")}
    return out
