"""`python -m accounts migrate|downgrade|seed|serve|deliver-outbox|push-articles|
import-statistics`."""

import sys

from accounts.main import create_app
from accounts.outbox import deliver_outbox_command
from accounts.pusher import push_articles_command
from accounts.seed import seed
from accounts.settings import AccountsSettings
from accounts.statistics_schedule import COMMAND, import_statistics_cli
from servicekit.cli import CliCommand, run_service_cli

COMMANDS = {
    "deliver-outbox": CliCommand(
        help="deliver the outbox messages due now, once (for cron)", run=deliver_outbox_command
    ),
    "push-articles": CliCommand(
        help="mass-send the article pushes due now, once each (for cron)", run=push_articles_command
    ),
}

if __name__ == "__main__":
    # import-statistics takes options of its own: they are parsed off before servicekit's.
    argv, import_statistics = import_statistics_cli(sys.argv[1:])
    commands = {**COMMANDS, COMMAND: import_statistics}
    run_service_cli(
        "accounts", AccountsSettings, create_app, seed=seed, argv=argv, extra_commands=commands
    )
