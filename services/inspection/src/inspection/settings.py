"""Inspection settings (env prefix `INSPECTION_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class InspectionSettings(ServiceSettings):
    """Settings of the special-equipment inspection service."""

    model_config = SettingsConfigDict(env_prefix="INSPECTION_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "inspection"
