"""Read-only checks of a Kafinea connection: can this till sell? (used by `appliance doctor`).

Each check records what it found, problems (the till cannot sell) and warnings (it can, but
something will look wrong). Nothing is written to Kafinea. The login is `login.check_login`,
the one the wizard, the login screen and `appliance setup` use ("test before configure").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import KafineaError, describe
from appliance.kafinea.register_pull import fetch_register, split_multi
from appliance.kafinea.schema import SchemaError, SchemaMap, discover
from appliance.kafinea.vtql import VtqlError, cond, select
from appliance.provisioning.login import check_login


@dataclass
class KafineaHealth:
    ok: bool = False
    login: dict[str, Any] = field(default_factory=lambda: {"ok": False})
    schema: SchemaMap | None = None
    user: dict[str, Any] = field(default_factory=dict)
    register: dict[str, Any] = field(default_factory=lambda: {"found": False})
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        modules = self.schema.to_json() if self.schema is not None else {}
        return {
            "ok": self.ok,
            "login": self.login,
            "modules": modules,
            "user": self.user,
            "register": self.register,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def _check_user(client: KafineaClient, schema: SchemaMap, health: KafineaHealth) -> None:
    user_id = client.login_info.user_id if client.login_info else ""
    record = client.retrieve(user_id)
    decimals_field = schema.field_or_none("users", "currency_decimals")
    decimals = str(record.get(decimals_field, "")) if decimals_field else ""
    health.user = {"id": user_id, "currency_decimals": decimals or None}
    if decimals != "2":
        health.warnings.append(
            f"décimales monétaires de l'utilisateur technique : {decimals or 'non réglées'},"
            " pas 2 : Kafinea arrondira les montants des factures (à régler dans les"
            " préférences de l'utilisateur)"
        )


def register_names(client: KafineaClient, schema: SchemaMap) -> list[str]:
    """The names of the registers Kafinea knows (none when it has no registers module)."""
    if not schema.has("cash_registers"):
        return []
    name = schema.field("cash_registers", "name")
    rows = client.query_all(select(schema.module("cash_registers"), name))
    return sorted({str(row.get(name) or "") for row in rows} - {""})


def _check_register(
    client: KafineaClient,
    schema: SchemaMap,
    health: KafineaHealth,
    wanted: str,
    local_default_account: str | None,
) -> None:
    if not schema.has("cash_registers"):
        health.register = {"found": False, "source": "config", "name": wanted}
        if not local_default_account:
            health.problems.append(
                "pas de module Caisses enregistreuses dans Kafinea et pas de [register]"
                " default_account dans la configuration"
            )
        else:
            _check_account(client, schema, health, local_default_account)
        return
    remote = fetch_register(client, schema, wanted)  # the very read the catalogue refresh does
    if remote is None:
        health.register = {"found": False, "source": "kafinea", "name": wanted}
        health.problems.append(f"caisse {wanted!r} introuvable dans Kafinea (par nom ou numéro)")
        return
    values = remote.values
    health.register = {
        "found": True,
        "source": "kafinea",
        "id": remote.id,
        "name": values["name"],
        "number": values["number"],
        "sellers": list(split_multi(values["sellers"])),
        "payment_methods": list(split_multi(values["payment_methods"])),
        "printer_address": values["printer_address"] or None,
        "default_account_id": values["default_account"] or None,
    }
    if local_default_account:
        _check_account(client, schema, health, local_default_account)
    elif not values["default_account"]:
        health.problems.append(f"la caisse {wanted!r} n'a pas de compte client par défaut")


def _check_account(
    client: KafineaClient, schema: SchemaMap, health: KafineaHealth, name: str
) -> None:
    module = schema.module("accounts")
    rows = client.query(select(module).where(cond(schema.field("accounts", "name"), "=", name)))
    health.register["default_account"] = name
    if not rows:
        health.problems.append(f"compte par défaut {name!r} introuvable dans Kafinea")


def check_kafinea(
    client: KafineaClient,
    register: str,
    *,
    module_overrides: Mapping[str, str] | None = None,
    field_overrides: Mapping[str, Mapping[str, str]] | None = None,
    local_default_account: str | None = None,
) -> KafineaHealth:
    """Log in, map the schema, read the user's preferences and find the register."""
    health = KafineaHealth()
    login = check_login(client)
    if login.info is None:
        health.login = {"ok": False, "error": login.reason}
        health.problems.append(login.reason)
        return health
    info = login.info
    health.login = {"ok": True, "user_id": info.user_id, "server_version": info.server_version}
    try:
        health.schema = discover(client, module_overrides, field_overrides)
        health.problems.extend(health.schema.problems())
        _check_user(client, health.schema, health)
        _check_register(client, health.schema, health, register, local_default_account)
    except SchemaError as exc:
        health.problems.append(str(exc))
    except VtqlError as exc:
        health.problems.append(f"recherche de la caisse impossible : {exc}")
    except KafineaError as exc:
        health.problems.append(describe(exc))
    health.ok = not health.problems
    return health
