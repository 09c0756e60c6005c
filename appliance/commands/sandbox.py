"""`appliance sandbox` : un webservice compatible Kafinea sur la boucle locale, avec une
boutique de démonstration.

Au démarrage il écrit DIR/sandbox.json (url, username, access_key, register ; mode 0600)
pour que les outils et les tests s'y connectent. Les pannes se choisissent au lancement
(`--faults`, voir appliance/kafinea/sandbox/faults.py) ou ensuite par `POST /_sandbox/faults`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from appliance.commands import Subparsers
from appliance.kafinea.sandbox.faults import FaultSpecError, parse_spec
from appliance.kafinea.sandbox.seed import MAX_EXTRA_PRODUCTS
from appliance.kafinea.sandbox.server import SandboxServer


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="lancer un serveur local compatible Kafinea (boutique de démo, pannes simulées)",
        description=__doc__,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="adresse de boucle locale (défaut 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port TCP (0 : un port libre)")
    parser.add_argument("--data", type=Path, default=Path("sandbox-data"), help="répertoire d'état")
    parser.add_argument(
        "--products", type=int, default=0, help="produits générés à ajouter (jusqu'à 200000)"
    )
    parser.add_argument("--faults", default="", help="ex. latency=200,http500=2,ops=create")
    parser.add_argument(
        "--seed", action="store_true", help="effacer l'état de DIR et recréer la boutique de démo"
    )
    parser.add_argument(
        "--without",
        default="",
        help="masquer des modules Kafinea, séparés par des virgules (ex. Payments,CashRegisters),"
        " pour imiter un vtiger nu",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            print(f"sandbox : {args.host} n'est pas une adresse de boucle locale", file=sys.stderr)
            return 2
    except ValueError:
        print(f"sandbox : --host doit être une adresse IP, reçu {args.host!r}", file=sys.stderr)
        return 2
    if not 0 <= args.products <= MAX_EXTRA_PRODUCTS:
        print(f"sandbox : --products doit être entre 0 et {MAX_EXTRA_PRODUCTS}", file=sys.stderr)
        return 2
    try:
        faults = parse_spec(args.faults)
    except FaultSpecError as exc:
        print(f"sandbox : --faults : {exc}", file=sys.stderr)
        return 2
    hidden = frozenset(name.strip() for name in args.without.split(",") if name.strip())
    try:
        server = SandboxServer(
            args.data,
            host=args.host,
            port=args.port,
            products=args.products,
            faults=faults,
            reseed=args.seed,
            hidden_modules=hidden,
        )
    except OSError as exc:
        print(
            f"sandbox : démarrage impossible sur {args.host}:{args.port} : {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    print(
        f"sandbox : {server.url} (utilisateur {server.info.username} ;"
        f" clé dans {args.data}/sandbox.json)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
