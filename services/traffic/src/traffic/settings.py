"""Traffic settings (env prefix `TRAFFIC_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class TrafficSettings(ServiceSettings):
    """Settings of the traffic service."""

    model_config = SettingsConfigDict(env_prefix="TRAFFIC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "traffic"
