"""`python -m gateway serve`."""

from gateway.main import create_app
from gateway.settings import GatewaySettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    run_service_cli(
        package="gateway",
        settings_factory=GatewaySettings,
        app_factory=create_app,
        seed=None,
        default_port=8000,
        database=False,
    )
