"""Challenges, logins and sessions, the way vtiger's webservice handles them.

`getchallenge` gives a user a token for 5 minutes (a second one replaces the first, so two
clients logging in as one user race); `login` checks md5(token + access key) and opens a
session; a session dies after `session_idle_s` of the fault plan without a call. vtiger reads
the session name "null" as no session, and answers AUTHENTICATION_REQUIRED to a call without
one (with its own spelling of the message).
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.kafinea.sandbox.errors import SandboxError
from appliance.kafinea.sandbox.faults import FaultPlan
from appliance.kafinea.sandbox.modules import MODULES
from appliance.kafinea.sandbox.store import Store

PRE_LOGIN = frozenset({"getchallenge", "login"})
TOKEN_LIFETIME_S = 300


@dataclass
class _Session:
    user_id: int
    last_used: float


class Sessions:
    """Tokens and sessions of the sandbox's users (the access keys live in the store)."""

    def __init__(
        self,
        store: Store,
        faults: Callable[[], FaultPlan],
        *,
        login_style: str,
        rng: random.Random,
    ) -> None:
        self._store = store
        self._faults = faults
        self._login_style = login_style
        self._rng = rng
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._tokens: dict[int, tuple[str, float]] = {}

    def expire(self) -> None:
        with self._lock:
            self._sessions.clear()

    def names(self) -> list[str]:
        """The open sessions' names (tests check that none leaks into a log)."""
        with self._lock:
            return list(self._sessions)

    def check(self, session_name: str, operation: str) -> int | None:
        """The user of a live session (None before login), or the server's refusal."""
        if session_name.lower() == "null":
            session_name = ""
        if session_name:
            with self._lock:
                session = self._sessions.get(session_name)
                now = time.monotonic()
                if session is None or now - session.last_used > self._faults().session_idle_s:
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

    def getchallenge(self, params: dict[str, str]) -> dict[str, Any]:
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

    def login(self, params: dict[str, str]) -> dict[str, Any]:
        invalid_token = SandboxError("INVALID_AUTH_TOKEN", "Specified token is invalid or expired")
        found = self._find_user(params.get("username", ""))
        if found is None:
            raise invalid_token
        user_id, user = found
        with self._lock:
            token = self._tokens.get(user_id)
            refuse = self._faults().refuse_login
        if token is None or token[1] < time.monotonic():
            raise invalid_token
        key = self._store.get_meta(f"accesskey:{user_id}")
        if key is None:
            raise SandboxError("ACCESSKEY_UNDEFINED", "Access key for the user is undefined")
        expected = hashlib.md5((token[0] + key).encode()).hexdigest()  # noqa: S324 - vtiger's scheme
        given = params.get("accessKey", "")
        if refuse or not secrets.compare_digest(expected, given) or user.get("status") != "Active":
            raise SandboxError("INVALID_USER_CREDENTIALS", "Invalid username or password")
        session_name = format(self._rng.getrandbits(31), "x") + secrets.token_hex(7)[:13]
        with self._lock:
            self._sessions[session_name] = _Session(user_id, time.monotonic())
        return self._login_answer(session_name, user_id, user)

    def _login_answer(
        self, session_name: str, user_id: int, user: dict[str, Any]
    ) -> dict[str, Any]:
        """vtiger's answer, or Kafinea's (`sessionId`, `kafineaVersion`), or both."""
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
        if self._login_style in ("kafinea", "both"):
            result["sessionId"] = session_name
            result["kafineaVersion"] = "2025.1"
        if self._login_style == "kafinea":
            del result["sessionName"], result["vtigerVersion"]
        return result

    def _find_user(self, username: str) -> tuple[int, dict[str, Any]] | None:
        rows = self._store.select(
            "SELECT id, data FROM entity WHERE module = 'Users' AND deleted = 0"
            " AND json_extract(data, '$.user_name') = ? COLLATE NOCASE",
            (username,),
        )
        if not rows:
            return None
        return int(rows[0][0]), json.loads(rows[0][1])
