"""The sandbox application: one request in, one response out (no sockets here).

It answers `…/webservice.php` the way a vtiger 8.2 server with Kafinea's modules does,
including its observed quirks: HTTP 500 with an empty body for an unknown operation, `logout`,
`sync` or a format other than JSON; each operation's parameters read from its own HTTP method
only (GET for reads, POST for writes); and the record quirks `records.py` lists. Sessions are
`sessions.py`'s. `/_sandbox/faults` (loopback only) changes the fault plan at run time, and
`/_sandbox/stats` counts the requests served per operation.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from appliance.kafinea.sandbox.errors import DropConnection, HttpFailure, SandboxError
from appliance.kafinea.sandbox.faults import FaultPlan, FaultSpecError, plan_from_json
from appliance.kafinea.sandbox.records import Records
from appliance.kafinea.sandbox.sessions import Sessions
from appliance.kafinea.sandbox.store import Store

GET_OPS = frozenset({"getchallenge", "listtypes", "describe", "retrieve", "query"})
POST_OPS = frozenset({"login", "create", "update", "revise", "delete"})


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
class Stats:
    """Requests served per operation (tests and benchmarks read it)."""

    calls: Counter[str] = field(default_factory=Counter)

    def total(self) -> int:
        return sum(self.calls.values())


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
        self.faults = faults or FaultPlan()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)  # one sequence for HTTP 500 draws and session names
        self.records = Records(store, hidden_modules)
        self.sessions = Sessions(store, lambda: self.faults, login_style=login_style, rng=self._rng)

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
        self.sessions.expire()

    def _admin_faults(self, request: Request) -> Response:
        if request.remote_addr not in ("127.0.0.1", "::1", "localhost"):
            return Response(403, b"Forbidden", "text/plain")
        if request.method == "POST":
            try:
                data = json.loads(request.body or b"{}")
                if not isinstance(data, dict):
                    raise FaultSpecError("un objet JSON est attendu")
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
            user_id = self.sessions.check(session_name, operation)
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

    def _dispatch(self, operation: str, params: dict[str, str], user_id: int | None) -> Any:
        if operation == "getchallenge":
            return self.sessions.getchallenge(params)
        if operation == "login":
            return self.sessions.login(params)
        assert user_id is not None
        records = self.records
        handlers: dict[str, Callable[[], Any]] = {
            "listtypes": records.listtypes,
            "describe": lambda: records.module(params.get("elementType", "")).describe(),
            "retrieve": lambda: records.retrieve(params.get("id", "")),
            "query": lambda: records.query(params.get("query", "")),
            "create": lambda: records.create(params, user_id),
            "update": lambda: records.change("update", params, user_id),
            "revise": lambda: records.change("revise", params, user_id),
            "delete": lambda: records.delete(params.get("id", "")),
        }
        return handlers[operation]()


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
