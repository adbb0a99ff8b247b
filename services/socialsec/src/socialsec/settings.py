"""Social-security settings (env prefix `SOCIALSEC_`)."""

from datetime import timedelta
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings
from socialsec.bindings import Throttle


class SocialsecSettings(ServiceSettings):
    """Settings of the social-security service."""

    model_config = SettingsConfigDict(env_prefix="SOCIALSEC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "socialsec"

    # The region whose rates charge the contributions held here.
    region: str = "dongguan"
    # Refused binding proofs allowed per citizen within the window before 429.
    binding_max_failures: int = Field(default=5, ge=1)
    binding_failure_window_seconds: int = Field(default=3600, ge=1)
    # Age from which residents without Dongguan household registration ride buses free.
    free_bus_age: int = Field(default=65, ge=50, le=100)
    # How long a certificate of insurance stays valid for checking.
    certificate_valid_days: int = Field(default=90, ge=1)

    @property
    def binding_throttle(self) -> Throttle:
        """The binding throttle these settings describe."""
        return Throttle(
            max_failures=self.binding_max_failures,
            window=timedelta(seconds=self.binding_failure_window_seconds),
        )
