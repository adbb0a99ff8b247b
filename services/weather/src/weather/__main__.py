"""`python -m weather migrate|downgrade|seed|serve`."""

from servicekit.cli import run_service_cli
from weather.main import create_app
from weather.seed import seed
from weather.settings import WeatherSettings

if __name__ == "__main__":
    run_service_cli(
        package="weather",
        settings_factory=WeatherSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8003,
    )
