"""`python -m accounts migrate|downgrade|seed|serve`."""

from accounts.main import create_app
from accounts.seed import seed
from accounts.settings import AccountsSettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    run_service_cli(
        package="accounts",
        settings_factory=AccountsSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8001,
    )
