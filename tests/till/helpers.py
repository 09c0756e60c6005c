"""Shared by the Till tests: a sandbox, a configuration file pointing at it, a Till.

Real parts only: the sandbox serves HTTP on loopback, the journal and the catalogue are SQLite
files under tmp_path, the printer (when asked) is the virtual TCP printer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from appliance.config import load_config, write_access_key
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.vtql import cond, select
from appliance.till import Till
from appliance.till.bootstrap import build_till

PIN = "1234"


def write_config(
    base: Path,
    sandbox,
    *,
    printer: str = "none",
    register: str | None = None,
    extra: str = "",
) -> Path:
    key_file = write_access_key(base / "kafinea.key", sandbox.access_key)
    path = base / "appliance.toml"
    path.write_text(
        f'data_dir = "{base / "data"}"\n\n[kafinea]\nurl = "{sandbox.url}"\n'
        f'username = "{sandbox.username}"\nregister = "{register or sandbox.register}"\n'
        f'access_key_file = "{key_file}"\ntimeout_s = 5\n\n[printer]\nconnection = "{printer}"\n'
        f'\n[register]\nmanager_pin = "{PIN}"\n{extra}',
        encoding="utf-8",
    )
    return path


@dataclass
class Shop:
    """Kafinea as a shop owner sees it: read and change records behind the till's back."""

    client: KafineaClient

    def first(self, module: str, *fields: str, **where: str):
        query = select(module, "id", *fields)
        for name, value in where.items():
            query = query.where(cond(name, "=", value))
        rows = self.client.query(query.limit(1))
        return rows[0] if rows else None

    def all(self, module: str, *fields: str, **where: str):
        query = select(module, "id", *fields)
        for name, value in where.items():
            query = query.where(cond(name, "=", value))
        return list(self.client.query_all(query))

    def register(self):
        return self.first("CashRegisters", "sellers", "account_id", cashregister_name="Caisse 1")

    def revise(self, record_id: str, **values: str) -> None:
        self.client.revise({"id": record_id, **values})


def shop_of(sandbox) -> Shop:
    return Shop(KafineaClient(sandbox.url, sandbox.username, sandbox.access_key))


def new_till(config_path: Path, **kw) -> Till:
    kw.setdefault("start_sync", False)
    return build_till(load_config(config_path), **kw)
