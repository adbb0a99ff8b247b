"""`python -m gateway serve [--workers N]|publish-menus` (`serve`: the public and the internal
listener, in N processes sharing both ports)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from gateway.listeners import serve
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.wechat.menus import publish_menus
from servicekit.cli import CliCommand, run_service_cli


def publish_menus_command(settings: GatewaySettings) -> None:
    """Publish each account's menu from the registry where the platform's differs; exit 1 if any
    account failed."""
    result = asyncio.run(publish_menus(settings))
    for code, outcome in result.outcomes.items():
        print(f"{code}: {outcome}")
    for code, reason in result.failures.items():
        print(f"{code}: failed ({reason})", file=sys.stderr)
    if result.failures:
        sys.exit(1)


COMMANDS = {
    "publish-menus": CliCommand(
        help="publish each account's menu from the accounts registry (when changed)",
        run=publish_menus_command,
    )
}


def _workers(argv: Sequence[str]) -> tuple[int, list[str]]:
    """`serve --workers N` taken out of the command line (the kit's parser offers it only to
    parts served by one uvicorn server), and what is left for the kit."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workers", type=int, default=1)
    known, rest = parser.parse_known_args(argv)
    if known.workers < 1:
        sys.exit("gateway: --workers must be at least 1")
    return known.workers, rest


def main(argv: Sequence[str] | None = None) -> None:
    """The gateway's command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    workers = 1
    if args[:1] == ["serve"]:
        workers, args = _workers(args)
    run_service_cli(
        "gateway",
        GatewaySettings,
        create_app,
        database=False,
        argv=args,
        # `serve` is looked up at each call: tests replace it so that nothing ever listens.
        serve=lambda settings, host, port: serve(settings, host, port, workers=workers),
        extra_commands=COMMANDS,
    )


if __name__ == "__main__":
    main()
