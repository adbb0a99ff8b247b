"""`python -m gateway serve|publish-menus` (`serve`: the public and the internal listener)."""

from __future__ import annotations

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


def main(argv: Sequence[str] | None = None) -> None:
    """The gateway's command line."""
    # `serve` is looked up at each call: tests replace it so that nothing ever listens.
    run_service_cli(
        "gateway",
        GatewaySettings,
        create_app,
        database=False,
        argv=argv,
        serve=serve,
        extra_commands=COMMANDS,
    )


if __name__ == "__main__":
    main()
