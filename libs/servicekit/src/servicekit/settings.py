"""Settings base: every part subclasses it with its own env prefix (DESIGN §4)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_TOKEN_SECRET = "dev-only-internal-token-secret-change-me"
# HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2).
MIN_SECRET_LENGTH = 32


class SharedSettings(BaseSettings):
    """Unprefixed values every part reads: the environment and the internal token secret."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Literal["dev", "prod"] = "prod"
    internal_token_secret: str = ""

    @model_validator(mode="after")
    def _secret_required_outside_dev(self) -> SharedSettings:
        if not self.internal_token_secret:
            if self.env != "dev":
                raise ValueError("INTERNAL_TOKEN_SECRET is required when ENV is not dev")
            self.internal_token_secret = DEV_INTERNAL_TOKEN_SECRET
        elif self.env != "dev" and len(self.internal_token_secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"INTERNAL_TOKEN_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        return self


class ServiceSettings(BaseSettings):
    """Fields common to every part; subclasses set `env_prefix` and `service_name`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    service_name: ClassVar[str] = "service"
    database_url: str = ""
    log_level: str = "INFO"
    shared: SharedSettings = Field(default_factory=SharedSettings)

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///var/{self.service_name}.db"
        return self
