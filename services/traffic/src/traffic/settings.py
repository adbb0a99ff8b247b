"""Traffic settings (env prefix `TRAFFIC_`)."""

from datetime import timedelta
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings
from traffic.bindings import Throttle


class TrafficSettings(ServiceSettings):
    """Settings of the traffic service."""

    model_config = SettingsConfigDict(env_prefix="TRAFFIC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "traffic"

    # Self-service handling online is limited to low-point violations; others go to a counter.
    online_handling_max_points: int = Field(default=3, ge=0, le=12)
    # Refused binding proofs allowed per citizen within the window before 429.
    binding_max_failures: int = Field(default=5, ge=1)
    binding_failure_window_seconds: int = Field(default=3600, ge=1)

    @property
    def binding_throttle(self) -> Throttle:
        """The binding throttle these settings describe."""
        return Throttle(
            max_failures=self.binding_max_failures,
            window=timedelta(seconds=self.binding_failure_window_seconds),
        )
