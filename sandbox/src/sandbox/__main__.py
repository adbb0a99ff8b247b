"""`python -m sandbox serve`."""

from sandbox.main import create_app
from sandbox.settings import SandboxSettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    run_service_cli("sandbox", SandboxSettings, create_app, database=False)
