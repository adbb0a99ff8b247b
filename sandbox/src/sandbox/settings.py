"""Sandbox settings (env prefix `SANDBOX_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SandboxSettings(ServiceSettings):
    """Settings of the sandbox."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "sandbox"

    gateway_url: str = "http://127.0.0.1:8000"
