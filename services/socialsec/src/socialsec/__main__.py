"""`python -m socialsec migrate|downgrade|seed|serve`."""

from servicekit.cli import run_service_cli
from socialsec.main import create_app
from socialsec.seed import seed
from socialsec.settings import SocialsecSettings

if __name__ == "__main__":
    run_service_cli("socialsec", SocialsecSettings, create_app, seed=seed)
