"""The sandbox starts, seeds the demo shop and answers a real client over loopback HTTP."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import NotSent, OutcomeUnknown
from appliance.kafinea.sandbox.server import SandboxHandle, SandboxServer
from appliance.kafinea.vtql import cond, select


def test_running_sandbox_writes_connection_file(sandbox: SandboxHandle) -> None:
    info_path = sandbox.data_dir / "sandbox.json"
    info = json.loads(info_path.read_text())
    assert info == {
        "url": sandbox.url,
        "username": sandbox.username,
        "access_key": sandbox.access_key,
        "register": "Caisse 1",
    }
    assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
    assert sandbox.access_key not in repr(sandbox)


def test_client_logs_in_and_reads_the_register(client: KafineaClient) -> None:
    info = client.login()
    assert info.user_id.startswith("19x")
    rows = client.query(select("CashRegisters").where(cond("cashregister_name", "=", "Caisse 1")))
    assert len(rows) == 1
    assert rows[0]["sellers"].split(" |##| ") == ["Marie Dupont", "Karim Benali", "Julie Martin"]


def _exchange(sandbox: SandboxHandle, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_http_gets_400_and_the_server_keeps_serving(sandbox: SandboxHandle) -> None:
    assert _exchange(sandbox, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    huge = b"GET /x HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n"
    assert _exchange(sandbox, huge).startswith(b"HTTP/1.1 400 ")
    answer = _exchange(sandbox, b"GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ") and b"Connection: close" in answer
    two = _exchange(
        sandbox,
        b"GET /k/webservice.php?operation=listtypes HTTP/1.1\r\n\r\n"
        b"GET /k/webservice.php?operation=listtypes HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    assert two.count(b"HTTP/1.1 200 OK") == 2  # keep-alive: two answers on one connection
    assert b"AUTHENTICATION_REQUIRED" in two


def test_stop_drops_keep_alive_connections_so_a_client_reconnects(tmp_path: Path) -> None:
    """After a restart on the same port a pooled client reaches the new server, not a ghost."""
    server = SandboxServer(tmp_path / "sandbox")
    server.start()
    port = server.port
    client = KafineaClient(server.url, server.info.username, server.info.access_key, timeout_s=5)
    try:
        registers = select("CashRegisters")
        assert client.query(registers)  # opens a keep-alive connection the pool keeps
        server.stop()
        server = SandboxServer(tmp_path / "sandbox", port=port)
        server.start()
        answers: list[object] = []
        for _ in range(3):
            try:
                answers.append(client.query(registers))
            except (NotSent, OutcomeUnknown):
                continue  # a dropped connection may surface once; the next call reconnects
            break
        assert answers and answers[-1]
    finally:
        client.close()
        server.stop()
