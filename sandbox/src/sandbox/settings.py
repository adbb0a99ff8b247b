"""Sandbox settings (env prefix `SANDBOX_`) and the gateway's `GATEWAY_WECHAT_ACCOUNTS` (DESIGN §4).

The sandbox plays WeChat for the accounts the gateway serves, so it reads the same contract
variable. It is a separate part and imports nothing from the gateway: the small account shape is
declared again here, and a gateway test checks the development defaults of both still agree.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field, PositiveInt, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings
from servicekit.wechat_dev import DEV_WECHAT_ACCOUNTS as DEV_ACCOUNT_SETTINGS

AccountKind = Literal["subscription", "service"]


class WechatAccount(BaseModel):
    """One official account (an item of `GATEWAY_WECHAT_ACCOUNTS`, the shape of DESIGN §4)."""

    code: str
    appid: str
    token: str
    encoding_aes_key: str = ""
    app_secret: str = ""
    mode: Literal["plain", "compatible", "safe"] = "plain"


class AccountProfile(BaseModel):
    """What the platform knows of an account beyond its credentials: display name and kind."""

    name: str
    kind: AccountKind = "subscription"


DEV_WECHAT_ACCOUNTS = [WechatAccount(**account) for account in DEV_ACCOUNT_SETTINGS]

# Names and kinds of the chat accounts, as in the accounts registry's seed. The registry leaves
# 莞香花开's kind open; a city news office pushing daily is a subscription account.
DEFAULT_ACCOUNT_PROFILES = {
    "dgjj": AccountProfile(name="东莞交警", kind="service"),
    "dgtq": AccountProfile(name="东莞天气", kind="subscription"),
    "dgsb": AccountProfile(name="东莞社保", kind="service"),
    "gxhk": AccountProfile(name="莞香花开", kind="subscription"),
    "lxdl": AccountProfile(name="荔香大朗", kind="subscription"),
    "dgtj": AccountProfile(name="东莞特检", kind="service"),
}


class SandboxSettings(ServiceSettings):
    """Settings of the sandbox; the platform's limits are settings as several are unverified."""

    model_config = SettingsConfigDict(
        env_prefix="SANDBOX_", env_file=".env", extra="ignore", populate_by_name=True
    )
    service_name: ClassVar[str] = "sandbox"

    gateway_url: str = "http://127.0.0.1:8000"
    wechat_accounts: list[WechatAccount] = Field(
        default_factory=list, validation_alias="GATEWAY_WECHAT_ACCOUNTS"
    )
    account_profiles: dict[str, AccountProfile] = Field(
        default_factory=lambda: dict(DEFAULT_ACCOUNT_PROFILES),
        description="name and kind per account code; unlisted accounts are subscription accounts",
    )

    token_ttl_seconds: PositiveInt = 7200
    token_overlap_seconds: int = Field(
        default=300, ge=0, description="how long a token stays valid after a newer fetch"
    )
    token_daily_limit: PositiveInt = 2000
    stable_token_force_refresh_daily_limit: PositiveInt = 20
    custom_message_window_seconds: PositiveInt = 48 * 3600
    custom_messages_per_interaction: PositiveInt = Field(
        default=20, description="customer-service messages per citizen interaction (unverified)"
    )
    subscription_mass_sends_per_day: PositiveInt = 1
    service_mass_sends_per_follower_per_month: PositiveInt = 4
    oauth_code_ttl_seconds: PositiveInt = 300
    oauth_token_ttl_seconds: PositiveInt = 7200
    menu_max_buttons: PositiveInt = 3
    menu_max_sub_buttons: PositiveInt = 5
    menu_name_max_bytes: PositiveInt = 16
    menu_sub_name_max_bytes: PositiveInt = 60
    menu_key_max_bytes: PositiveInt = 128
    menu_url_max_bytes: PositiveInt = 1024

    @model_validator(mode="after")
    def _dev_defaults(self) -> SandboxSettings:
        if self.shared.env == "dev" and not self.wechat_accounts:
            self.wechat_accounts = list(DEV_WECHAT_ACCOUNTS)
        return self

    def profile(self, code: str) -> AccountProfile:
        """The account's name and kind (its code and a subscription account when unlisted)."""
        return self.account_profiles.get(code) or AccountProfile(name=code)
