"""`python -m traffic migrate|downgrade|seed|serve`."""

from servicekit.cli import run_service_cli
from traffic.main import create_app
from traffic.seed import seed
from traffic.settings import TrafficSettings

if __name__ == "__main__":
    run_service_cli(
        package="traffic",
        settings_factory=TrafficSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8002,
    )
