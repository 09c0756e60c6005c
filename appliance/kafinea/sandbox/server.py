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
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=path,
            query_string=query,
            body=body,
            content_type=self.headers.get("Content-Type", ""),
            remote_addr=self.client_address[0],
        )
        try:
            response = self.server.app.handle(request)
        except DropConnection:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception:
            # The server thread's top loop: log, answer like a PHP fatal, keep serving.
            log.exception("sandbox: unexpected failure on %s", path)
            self._write(500, b"", "text/html")
            return
        self._write(response.status, response.body, response.content_type)

    def _write(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry sessionName: log the path only, at debug level.
        log.debug("sandbox: %s %s", self.command, self.path.partition("?")[0])


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: SandboxApp


class _HTTPServer6(_HTTPServer):
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
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
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
        self.httpd.shutdown()
        self.httpd.server_close()
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
