"""`appliance doctor` : cette caisse peut-elle vendre ? Configuration, connexion Kafinea,
modules et champs trouvés, fiche de la caisse.

Lecture seule. Code de sortie 0 quand la caisse peut vendre, 1 quand quelque chose l'en
empêche (chaque raison est affichée), 2 quand la configuration elle-même est illisible.
`--json` donne le même rapport en un objet JSON (clés en anglais, stables pour les scripts) :
{"config": …, "kafinea": {"ok", "login", "modules": {rôle: {"module", "found", …}}, …},
"printer": …, "can_sell": bool}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from appliance.commands import Subparsers
from appliance.config import Config, ConfigError, default_config_path, load_config
from appliance.kafinea.client import KafineaClient
from appliance.provisioning.health import KafineaHealth, check_kafinea


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="vérifier la configuration, la connexion à Kafinea et la caisse",
        description=__doc__,
    )
    parser.add_argument("--config", type=Path, default=None, help="fichier de configuration TOML")
    parser.add_argument("--json", action="store_true", help="rapport en JSON")
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
        health.problems.append("pas de table [kafinea] dans la configuration")
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
    print(f"configuration : {data['config']['path']} (ok)")
    login = kafinea.get("login", {})
    if login.get("ok"):
        print(
            f"kafinea : connecté à {kafinea.get('url')} en tant que {kafinea.get('username')}"
            f" (utilisateur {login.get('user_id')})"
        )
    for role, entry in kafinea.get("modules", {}).items():
        if entry["found"]:
            print(f"  {role:18} -> {entry['module']} ({entry['source']})")
            missing = [name for name, f in entry["fields"].items() if not f["found"]]
            if missing:
                print(f"  {'':18}    champs introuvables : {', '.join(missing)}")
            chosen = [
                f"{name}={f['field']} ({f['source']})"
                for name, f in entry["fields"].items()
                if f["found"] and f["source"] != "default"
            ]
            if chosen:
                print(f"  {'':18}    champs : {', '.join(chosen)}")
        else:
            print(f"  {role:18} -> absent ; à la place : {entry['fallback']}")
    register = kafinea.get("register", {})
    if register.get("found"):
        print(
            f"caisse : {register.get('name')} (n° {register.get('number')}),"
            f" vendeurs : {', '.join(register.get('sellers', [])) or 'aucun'},"
            f" moyens de paiement : {', '.join(register.get('payment_methods', [])) or 'aucun'}"
        )
    printer = data["printer"]
    print(
        f"imprimante : {printer['connection']} (fiche de la caisse :"
        f" {printer['register_printer_address'] or 'rien'}) ; tiroir : {printer['drawer']}"
    )
    for warning in kafinea.get("warnings", []):
        print(f"attention : {warning}")
    for problem in kafinea.get("problems", []):
        print(f"problème : {problem}")
    print("la caisse peut vendre" if data["can_sell"] else "la caisse ne peut pas vendre")


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
