"""`appliance doctor`: can this till sell? Configuration, Kafinea login, schema map, register.

Read-only. Exit 0 when the till can sell, 1 when something stops it (each reason printed),
2 when the configuration itself cannot be read. `--json` prints the same report as one JSON
object: {"config": …, "kafinea": {"ok", "login", "modules": {role: {"module", "found", …}},
…}, "printer": …, "can_sell": bool}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from appliance.config import Config, ConfigError, default_config_path, load_config
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.health import KafineaHealth, check_kafinea


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the configuration, the Kafinea connection and the register",
        description=__doc__,
    )
    parser.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    parser.add_argument("--json", action="store_true", help="print one JSON report")
    parser.set_defaults(handler=run)


def _printer(config: Config, health: KafineaHealth | None) -> dict[str, Any]:
    printer = config.printer
    return {
        "connection": str(printer.connection),
        "profile": printer.profile,
        "columns": printer.columns,
        "codepage": printer.codepage,
        "drawer": str(config.drawer.connection),
        "register_printer_address": (health.register.get("printer_address") if health else None),
    }


def _kafinea(config: Config) -> KafineaHealth:
    settings = config.kafinea
    health = KafineaHealth()
    if settings is None:
        health.problems.append("no [kafinea] table in the configuration")
        return health
    try:
        key = config.access_key()
    except ConfigError as exc:
        health.problems.append(str(exc))
        return health
    with KafineaClient(
        settings.url, settings.username, key, timeout_s=settings.timeout_s
    ) as client:
        return check_kafinea(
            client,
            settings.register,
            module_overrides=settings.modules,
            field_overrides=settings.fields,
            local_default_account=config.register.default_account,
        )


def report(config: Config) -> dict[str, Any]:
    health = _kafinea(config)
    kafinea = health.to_json()
    if config.kafinea is not None:
        kafinea["url"] = config.kafinea.url
        kafinea["username"] = config.kafinea.username
        kafinea["register_wanted"] = config.kafinea.register
    return {
        "config": {"path": str(config.path), "ok": True},
        "kafinea": kafinea,
        "printer": _printer(config, health),
        "can_sell": health.ok,
    }


def _print_text(data: dict[str, Any]) -> None:
    kafinea = data["kafinea"]
    print(f"configuration: {data['config']['path']} (ok)")
    login = kafinea.get("login", {})
    if login.get("ok"):
        print(
            f"kafinea: logged in to {kafinea.get('url')} as {kafinea.get('username')}"
            f" (user {login.get('user_id')})"
        )
    for role, entry in kafinea.get("modules", {}).items():
        if entry["found"]:
            print(f"  {role:18} -> {entry['module']} ({entry['source']})")
            missing = [name for name, f in entry["fields"].items() if not f["found"]]
            if missing:
                print(f"  {'':18}    fields not found: {', '.join(missing)}")
            chosen = [
                f"{name}={f['field']} ({f['source']})"
                for name, f in entry["fields"].items()
                if f["found"] and f["source"] != "default"
            ]
            if chosen:
                print(f"  {'':18}    fields: {', '.join(chosen)}")
        else:
            print(f"  {role:18} -> missing; fallback: {entry['fallback']}")
    register = kafinea.get("register", {})
    if register.get("found"):
        print(
            f"register: {register.get('name')} (n° {register.get('number')}),"
            f" sellers: {', '.join(register.get('sellers', [])) or 'none'},"
            f" payment methods: {', '.join(register.get('payment_methods', [])) or 'none'}"
        )
    printer = data["printer"]
    print(
        f"printer: {printer['connection']} (register record says:"
        f" {printer['register_printer_address'] or 'nothing'}); drawer: {printer['drawer']}"
    )
    for warning in kafinea.get("warnings", []):
        print(f"warning: {warning}")
    for problem in kafinea.get("problems", []):
        print(f"problem: {problem}")
    print("the till can sell" if data["can_sell"] else "the till cannot sell")


def run(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        if args.json:
            print(
                json.dumps(
                    {
                        "config": {"path": str(path), "ok": False, "error": str(exc)},
                        "kafinea": {"ok": False, "login": None, "modules": {}},
                        "can_sell": False,
                    }
                )
            )
        else:
            print(f"doctor: {exc}", file=sys.stderr)
        return 2
    data = report(config)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_text(data)
    return 0 if data["can_sell"] else 1
