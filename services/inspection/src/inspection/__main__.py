"""`python -m inspection migrate|downgrade|seed|serve|send-reminders`."""

import sys

from inspection.main import create_app
from inspection.reminder_schedule import COMMAND, send_reminders_cli
from inspection.seed import seed
from inspection.settings import InspectionSettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    # send-reminders takes options of its own: they are parsed off before servicekit's.
    argv, send_reminders = send_reminders_cli(sys.argv[1:])
    run_service_cli(
        "inspection",
        InspectionSettings,
        create_app,
        seed=seed,
        argv=argv,
        extra_commands={COMMAND: send_reminders},
    )
