"""The sandbox starts, seeds the demo shop and answers a real client over loopback HTTP."""

from __future__ import annotations

import json
import stat

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.server import SandboxHandle
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
