"""Serve the sandbox app over HTTP/1.1 (keep-alive, one thread per connection).

`SandboxServer` owns the data directory: `sandbox.sqlite3` (state) and `sandbox.json`
(`{"url", "username", "access_key", "register"}`, mode 0600 since it holds the key), which
`appliance sandbox` writes on start so tools and tests can connect.

`running_sandbox(data_dir)` starts one in-process on a free loopback port for tests:

    with running_sandbox(tmp_path) as sandbox:
        client = KafineaClient(sandbox.url, sandbox.username, sandbox.access_key)
        sandbox.set_faults(http500=1, ops=["create"])
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.kafinea.sandbox.app import Request, SandboxApp
from appliance.kafinea.sandbox.errors import DropConnection
from appliance.kafinea.sandbox.faults import FaultPlan, plan_from_json
from appliance.kafinea.sandbox.seed import SeedInfo, add_products, seed_info, seed_shop
from appliance.kafinea.sandbox.store import Store

log = logging.getLogger(__name__)

DB_NAME = "sandbox.sqlite3"
INFO_NAME = "sandbox.json"
INSTANCE = "kfn000000001"


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}
MAX_LINE = 65536
MAX_HEADERS = 100
MAX_BODY = 16 * 1024 * 1024


class _BadRequest(Exception):
    """A request this small server will not parse."""


class _Handler(socketserver.StreamRequestHandler):
    """A lean HTTP/1.1 keep-alive loop: one `sendall` per answer, no header object model.

    http.server parses every header block with the e-mail parser and writes headers and body
    separately; at a hundred thousand retrieves per catalogue pull that doubled the sandbox's
    CPU per request. What vtiger's clients send (GET with a query string, POST with a
    form-encoded body and Content-Length) is all this needs to read.
    """

    server: _TCPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        with suppress(OSError):  # the client may have gone, or stop() shut the socket
            super().finish()

    def handle(self) -> None:
        try:
            while self._one_request():
                pass
        except _BadRequest:
            with suppress(OSError):
                self._send(400, b"Bad Request", "text/plain", close=True)
        except OSError:
            return  # the client went away

    def _read_line(self) -> bytes:
        line = self.rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise _BadRequest
        return line

    def _one_request(self) -> bool:
        line = self._read_line()
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise _BadRequest
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            header = self._read_line()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise _BadRequest
        if "transfer-encoding" in headers:
            raise _BadRequest
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise _BadRequest from None
        if not 0 <= length <= MAX_BODY:
            raise _BadRequest
        body = self.rfile.read(length) if length else b""
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        path, _, query = target.partition("?")
        request = Request(
            method=method,
            path=path,
            query_string=query,
            body=body,
            content_type=headers.get("content-type", ""),
            remote_addr=self.client_address[0],
        )
        log.debug("sandbox: %s %s", method, path)  # never the query: it holds sessionName
        try:
            response = self.server.app.handle(request)
        except DropConnection:
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return False
        except Exception:
            # The server thread's top loop: log, answer like a PHP fatal, keep serving.
            log.exception("sandbox: unexpected failure on %s", path)
            self._send(500, b"", "text/html", close=not keep)
            return keep
        self._send(response.status, response.body, response.content_type, close=not keep)
        return keep

    def _send(self, status: int, body: bytes, content_type: str, *, close: bool) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
            f"Server: Apache\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)


class _TCPServer(socketserver.ThreadingTCPServer):
    """Threaded server that can drop its open keep-alive connections when it stops.

    `shutdown()` only ends the accept loop: a handler thread keeps its client's connection
    and would go on answering (HTTP 500 from a closed store) to a client reusing it. A real
    Kafinea outage drops TCP connections; `close_connections()` does the same, so the client
    sees a connection error and reconnects once the sandbox is back.
    """

    daemon_threads = True
    allow_reuse_address = True
    app: SandboxApp

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self._live: dict[socket.socket, threading.Thread] = {}
        self._live_lock = threading.Lock()
        self._closing = False

    def track(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live[connection] = threading.current_thread()
            closing = self._closing
        if closing:  # accepted just as stop() ran: drop it like the others
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def untrack(self, connection: socket.socket) -> None:
        with self._live_lock:
            self._live.pop(connection, None)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Shut every open connection down and wait for its handler thread to end."""
        with self._live_lock:
            self._closing = True
            live = list(self._live.items())
        for connection, _ in live:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in live:
            if thread is not threading.current_thread():
                thread.join(timeout)


class _TCPServer6(_TCPServer):
    address_family = socket.AF_INET6


class SandboxServer:
    """A seeded sandbox bound to a port; `start()` serves in a thread, `stop()` ends it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        products: int = 0,
        faults: FaultPlan | None = None,
        reseed: bool = False,
        hidden_modules: frozenset[str] = frozenset(),
        login_style: str = "both",
        seed: int = 1,
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        if reseed:
            for suffix in ("", "-wal", "-shm"):
                (data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
        self.store = Store(data_dir / DB_NAME)
        rng = random.Random(seed)
        info = seed_info(self.store) or seed_shop(self.store, rng)
        generated = int(self.store.get_meta("generated") or "0")
        add_products(self.store, max(0, products - generated), rng)
        self.info: SeedInfo = info
        self.app = SandboxApp(
            self.store,
            faults=faults,
            hidden_modules=hidden_modules,
            login_style=login_style,
            seed=seed,
        )
        server_class = _TCPServer6 if ":" in host else _TCPServer
        self.httpd = server_class((host, port), _Handler)
        self.httpd.app = self.app
        self.port = int(self.httpd.server_address[1])
        url_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{url_host}:{self.port}/{INSTANCE}"
        self._thread: threading.Thread | None = None
        self._write_info()

    def _write_info(self) -> None:
        path = self.data_dir / INFO_NAME
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "url": self.url,
                    "username": self.info.username,
                    "access_key": self.info.access_key,
                    "register": self.info.register,
                },
                handle,
                ensure_ascii=False,
                indent=2,
            )
        os.replace(tmp, path)

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"sandbox:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, drop open connections (as an outage would), then close the store."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.close()


@dataclass
class SandboxHandle:
    """What a test needs from a running sandbox (the access key stays out of repr)."""

    url: str
    username: str
    register: str
    port: int
    server: SandboxServer

    @property
    def access_key(self) -> str:
        return self.server.info.access_key

    @property
    def app(self) -> SandboxApp:
        return self.server.app

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    def set_faults(self, plan: FaultPlan | None = None, **settings: Any) -> None:
        """Replace the fault plan: `set_faults(http500=1, ops=["create"])`; no args = none."""
        self.app.set_faults(plan if plan is not None else plan_from_json(settings))

    def expire_sessions(self) -> None:
        """End every open session now (the next call gets INVALID_SESSIONID)."""
        self.app.expire_sessions()

    def calls(self, operation: str | None = None) -> int:
        """Requests served so far (of one operation, or all)."""
        stats = self.app.stats
        return stats.total() if operation is None else stats.calls[operation]


@contextmanager
def running_sandbox(
    data_dir: str | os.PathLike[str],
    products: int = 0,
    *,
    faults: FaultPlan | None = None,
    hidden_modules: frozenset[str] | set[str] = frozenset(),
    login_style: str = "both",
) -> Iterator[SandboxHandle]:
    """A seeded sandbox on 127.0.0.1 and a free port, stopped on exit."""
    server = SandboxServer(
        Path(data_dir),
        products=products,
        faults=faults,
        hidden_modules=frozenset(hidden_modules),
        login_style=login_style,
    )
    server.start()
    try:
        yield SandboxHandle(
            url=server.url,
            username=server.info.username,
            register=server.info.register,
            port=server.port,
            server=server,
        )
    finally:
        server.stop()
