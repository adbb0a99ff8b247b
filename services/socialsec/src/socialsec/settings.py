"""Social-security settings (env prefix `SOCIALSEC_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SocialsecSettings(ServiceSettings):
    """Settings of the social-security service."""

    model_config = SettingsConfigDict(env_prefix="SOCIALSEC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "socialsec"
