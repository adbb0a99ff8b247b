"""`python -m accounts migrate|downgrade|seed|serve|deliver-outbox`."""

from accounts.main import create_app
from accounts.outbox import deliver_outbox_command
from accounts.seed import seed
from accounts.settings import AccountsSettings
from servicekit.cli import CliCommand, run_service_cli

COMMANDS = {
    "deliver-outbox": CliCommand(
        help="deliver the outbox messages due now, once (for cron)", run=deliver_outbox_command
    )
}

if __name__ == "__main__":
    run_service_cli("accounts", AccountsSettings, create_app, seed=seed, extra_commands=COMMANDS)
