"""`appliance sandbox`: a Kafinea-compatible webservice on loopback, seeded with a demo shop.

On start it writes DIR/sandbox.json (url, username, access_key, register; mode 0600) so tools
and tests can connect. Faults can be chosen now (`--faults`, see
appliance/kafinea/sandbox/faults.py) or later with `POST /_sandbox/faults`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from appliance.kafinea.sandbox.faults import FaultSpecError, parse_spec
from appliance.kafinea.sandbox.seed import MAX_EXTRA_PRODUCTS
from appliance.kafinea.sandbox.server import SandboxServer


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run a local Kafinea-compatible server (demo shop, fault injection)",
        description=__doc__,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    parser.add_argument("--data", type=Path, default=Path("sandbox-data"), help="state directory")
    parser.add_argument(
        "--products", type=int, default=0, help="generated products to add (up to 200000)"
    )
    parser.add_argument("--faults", default="", help="e.g. latency=200,http500=2,ops=create")
    parser.add_argument(
        "--seed", action="store_true", help="erase DIR's state and seed the demo shop again"
    )
    parser.add_argument(
        "--without",
        default="",
        help="hide Kafinea modules, comma-separated (e.g. Payments,CashRegisters) to act"
        " like a plain vtiger",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            print(f"sandbox: {args.host} is not a loopback address", file=sys.stderr)
            return 2
    except ValueError:
        print(f"sandbox: --host must be an IP address, got {args.host!r}", file=sys.stderr)
        return 2
    if not 0 <= args.products <= MAX_EXTRA_PRODUCTS:
        print(f"sandbox: --products must be 0..{MAX_EXTRA_PRODUCTS}", file=sys.stderr)
        return 2
    try:
        faults = parse_spec(args.faults)
    except FaultSpecError as exc:
        print(f"sandbox: --faults: {exc}", file=sys.stderr)
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
        print(f"sandbox: cannot start on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print(
        f"sandbox: {server.url} (user {server.info.username}; key in {args.data}/sandbox.json)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
