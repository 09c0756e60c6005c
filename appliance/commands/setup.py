"""`appliance setup --from FILE`: apply a technician's appliance-setup.toml (provisioning).

Run at boot by appliance-provision.service on /boot/firmware/appliance-setup.toml, or by hand.
Prints one line per problem and exits 1 without changing anything when the file is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import Subparsers
from appliance.provisioning.apply import check_setup_login, provision
from appliance.provisioning.setup_file import SetupError


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "setup",
        help="configurer la caisse depuis un fichier appliance-setup.toml",
        description="Valide tout le fichier (et la connexion Kafinea quand elle répond), puis"
        " écrit la configuration, la clé d'accès (0600), le Wi-Fi, le fuseau horaire, la"
        " rotation de l'écran et la clé SSH du support ; réécrit enfin le fichier sans ses"
        " secrets sous le nom appliance-setup.applied.toml.",
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE",
                        help="le fichier appliance-setup.toml à appliquer")
    parser.add_argument("--root", type=Path, default=Path("/"),
                        help="racine du système à configurer (défaut : /)")
    parser.add_argument("--offline", action="store_true",
                        help="ne pas vérifier la connexion à Kafinea")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    try:
        login = None if args.offline else check_setup_login
        outcome = provision(args.source, args.root, login=login)
    except SetupError as exc:
        for problem in exc.problems:
            print(f"appliance setup: {problem}", file=sys.stderr)
        print("appliance setup: rien n'a été modifié", file=sys.stderr)
        return 1
    for warning in outcome.warnings:
        print(f"appliance setup: attention: {warning}", file=sys.stderr)
    print(f"appliance setup: OK ({', '.join(outcome.applied)}); trace : {outcome.record}")
    return 0
