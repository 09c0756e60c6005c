"""vtiger `webservice.php` client, as Kafinea serves it.

Layers, each with one concern (like httpx's Client → transport):
- public operations (`query`, `retrieve`, `create`, …) build parameters;
- `_call()` picks GET or POST for the operation (the server reads each operation's parameters
  from one method only), adds the session, logs in again once when the session died, and
  unwraps the `{success, result|error}` envelope;
- `_send()` is the only place that talks to `requests`, and `_transport_errors()` the only place
  that knows `requests.exceptions`: they become NotSent / OutcomeUnknown / ProtocolError.

The access key and the session name stay in private attributes: never in `repr`, exception
messages or logs (urllib3's debug log of request lines is redacted by a filter).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import requests.adapters
import requests.exceptions

from appliance.kafinea.errors import (
    ApiError,
    BadCredentials,
    InsecureAddress,
    KafineaError,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
    SessionExpired,
    api_error,
)
from appliance.kafinea.vtql import PAGE_SIZE, Query, pages

log = logging.getLogger(__name__)

GET_OPERATIONS = frozenset(
    {
        "getchallenge",
        "listtypes",
        "describe",
        "retrieve",
        "query",
        "sync",
        "relatedtypes",
        "retrieve_related",
        "query_related",
    }
)
POST_OPERATIONS = frozenset(
    {"login", "create", "update", "revise", "delete", "logout", "add_related", "extendsession"}
)
WRITE_OPERATIONS = frozenset({"create", "update", "revise", "delete", "add_related"})
PRE_LOGIN = frozenset({"getchallenge", "login"})
# A wrong key is reported after ~1.5 s of retries; two clients racing rarely lose 5 in a row.
LOGIN_ATTEMPTS = 5
RACE_CODES = frozenset({"INVALID_USER_CREDENTIALS", "INVALID_AUTH_TOKEN"})

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
USER_AGENT = "appliance-caisse-kafinea/0.1"


class _RedactSession(logging.Filter):
    """urllib3 logs request lines at DEBUG; GET lines carry `sessionName` in the query."""

    _pattern = re.compile(r"(sessionName=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self._pattern.sub(r"\1***", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


_REDACT = _RedactSession()


def _install_log_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if _REDACT not in logger.filters:
        logger.addFilter(_REDACT)


@dataclass(frozen=True)
class LoginInfo:
    """What login told us (without the session name)."""

    user_id: str
    version: str
    server_version: str
    extra: dict[str, Any]


class KafineaClient:
    """One technical user's connection to one instance; safe to share between threads."""

    def __init__(
        self,
        url: str,
        username: str,
        access_key: str,
        *,
        timeout_s: float = 10.0,
        session: requests.Session | None = None,
        pool_size: int = 8,
        verify: bool | str = True,
    ) -> None:
        """`url` is the instance base (webservice.php is appended) or the endpoint itself."""
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("webservice.php") else base + "/webservice.php"
        self.username = username
        self.timeout_s = timeout_s
        self.round_trips = 0
        parts = urlsplit(self.endpoint)
        self._host = parts.netloc
        # The session name travels in every URL: plain http only to this machine.
        self._plain_http_refused = parts.scheme == "http" and not _is_loopback(parts.hostname)
        self.__access_key = access_key
        self.__session_name: str | None = None
        self._session_generation = 0
        self._login_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._describe_cache: dict[str, dict[str, Any]] = {}
        self.login_info: LoginInfo | None = None
        self._owns_http = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=1, pool_maxsize=pool_size, max_retries=0
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            # No proxy or .netrc from the environment: a stray .netrc would add credentials
            # to our requests, and the per-request lookups cost a third of a loopback call.
            session.trust_env = False
        session.verify = verify
        self._http = session
        _install_log_redaction()

    def __repr__(self) -> str:
        state = "logged in" if self.__session_name else "not logged in"
        return f"<KafineaClient {self.endpoint} user={self.username} {state}>"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> KafineaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ session

    def login(self) -> LoginInfo:
        """getchallenge then login with md5(token + accessKey), never sending an old session."""
        with self._login_lock:
            return self._login_locked()

    def _login_locked(self) -> LoginInfo:
        # A getchallenge by another process for the same user replaces our token (the
        # server keeps one challenge per user):
        # a couple more exchanges after short random pauses tell a race from a wrong key.
        for attempt in range(LOGIN_ATTEMPTS - 1):
            try:
                return self._challenge_and_login()
            except BadCredentials as exc:
                if exc.code not in RACE_CODES:
                    raise
                time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
        return self._challenge_and_login()

    def _challenge_and_login(self) -> LoginInfo:
        self.__session_name = None
        challenge = self._call_raw("getchallenge", {"username": self.username}, None)
        token = challenge.get("token") if isinstance(challenge, dict) else None
        if not isinstance(token, str) or not token:
            raise ProtocolError("getchallenge a répondu sans jeton")
        digest = hashlib.md5((token + self.__access_key).encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's own scheme
        result = self._call_raw("login", {"username": self.username, "accessKey": digest}, None)
        if not isinstance(result, dict):
            raise ProtocolError("login a répondu sans objet résultat")
        session_name = result.get("sessionName") or result.get("sessionId")
        if not isinstance(session_name, str) or not session_name:
            raise ProtocolError("login a répondu sans sessionName ni sessionId")
        self.__session_name = session_name
        self._session_generation += 1
        secret_keys = {"sessionName", "sessionId"}
        self.login_info = LoginInfo(
            user_id=str(result.get("userId", "")),
            version=str(result.get("version", "")),
            server_version=str(result.get("kafineaVersion") or result.get("vtigerVersion") or ""),
            extra={k: v for k, v in result.items() if k not in secret_keys},
        )
        log.info("logged in to %s as %s", self._host, self.username)
        return self.login_info

    @property
    def logged_in(self) -> bool:
        return self.__session_name is not None

    def _session_for_call(self) -> tuple[str, int]:
        with self._login_lock:
            if self.__session_name is None:
                self._login_locked()
            assert self.__session_name is not None
            return self.__session_name, self._session_generation

    def _relogin_after(self, generation: int) -> None:
        """Log in again unless another thread already did since `generation` failed."""
        with self._login_lock:
            if self._session_generation == generation:
                log.info("session on %s expired; logging in again", self._host)
                self._login_locked()

    # ------------------------------------------------------------------ calls

    def _call(self, operation: str, params: dict[str, str]) -> Any:
        session_name, generation = self._session_for_call()
        try:
            return self._call_raw(operation, params, session_name)
        except SessionExpired:
            self._relogin_after(generation)
            session_name, _ = self._session_for_call()
            return self._call_raw(operation, params, session_name)

    def _call_raw(self, operation: str, params: dict[str, str], session_name: str | None) -> Any:
        method = "GET" if operation in GET_OPERATIONS else "POST"
        fields = {"operation": operation, **params}
        if session_name is not None:
            fields["sessionName"] = session_name
        try:
            response = self._send(method, operation, fields)
        except OutcomeUnknown:
            if method == "POST" and operation != "login":
                raise
            # A read (or a login) is idempotent: one more try on a fresh connection.
            response = self._send(method, operation, fields)
        return self._unwrap(operation, response)

    def _send(self, method: str, operation: str, fields: dict[str, str]) -> requests.Response:
        if self._plain_http_refused:
            raise InsecureAddress(f"http:// en clair vers {self._host}")
        with self._count_lock:
            self.round_trips += 1
        timeout = (min(5.0, self.timeout_s), self.timeout_s)
        with self._transport_errors(operation):
            # Encoded here rather than by requests: its per-field merging costs more CPU than
            # the whole loopback round trip of a catalogue pull's retrieve.
            encoded = urlencode(fields)
            if method == "GET":
                return self._http.get(f"{self.endpoint}?{encoded}", timeout=timeout)
            return self._http.post(
                self.endpoint, data=encoded.encode("ascii"), headers=_FORM, timeout=timeout
            )

    @contextmanager
    def _transport_errors(self, operation: str) -> Iterator[None]:
        """The one boundary where `requests` errors become ours (French, without URLs: the
        technician reads them in parentheses after `errors.describe`'s sentence)."""
        where = f"{operation} vers {self._host}"
        try:
            yield
        except requests.exceptions.SSLError:
            raise NotSent(f"échec de la vérification TLS de {self._host}") from None
        except requests.exceptions.ConnectTimeout:
            raise NotSent(f"délai de connexion dépassé : {where}") from None
        except requests.exceptions.ReadTimeout:
            waited = _seconds(self.timeout_s)
            raise OutcomeUnknown(f"pas de réponse en {waited} : {where}") from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise NotSent(f"connexion impossible à {self._host}") from None
            raise OutcomeUnknown(f"connexion perdue pendant {where}") from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise OutcomeUnknown(f"réponse tronquée : {where}") from None
        except requests.exceptions.RequestException as exc:
            raise NotSent(f"requête non envoyée ({type(exc).__name__}) : {where}") from None

    def _unwrap(self, operation: str, response: requests.Response) -> Any:
        body = response.content
        write = operation in WRITE_OPERATIONS
        failure: type[KafineaError] = OutcomeUnknown if write else ProtocolError
        if response.status_code != 200:
            message = f"HTTP {response.status_code} avec {_describe_body(body)} pour {operation}"
            raise (failure(message) if write else ProtocolError(message, response.status_code))
        envelope = _parse_envelope(body)
        if envelope is None:
            message = f"réponse à {operation} non JSON ({_describe_body(body)})"
            raise failure(message)
        if envelope.get("success") is True:
            return envelope.get("result")
        error = envelope.get("error")
        if not isinstance(error, dict):
            raise failure(f"réponse à {operation} sans résultat ni erreur")
        code = str(error.get("code", ""))
        message = str(error.get("message", ""))
        raise api_error(code, message, operation)

    # ------------------------------------------------------------------ operations

    def listtypes(self) -> dict[str, Any]:
        """`{"types": [...], "information": {name: {"label", "isEntity", ...}}}`."""
        result = self._call("listtypes", {})
        if not isinstance(result, dict) or not isinstance(result.get("types"), list):
            raise ProtocolError("listtypes a répondu dans une forme inattendue")
        return result

    def describe(self, module: str) -> dict[str, Any]:
        """Module metadata (fields, idPrefix, labelFields); cached for the client's life."""
        cached = self._describe_cache.get(module)
        if cached is not None:
            return cached
        result = self._call("describe", {"elementType": module})
        if not isinstance(result, dict) or not isinstance(result.get("fields"), list):
            raise ProtocolError(f"describe {module} a répondu dans une forme inattendue")
        self._describe_cache[module] = result
        return result

    def retrieve(self, record_id: str) -> dict[str, Any]:
        return self._record(self._call("retrieve", {"id": record_id}), "retrieve")

    def create(self, module: str, element: dict[str, Any]) -> dict[str, Any]:
        params = {"elementType": module, "element": json.dumps(element)}
        return self._record(self._call("create", params), "create")

    def revise(self, element: dict[str, Any]) -> dict[str, Any]:
        """Partial update: only the given fields change (prefer it to `update`)."""
        return self._record(self._call("revise", {"element": json.dumps(element)}), "revise")

    def update(self, element: dict[str, Any]) -> dict[str, Any]:
        """Full update: every mandatory field must be present."""
        return self._record(self._call("update", {"element": json.dumps(element)}), "update")

    def delete(self, record_id: str) -> None:
        self._call("delete", {"id": record_id})

    def query(self, query: Query | str) -> list[dict[str, Any]]:
        """One page (at most 100 rows: the server caps every query)."""
        text = query.render() if isinstance(query, Query) else query
        result = self._call("query", {"query": text})
        if not isinstance(result, list):
            raise ProtocolError("query a répondu autre chose qu'une liste")
        return result

    def query_all(
        self,
        query: Query,
        *,
        progress: Callable[[int], None] | None = None,
        max_rows: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row, page by page (`LIMIT offset,100`, stable `ORDER BY id`).

        Stops after a page shorter than 100 rows, so a listing of N rows costs ceil(N/100)
        round trips (one more when N is a multiple of 100).
        """
        seen = 0
        for page in pages(query):
            rows = self.query(page)
            for row in rows:
                yield row
                seen += 1
                if max_rows is not None and seen >= max_rows:
                    return
            if progress is not None:
                progress(seen)
            if len(rows) < PAGE_SIZE:
                return

    def count(self, query: Query) -> int | None:
        """`count(*)`, or None when the server answers `[]` (vtiger 8.3 loses that row)."""
        rows = self.query(query.counting())
        if not rows:
            return None
        try:
            return int(rows[0]["count"])
        except (KeyError, TypeError, ValueError):
            raise ProtocolError("count(*) a répondu dans une forme inattendue") from None

    def id_prefix(self, module: str) -> str:
        prefix = self.describe(module).get("idPrefix")
        if not prefix:
            raise ProtocolError(f"describe {module} sans idPrefix")
        return str(prefix)

    @staticmethod
    def _record(result: Any, operation: str) -> dict[str, Any]:
        if not isinstance(result, dict):
            raise ProtocolError(f"{operation} a répondu autre chose qu'un enregistrement")
        return result


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when urllib3 failed to open the connection (so nothing was sent)."""
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    name = type(inner).__name__
    return name in {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError"}


def _parse_envelope(body: bytes) -> dict[str, Any] | None:
    """The JSON envelope, tolerating PHP warnings or HTML that the server printed before it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    start = text.find('{"success"')
    if start == -1:
        start = 0 if text.lstrip().startswith("{") else -1
    if start == -1:
        return None
    try:
        value = json.loads(text[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) and "success" in value else None


def _describe_body(body: bytes) -> str:
    head = body[:200].lstrip().lower()
    if not head:
        return "un corps vide"
    if head.startswith((b"<!doctype", b"<html", b"<")):
        return "une page HTML"
    return f"{len(body)} octets de texte non JSON"


def _seconds(value: float) -> str:
    """A duration the French way: 0.5 -> "0,5 s"."""
    return f"{value:g} s".replace(".", ",")


__all__ = [
    "GET_OPERATIONS",
    "POST_OPERATIONS",
    "ApiError",
    "KafineaClient",
    "KafineaError",
    "LoginInfo",
]
