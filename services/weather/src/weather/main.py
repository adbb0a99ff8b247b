"""`create_app`: the weather service's FastAPI app."""

from fastapi import FastAPI

from servicekit.app import create_service_app
from weather.routes import forecasts, locations
from weather.settings import WeatherSettings


def create_app(settings: WeatherSettings) -> FastAPI:
    """Build the weather app on `settings`."""
    return create_service_app(
        settings,
        title="东莞天气 weather",
        description="东莞各镇街 5 天天气预报。",
        package="weather",
        routers=[locations.router, forecasts.router],
    )
