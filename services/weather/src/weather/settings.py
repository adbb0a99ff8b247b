"""Weather settings (env prefix `WEATHER_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class WeatherSettings(ServiceSettings):
    """Settings of the weather service."""

    model_config = SettingsConfigDict(env_prefix="WEATHER_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "weather"
