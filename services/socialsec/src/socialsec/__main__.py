"""`python -m socialsec migrate|downgrade|seed|serve`."""

from servicekit.cli import run_service_cli
from socialsec.main import create_app
from socialsec.seed import seed
from socialsec.settings import SocialsecSettings

if __name__ == "__main__":
    run_service_cli(
        package="socialsec",
        settings_factory=SocialsecSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8004,
    )
