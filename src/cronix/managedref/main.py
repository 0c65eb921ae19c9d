"""``cronix-managed-ref``: run the reference managed scheduler (development and test only).

::

    export CRONIX_MANAGED_REF_TOKEN=$(openssl rand -hex 16)      # the API's bearer token
    cronix-managed-ref --state /tmp/managed/state.json --listen 127.0.0.1:8765

Prints one line ``cronix-managed-ref listening on http://HOST:PORT`` on stdout when it is
ready (``--listen 127.0.0.1:0`` picks a free port), then one JSON line per delivery
attempt on stderr. SIGTERM or SIGINT stops it cleanly (exit 0). A bad flag, a missing
token or an unreadable state file is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import NoReturn

__all__ = ["main"]

_TOKEN_ENV = "CRONIX_MANAGED_REF_TOKEN"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _die(message)


def _die(message: str) -> NoReturn:
    sys.stderr.write(f"cronix-managed-ref: error: {message}\n")
    sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cronix-managed-ref",
        description="The reference managed scheduler (spec/managed-scheduler.md v1): a development and "
        "test server, not a production scheduler.",
    )
    p.add_argument("--state", required=True, help="JSON file holding slots and deliveries (created)")
    p.add_argument("--keys", help="signing key file (created 0600; default: <state>.keys.json)")
    p.add_argument("--listen", default="127.0.0.1:8765", help="HOST:PORT to serve on (port 0: any free one)")
    p.add_argument("--issuer", help="iss of the fire tokens (default: the service's own URL)")
    p.add_argument("--alg", default="ES256", choices=("ES256", "RS256", "EdDSA"), help="new keys' algorithm")
    p.add_argument("--rotate-key", action="store_true", help="add a new signing key in front of the old ones")
    p.add_argument(
        "--duplicate-deliveries",
        type=int,
        default=1,
        metavar="N",
        help="test knob: send every attempt N times at once (at-least-once delivery, on purpose)",
    )
    p.add_argument("--token-env", default=_TOKEN_ENV, help=f"variable holding the API token [{_TOKEN_ENV}]")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get(args.token_env, "")
    if not token:
        _die(f"set ${args.token_env} to the API's bearer token (it is never taken from the command line)")
    host, sep, port_text = args.listen.rpartition(":")
    if not sep or not port_text.isdigit() or not host:
        _die(f"--listen must be HOST:PORT, got {args.listen!r}")
    if args.duplicate_deliveries < 1:
        _die("--duplicate-deliveries must be at least 1")
    try:
        import jwt  # noqa: F401
    except ImportError:
        from cronix.protocol.extras import install_hint

        _die(f"cronix-managed-ref needs PyJWT: {install_hint('jwt')}")

    from cronix.managedref.clock import DueLoop
    from cronix.managedref.delivery import Deliverer
    from cronix.managedref.keys import KeyRing
    from cronix.managedref.server import ManagedRefServer
    from cronix.managedref.store import Store

    try:
        store = Store(args.state)
        keys = KeyRing(args.keys or args.state + ".keys.json", alg=args.alg, rotate=args.rotate_key)
    except (OSError, ValueError, KeyError) as exc:
        _die(f"cannot use the state at {args.state}: {getattr(exc, 'strerror', None) or exc}")
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:
            sys.stderr.write(json.dumps({"msg": line}) + "\n")
            sys.stderr.flush()

    deliverer = Deliverer(store, keys, issuer="", duplicates=args.duplicate_deliveries, log=log)
    try:
        server = ManagedRefServer(
            (host, int(port_text)), store=store, keys=keys, deliverer=deliverer, token=token, issuer=""
        )
    except OSError as exc:
        _die(f"cannot listen on {args.listen}: {exc.strerror or exc}")
    issuer = args.issuer or server.url
    server.issuer = deliverer.issuer = issuer
    loop = DueLoop(store, deliverer)
    loop.start()

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"cronix-managed-ref listening on {server.url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        loop.stop()
        deliverer.stop()
        server.server_close()
        store.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
