"""Accounts settings (env prefix `ACCOUNTS_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    """Settings of the accounts service."""

    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "accounts"
