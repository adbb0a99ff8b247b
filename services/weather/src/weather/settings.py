"""Weather settings (env prefix `WEATHER_`)."""

from __future__ import annotations

from datetime import time
from typing import ClassVar

from pydantic import Field, model_validator
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

    # The daily bulletin's mass send through the gateway (`python -m weather push-bulletin`).
    # The gateway's internal listener (GATEWAY_INTERNAL_PORT, not its public port):
    # POST {gateway_url}/internal/wechat/{code}/...
    gateway_url: str = "http://127.0.0.1:8010"
    # The account the bulletin is mass-sent from: 东莞天气.
    bulletin_account: str = Field(default="dgtq", min_length=1, max_length=32)
    bulletin_author: str = Field(default="东莞天气", max_length=8)
    # When the scheduler pushes, Asia/Shanghai ("HH:MM").
    bulletin_push_at: time = time(16, 0)
    # The in-service scheduler: off by default so tests and extra replicas never push unasked;
    # `make run` / compose turn it on (or a cron job runs `push-bulletin` instead).
    bulletin_schedule: bool = False
    # One call to the gateway (it uploads the chart and the article, then mass-sends).
    bulletin_timeout_seconds: float = Field(default=60.0, gt=0)
    # A run that crashed mid-push holds its claim this long; after that another run may retry.
    bulletin_claim_lease_seconds: float = Field(default=300.0, gt=0)
    # The scheduler's retries of a failed push: attempts, then backoff doubling from base to max.
    bulletin_retry_attempts: int = Field(default=5, ge=1, le=20)
    bulletin_retry_backoff_seconds: float = Field(default=30.0, gt=0)
    bulletin_retry_backoff_max_seconds: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _lease_outlasts_a_push(self) -> WeatherSettings:
        if self.bulletin_claim_lease_seconds <= self.bulletin_timeout_seconds:
            raise ValueError(
                "WEATHER_BULLETIN_CLAIM_LEASE_SECONDS must exceed WEATHER_BULLETIN_TIMEOUT_SECONDS"
            )
        return self
