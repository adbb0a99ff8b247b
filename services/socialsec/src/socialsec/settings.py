"""Social-security settings (env prefix `SOCIALSEC_`)."""

from typing import Annotated, ClassVar

from fastapi import Depends
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.bindings import BindingThrottleSettings
from servicekit.deps import settings_dependency
from servicekit.settings import ServiceSettings


class SocialsecSettings(BindingThrottleSettings, ServiceSettings):
    """Settings of the social-security service."""

    model_config = SettingsConfigDict(env_prefix="SOCIALSEC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "socialsec"

    # The region whose rates charge the contributions held here.
    region: str = "dongguan"
    # Age from which residents without Dongguan household registration ride buses free.
    free_bus_age: int = Field(default=65, ge=50, le=100)
    # How long a certificate of insurance stays valid for checking.
    certificate_valid_days: int = Field(default=90, ge=1)


SocialsecSettingsDep = Annotated[SocialsecSettings, Depends(settings_dependency(SocialsecSettings))]
