"""The sandbox application: one request in, one response out (no sockets here).

It answers `…/webservice.php` the way a vtiger 8.2 server with Kafinea's modules does,
including the observed quirks of the reference note's section 9 (HTTP 500 with an empty body
for unknown operations, `logout` and `sync`; parameters read only from the operation's own
method; ACCESS_DENIED for missing records; totals as numbers in create answers and 8-decimal
strings in retrieve answers; `7xArray` line parents; HTML-encoded labels; loose create
validation). `/_sandbox/faults` (loopback only) changes the fault plan at run time.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from appliance.kafinea.sandbox import inventory
from appliance.kafinea.sandbox.errors import DropConnection, HttpFailure, SandboxError
from appliance.kafinea.sandbox.faults import FaultPlan, FaultSpecError, plan_from_json
from appliance.kafinea.sandbox.modules import (
    BY_PREFIX,
    GROUPS_PREFIX,
    MODULES,
    NUMERIC_TYPES,
    Module,
)
from appliance.kafinea.sandbox.query import run_query
from appliance.kafinea.sandbox.store import Store
from appliance.kafinea.sandbox.vtql_parser import parse

GET_OPS = frozenset({"getchallenge", "listtypes", "describe", "retrieve", "query"})
POST_OPS = frozenset({"login", "create", "update", "revise", "delete"})
PRE_LOGIN = frozenset({"getchallenge", "login"})
TOKEN_LIFETIME_S = 300
_WS_ID = re.compile(r"^(\d+)x(\d+)$")
DENIED = "Permission to perform the operation is denied"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query_string: str = ""
    body: bytes = b""
    content_type: str = ""
    remote_addr: str = "127.0.0.1"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


@dataclass
class _Session:
    user_id: int
    last_used: float


@dataclass
class Stats:
    """Requests served per operation (tests and benchmarks read it)."""

    calls: Counter[str] = field(default_factory=Counter)

    def total(self) -> int:
        return sum(self.calls.values())


def html_encode(text: str) -> str:
    """PHP htmlentities(ENT_QUOTES) on the characters that matter: what vtiger does to labels."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def now_text(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%d %H:%M:%S")


def _form(text: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


class SandboxApp:
    """The Kafinea-compatible webservice over a Store, with a fault plan."""

    def __init__(
        self,
        store: Store,
        *,
        faults: FaultPlan | None = None,
        hidden_modules: frozenset[str] = frozenset(),
        login_style: str = "both",
        seed: int = 0,
    ) -> None:
        self.store = store
        self.faults = faults or FaultPlan()
        self.hidden_modules = hidden_modules
        self.login_style = login_style
        self.stats = Stats()
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._tokens: dict[int, tuple[str, float]] = {}
        self._rng = random.Random(seed)

    # ------------------------------------------------------------------ entry point

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path.endswith("/_sandbox/faults") or path == "/_sandbox/faults":
            return self._admin_faults(request)
        if path.endswith("/_sandbox/stats"):
            return _json(200, {"calls": dict(self.stats.calls), "total": self.stats.total()})
        if not path.endswith("/webservice.php"):
            return Response(404, b"Not Found", "text/plain")
        return self._webservice(request)

    def set_faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self.faults = plan

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def _admin_faults(self, request: Request) -> Response:
        if request.remote_addr not in ("127.0.0.1", "::1", "localhost"):
            return Response(403, b"Forbidden", "text/plain")
        if request.method == "POST":
            try:
                data = json.loads(request.body or b"{}")
                if not isinstance(data, dict):
                    raise FaultSpecError("expected a JSON object")
                expire = bool(data.pop("expire_sessions", False))
                plan = plan_from_json(data)
            except (ValueError, FaultSpecError) as exc:
                return _json(400, {"error": str(exc)})
            self.set_faults(plan)
            if expire:
                self.expire_sessions()
        return _json(200, self.faults.to_json())

    def _webservice(self, request: Request) -> Response:
        query = _form(request.query_string)
        form = _form(request.body.decode("utf-8", "replace")) if request.method == "POST" else {}
        operation = (query.get("operation") or form.get("operation") or "").lower()
        with self._lock:
            plan = self.faults
            latency = plan.latency_ms
            fail = plan.take_http500(operation, self._rng)
            html = plan.html
            self.stats.calls[operation or "(none)"] += 1
        if latency:
            time.sleep(latency / 1000)
        if fail:
            return _http500(html)
        fmt = query.get("format") or form.get("format") or "json"
        if operation not in GET_OPS | POST_OPS or fmt != "json":
            return _http500(False)
        params = query if operation in GET_OPS else form
        session_name = query.get("sessionName") or form.get("sessionName") or ""
        try:
            user_id = self._check_session(session_name, operation)
            result = self._dispatch(operation, params, user_id)
        except SandboxError as exc:
            return _json(
                200, {"success": False, "error": {"code": exc.code, "message": exc.message}}
            )
        except HttpFailure as exc:
            return Response(exc.status, exc.body, "text/html; charset=utf-8")
        if operation in POST_OPS:
            with self._lock:
                drop = self.faults.take_drop(operation)
            if drop:
                raise DropConnection
        return _json(200, {"success": True, "result": result})

    # ------------------------------------------------------------------ sessions

    def _check_session(self, session_name: str, operation: str) -> int | None:
        if session_name.lower() == "null":
            session_name = ""
        if session_name:
            with self._lock:
                session = self._sessions.get(session_name)
                now = time.monotonic()
                if session is None or now - session.last_used > self.faults.session_idle_s:
                    self._sessions.pop(session_name, None)
                    raise SandboxError(
                        "INVALID_SESSIONID", "Session Identifier provided is Invalid"
                    )
                session.last_used = now
                if operation not in PRE_LOGIN:
                    return session.user_id
        if operation in PRE_LOGIN:
            return None
        raise SandboxError("AUTHENTICATION_REQUIRED", "Authencation required")

    def _find_user(self, username: str) -> tuple[int, dict[str, Any]] | None:
        rows = self.store.select(
            "SELECT id, data FROM entity WHERE module = 'Users' AND deleted = 0"
            " AND json_extract(data, '$.user_name') = ? COLLATE NOCASE",
            (username,),
        )
        if not rows:
            return None
        return int(rows[0][0]), json.loads(rows[0][1])

    def _getchallenge(self, params: dict[str, str]) -> dict[str, Any]:
        username = params.get("username", "")
        if not username:
            raise SandboxError("ACCESS_DENIED", "No username given")
        found = self._find_user(username)
        if found is None:
            raise SandboxError("ACCESS_DENIED", "username does not exists")
        token = secrets.token_hex(7)[:13]
        server_time = int(time.time())
        with self._lock:
            self._tokens[found[0]] = (token, time.monotonic() + TOKEN_LIFETIME_S)
        return {"token": token, "serverTime": server_time, "expireTime": server_time + 300}

    def _login(self, params: dict[str, str]) -> dict[str, Any]:
        invalid_token = SandboxError("INVALID_AUTH_TOKEN", "Specified token is invalid or expired")
        found = self._find_user(params.get("username", ""))
        if found is None:
            raise invalid_token
        user_id, user = found
        with self._lock:
            token = self._tokens.get(user_id)
            refuse = self.faults.refuse_login
        if token is None or token[1] < time.monotonic():
            raise invalid_token
        key = self.store.get_meta(f"accesskey:{user_id}")
        if key is None:
            raise SandboxError("ACCESSKEY_UNDEFINED", "Access key for the user is undefined")
        expected = hashlib.md5((token[0] + key).encode()).hexdigest()  # noqa: S324 - vtiger's scheme
        given = params.get("accessKey", "")
        if refuse or not secrets.compare_digest(expected, given) or user.get("status") != "Active":
            raise SandboxError("INVALID_USER_CREDENTIALS", "Invalid username or password")
        session_name = format(self._rng.getrandbits(31), "x") + secrets.token_hex(7)[:13]
        with self._lock:
            self._sessions[session_name] = _Session(user_id, time.monotonic())
        result: dict[str, Any] = {
            "sessionName": session_name,
            "userId": f"{MODULES['Users'].prefix}x{user_id}",
            "version": "0.22",
            "vtigerVersion": "8.2.0",
            "username": user["user_name"],
            "first_name": user.get("first_name", ""),
            "last_name": user.get("last_name", ""),
            "email": user.get("email1", ""),
            "time_zone": user.get("time_zone", "Europe/Paris"),
            "hour_format": user.get("hour_format", "24"),
            "date_format": user.get("date_format", "dd-mm-yyyy"),
            "is_admin": "on" if user.get("is_admin") == "1" else "off",
            "call_duration": "5",
            "other_event_duration": "5",
        }
        if self.login_style in ("kafinea", "both"):
            result["sessionId"] = session_name
            result["kafineaVersion"] = "2025.1"
        if self.login_style == "kafinea":
            del result["sessionName"], result["vtigerVersion"]
        return result

    # ------------------------------------------------------------------ operations

    def _dispatch(self, operation: str, params: dict[str, str], user_id: int | None) -> Any:
        if operation == "getchallenge":
            return self._getchallenge(params)
        if operation == "login":
            return self._login(params)
        assert user_id is not None
        handlers: dict[str, Callable[[], Any]] = {
            "listtypes": self._listtypes,
            "describe": lambda: self._module(params.get("elementType", "")).describe(),
            "retrieve": lambda: self._retrieve(params.get("id", "")),
            "query": lambda: self._query(params.get("query", "")),
            "create": lambda: self._create(params, user_id),
            "update": lambda: self._change("update", params, user_id),
            "revise": lambda: self._change("revise", params, user_id),
            "delete": lambda: self._delete(params.get("id", "")),
        }
        return handlers[operation]()

    def _retrieve(self, ws_id: str) -> dict[str, Any]:
        module, record_id, data, created, modified = self._load(ws_id)
        return self._present(
            module, record_id, data, created=created, modified=modified, mode="retrieve"
        )

    def _visible(self) -> list[Module]:
        return [m for m in MODULES.values() if m.name not in self.hidden_modules]

    def _module(self, name: str) -> Module:
        module = MODULES.get(name)
        if module is None or name in self.hidden_modules:
            raise SandboxError("ACCESS_DENIED", f"{DENIED} for name : {name}".rstrip(" :"))
        return module

    def _listtypes(self) -> dict[str, Any]:
        entities = [m for m in self._visible() if m.is_entity]
        actors = [
            ("Groups", "Groupes"),
            ("Currency", "Devises"),
            ("LineItem", "Lignes"),
            ("Tax", "Taxes"),
            ("ProductTaxes", "Taxes des produits"),
        ]
        types = [m.name for m in entities] + [name for name, _ in actors]
        information = {
            m.name: {"isEntity": True, "label": m.label, "singular": m.singular} for m in entities
        }
        for name, label in actors:
            information[name] = {"isEntity": False, "label": label, "singular": label}
        return {"types": types, "information": information}

    def _load(self, ws_id: str) -> tuple[Module, int, dict[str, Any], str, str]:
        """Resolve a ws id with vtiger's checks and error codes (reference note §3.3, §9.4)."""
        match = _WS_ID.match(ws_id)
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

    def _query(self, text: str) -> list[dict[str, Any]]:
        if not text:
            raise SandboxError("ACCESS_DENIED", f"{DENIED} for query")
        statement = parse(text)
        module = self._module(statement.module)
        return run_query(self.store, module, statement, self._present)

    # ------------------------------------------------------------------ presentation

    def _present(
        self,
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
                {**line, "parent_id": f"{module.prefix}xArray"}
                for line in data.get("LineItems", [])
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

    # ------------------------------------------------------------------ writes

    def _now(self) -> str:
        return now_text()

    def _parse_element(self, params: dict[str, str]) -> dict[str, Any]:
        """Malformed `element` JSON is treated as empty, as vtiger does (§9.8)."""
        try:
            element = json.loads(params.get("element", "") or "{}")
        except ValueError:
            return {}
        return element if isinstance(element, dict) else {}

    def _check_references(
        self, module: Module, element: dict[str, Any], *, drop_empty: bool
    ) -> dict[str, Any]:
        cleaned = dict(element)
        for f in module.fields:
            if f.type not in ("reference", "owner") or f.name not in element:
                continue
            value = element[f.name]
            if value in ("", None):
                if drop_empty and value == "":
                    cleaned.pop(f.name)
                continue
            match = _WS_ID.match(str(value))
            if f.type == "owner":
                if match is None or int(match.group(1)) not in (
                    MODULES["Users"].prefix,
                    GROUPS_PREFIX,
                ):
                    raise SandboxError("ACCESS_DENIED", "Cannot assign record to the given user")
                continue
            target = BY_PREFIX.get(int(match.group(1))) if match else None
            if target is None or target.name not in f.refers_to:
                raise SandboxError("REFERENCE_INVALID", f"Invalid reference specified for {f.name}")
        return cleaned

    def _normalise(self, module: Module, element: dict[str, Any]) -> dict[str, Any]:
        """Known fields only, stored as vtiger stores them (strings; numbers with decimals)."""
        out: dict[str, Any] = {}
        for name, value in element.items():
            f = module.by_name.get(name)
            if f is None or not f.editable:
                continue
            if value is None:
                out[name] = ""
                continue
            text = ("1" if value else "0") if isinstance(value, bool) else str(value)
            if f.type in NUMERIC_TYPES and text != "":
                try:
                    number = Decimal(text)
                except InvalidOperation:
                    raise HttpFailure(500) from None  # PHP fatal on "2,50" (§9.1)
                text = (
                    f"{number:.8f}"
                    if f.type == "currency"
                    else (str(int(number)) if f.type == "integer" else f"{number:.3f}")
                )
            out[name] = text
        return out

    def _check_mandatory(self, module: Module, values: dict[str, Any], *, all_fields: bool) -> None:
        for f in module.fields:
            if not f.mandatory or f.type == "autogenerated":
                continue
            present = f.name in values
            if (all_fields or present) and values.get(f.name) in (None, ""):
                raise SandboxError("MANDATORY_FIELDS_MISSING", f"{f.name} does not have a value")

    def _create(self, params: dict[str, str], user_id: int) -> dict[str, Any]:
        module = self._module(params.get("elementType", ""))
        if not module.is_entity or module.name == "Users":
            raise SandboxError("ACCESS_DENIED", "Permission to write is denied")
        element = self._check_references(module, self._parse_element(params), drop_empty=True)
        element.setdefault("assigned_user_id", f"{MODULES['Users'].prefix}x{user_id}")
        self._check_mandatory(module, element, all_fields=True)
        lines = element.get("LineItems")
        if module.inventory and (not isinstance(lines, list) or not lines):
            raise SandboxError("MANDATORY_FIELDS_MISSING", "Mandatory Fields Missing..")
        data = {f.name: (f.default or "") for f in module.fields if f.editable}
        if "conversion_rate" in data:
            data["conversion_rate"] = "1.000"
        data.update(self._normalise(module, element))
        data["source"] = str(element.get("source") or "WEBSERVICE")
        self._whole_units_if_unset(module, data, user_id)
        if module.name == "Products":
            data["taxes"] = _product_taxes(element)
        now = self._now()
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
        return self._present(module, record_id, data, created=now, modified=now, mode="create")

    def _apply_side_effects(self, module: Module, data: dict[str, Any], now: str) -> None:
        """What Kafinea's own modules do to others: a payment settles the document it
        references (received, balance); a cash movement moves the register's balance."""
        if module.name == "Payments":
            target, field_name = data.get("related_to", ""), "received"
        elif module.name == "CashTransactions":
            target, field_name = data.get("cashregister_id", ""), "cash_balance"
        else:
            return
        match = _WS_ID.match(str(target))
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

    def _change(self, operation: str, params: dict[str, str], user_id: int) -> dict[str, Any]:
        element = self._parse_element(params)
        module, record_id, data, created, _ = self._load(str(element.get("id", "")))
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
            raise HttpFailure(500)  # §9.1: update of an invoice built from a retrieve
        element = self._check_references(module, element, drop_empty=full)
        self._check_mandatory(module, element, all_fields=full)
        data.update(self._normalise(module, element))
        if module.name == "Products" and any(k in element for k in _TAX_KEYS):
            data["taxes"] = _product_taxes(element)
        now = self._now()
        with self.store.transaction():
            if (
                module.inventory
                and isinstance(element.get("LineItems"), list)
                and element["LineItems"]
            ):
                data["hdnTaxType"] = str(element.get("hdnTaxType") or "")  # §9.6: reset to ""
                data["LineItems"] = self._lines(module, element["LineItems"])
            self._whole_units_if_unset(module, data, user_id)
            if module.inventory:
                inventory.compute_totals(data, self._product_taxes_of)  # balance left stale (§9.6)
                self._whole_units_if_unset(module, data, user_id)
            self._finalise_if_due(module, data)
            self.store.save(record_id, data, now)
        return self._present(module, record_id, data, created=created, modified=now, mode="create")

    def _delete(self, ws_id: str) -> dict[str, str]:
        module, record_id, data, _, _ = self._load(ws_id)
        if data.get("cf_locked") == "1":
            raise SandboxError("ACCESS_DENIED", "Permission to delete is denied")
        if module.name == "Users":
            raise SandboxError("ACCESS_DENIED", "Permission to delete is denied")
        self.store.mark_deleted(record_id, self._now())
        return {"status": "successful"}

    def _whole_units_if_unset(self, module: Module, data: dict[str, Any], user_id: int) -> None:
        """§9.9: a user whose currency decimals are unset has every amount rounded to units."""
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
        match = _WS_ID.match(ws_id)
        if match is None:
            return ""
        found = self.store.get(int(match.group(2)))
        if found is None:
            return ""
        return html_encode(str(found[2].get("productname") or found[2].get("servicename", "")))

    def _product_taxes_of(self, ws_id: str) -> dict[str, str]:
        match = _WS_ID.match(ws_id)
        found = self.store.get(int(match.group(2))) if match else None
        if found is None or found[0] != "Products":
            return {}
        return dict(found[2].get("taxes", {}))


_TAX_KEYS = ("tax1", "tax2", "tax3", "tax4")


def _product_taxes(element: dict[str, Any]) -> dict[str, str]:
    taxes = {}
    for key in _TAX_KEYS:
        value = element.get(key)
        if value not in (None, ""):
            try:
                taxes[key] = f"{Decimal(str(value)):.3f}"
            except InvalidOperation:
                raise HttpFailure(500) from None
    return taxes


def _json(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _http500(html: bool) -> Response:
    body = (
        b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
        b"<body><h1>Internal Server Error</h1></body></html>"
        if html
        else b""
    )
    return Response(500, body, "text/html; charset=utf-8")
