"""Weather settings (env prefix `WEATHER_`)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class WeatherSettings(ServiceSettings):
    """Settings of the weather service."""

    model_config = SettingsConfigDict(env_prefix="WEATHER_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "weather"

    # Where `python -m weather import-open-meteo --url` fetches from (production: Open-Meteo or
    # a mirror of it; nothing is fetched unless that command runs).
    open_meteo_url: str = "https://api.open-meteo.com/v1/forecast"
    open_meteo_timeout_seconds: float = Field(default=20.0, gt=0)
