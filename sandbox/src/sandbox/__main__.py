"""`python -m sandbox serve`."""

from sandbox.main import create_app
from sandbox.settings import SandboxSettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    run_service_cli(
        package="sandbox",
        settings_factory=SandboxSettings,
        app_factory=create_app,
        seed=None,
        default_port=8009,
        database=False,
    )
