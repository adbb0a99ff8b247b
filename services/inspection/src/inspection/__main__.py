"""`python -m inspection migrate|downgrade|seed|serve`."""

from inspection.main import create_app
from inspection.seed import seed
from inspection.settings import InspectionSettings
from servicekit.cli import run_service_cli

if __name__ == "__main__":
    run_service_cli("inspection", InspectionSettings, create_app, seed=seed)
