"""Settings base: every part subclasses it with its own env prefix (DESIGN §4)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.db import MAX_OVERFLOW, POOL_SIZE, WAIT_SECONDS
from servicekit.tracing import TracingExporter
from wechat.accounts import WechatAccount
from wechat.dev import DEV_ENCODING_AES_KEY, DEV_WECHAT_ACCOUNTS
from wechat.pay_dev import DEV_APPID, DEV_MCHID

DEV_INTERNAL_TOKEN_SECRET = "dev-only-internal-token-secret-change-me"
# docker-compose.yml's fallback INTERNAL_TOKEN_SECRET.
DEV_COMPOSE_INTERNAL_TOKEN_SECRET = "compose-dev-internal-secret"
# The gateway's development staff API key (sent as `X-Api-Key`), holding every role.
DEV_STAFF_KEY = "dev-staff-key"
# The gateway's development key of an editor of 莞香花开 and 荔香大朗 (editor:gxhk, editor:lxdl).
DEV_EDITOR_KEY = "dev-editor-key"
# HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2).
MIN_SECRET_LENGTH = 32
# WeChat accepts callback tokens of 3 to 32 characters; short ones can be guessed from a
# captured signature offline, so outside development we ask for at least 16.
MIN_WECHAT_TOKEN_LENGTH = 16
MAX_WECHAT_TOKEN_LENGTH = 32

# Values published in this repository or in WeChat's documentation: anyone may hold them, so
# outside ENV=dev no setting may carry one.
DEVELOPMENT_VALUES: frozenset[str] = frozenset(
    {
        DEV_INTERNAL_TOKEN_SECRET,
        DEV_COMPOSE_INTERNAL_TOKEN_SECRET,
        DEV_STAFF_KEY,
        DEV_EDITOR_KEY,
        DEV_ENCODING_AES_KEY,
        DEV_MCHID,
        DEV_APPID,
        *(
            account[field]
            for account in DEV_WECHAT_ACCOUNTS
            for field in ("appid", "token", "encoding_aes_key", "app_secret")
        ),
    }
)


def refuse_development_value(name: str, value: str) -> None:
    """Raise ValueError naming the setting `name` (never the value) if `value` is published."""
    if value in DEVELOPMENT_VALUES:
        raise ValueError(
            f"{name} is a published development value; set one of your own when ENV is not dev"
        )


def refuse_weak_secret(
    name: str, value: str, min_length: int = MIN_SECRET_LENGTH, max_length: int | None = None
) -> None:
    """Raise ValueError naming the setting `name` (never the value) if `value` is a development
    value or its length is outside `min_length`..`max_length`."""
    refuse_development_value(name, value)
    if max_length is not None and not min_length <= len(value) <= max_length:
        raise ValueError(f"{name} must be {min_length} to {max_length} characters")
    if len(value) < min_length:
        raise ValueError(f"{name} must be at least {min_length} characters")


def refuse_weak_wechat_account(setting: str, account: WechatAccount) -> None:
    """Raise ValueError naming the account and field (never the value) if one of its
    credentials is a development value or too short for production."""
    where = f"{setting}: account {account.code}"
    refuse_development_value(f"{where} appid", account.appid)
    refuse_weak_secret(
        f"{where} token", account.token, MIN_WECHAT_TOKEN_LENGTH, MAX_WECHAT_TOKEN_LENGTH
    )
    if account.encoding_aes_key:
        refuse_development_value(f"{where} encoding_aes_key", account.encoding_aes_key)
    if account.app_secret:
        refuse_weak_secret(f"{where} app_secret", account.app_secret)


class SharedSettings(BaseSettings):
    """Unprefixed values every part reads: the environment, the internal token secret and where
    finished trace spans go (`servicekit.tracing`)."""

    # A refused setting must not echo the secrets around it.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    env: Literal["dev", "prod"] = "prod"
    internal_token_secret: str = ""
    # none: ids are still minted and propagated for the logs, no span is recorded.
    tracing_exporter: TracingExporter = "none"

    @model_validator(mode="after")
    def _secret_required_outside_dev(self) -> SharedSettings:
        if not self.internal_token_secret:
            if self.env != "dev":
                raise ValueError("INTERNAL_TOKEN_SECRET is required when ENV is not dev")
            self.internal_token_secret = DEV_INTERNAL_TOKEN_SECRET
        elif self.env != "dev":
            refuse_weak_secret("INTERNAL_TOKEN_SECRET", self.internal_token_secret)
        return self


class ServiceSettings(BaseSettings):
    """Fields common to every part; subclasses set `env_prefix` and `service_name`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    service_name: ClassVar[str] = "service"
    database_url: str = ""
    # Requests served at once with a connection each, extra connections for background work,
    # and how long a request waits for either before a 503 (see servicekit.db.DatabaseGate).
    db_pool_size: int = Field(default=POOL_SIZE, ge=1, le=100)
    db_max_overflow: int = Field(default=MAX_OVERFLOW, ge=0, le=100)
    db_wait_seconds: float = Field(default=WAIT_SECONDS, gt=0, le=60)
    log_level: str = "INFO"
    # How long this process keeps a public answer (see servicekit.http_cache); 0 keeps none.
    response_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    shared: SharedSettings = Field(default_factory=SharedSettings)

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///var/{self.service_name}.db"
        return self
