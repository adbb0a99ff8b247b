"""Sandbox settings (env prefix `SANDBOX_`) and the gateway's `GATEWAY_WECHAT_ACCOUNTS` (DESIGN §4).

The sandbox plays WeChat for the accounts the gateway serves, so it reads the same contract
variable. It is a separate part and imports nothing from the gateway: the small account shape is
declared again here, and a gateway test checks the development defaults of both still agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, refuse_weak_wechat_account
from wechat import menus
from wechat.accounts import WechatAccount
from wechat.dev import DEV_WECHAT_ACCOUNTS as DEV_ACCOUNT_SETTINGS
from wechat.pay_dev import ensure_dev_keys

AccountKind = Literal["subscription", "service"]


class AccountProfile(BaseModel):
    """What the platform knows of an account beyond its credentials: display name and kind."""

    name: str
    kind: AccountKind = "subscription"
    hints: list[str] = Field(
        default_factory=list, description="what the chat page suggests a citizen types"
    )


DEV_WECHAT_ACCOUNTS = [WechatAccount(**account) for account in DEV_ACCOUNT_SETTINGS]

# Names and kinds of the chat accounts, as in the accounts registry's seed. The registry leaves
# 莞香花开's kind open; a city news office pushing daily is a subscription account.
# The hints are texts the registry's keyword rules answer (accounts' chat_config.json).
DEFAULT_ACCOUNT_PROFILES = {
    "dgjj": AccountProfile(
        name="东莞交警", kind="service", hints=["路况 莞深高速", "办事指南 驾驶证", "预约"]
    ),
    "dgtq": AccountProfile(
        name="东莞天气", kind="subscription", hints=["天气", "天气 大朗", "周末出去玩要带伞吗"]
    ),
    "dgsb": AccountProfile(name="东莞社保", kind="service", hints=["社保电话 大朗", "公积金"]),
    "gxhk": AccountProfile(name="莞香花开", kind="subscription", hints=["你都知道啥", "天气"]),
    "lxdl": AccountProfile(
        name="荔香大朗", kind="subscription", hints=["要办社保，可是不知道电话咋办。", "天气"]
    ),
    "dgtj": AccountProfile(name="东莞特检", kind="service"),
}


class SandboxSettings(ServiceSettings):
    """Settings of the sandbox; the platform's limits are settings as several are unverified."""

    model_config = SettingsConfigDict(
        env_prefix="SANDBOX_", env_file=".env", extra="ignore", populate_by_name=True
    )
    service_name: ClassVar[str] = "sandbox"

    gateway_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the developer server: each account's callback is {gateway_url}/wechat/{code}",
    )
    public_base_url: str = Field(
        default="",
        pattern=r"^(https?://[^\s/?#]+)?$",
        description="where browsers reach the sandbox: the picture and article URLs it hands "
        "out start with it (empty: the address each request came to)",
    )
    callback_timeout_seconds: PositiveFloat = Field(
        default=5.0, description="how long WeChat waits for the developer server's answer"
    )
    callback_attempts: PositiveInt = Field(
        default=3, description="deliveries of one message before the citizen sees the apology"
    )
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
    tag_followers_by_town: bool = Field(
        default=True,
        description=(
            "play the accounts' operators, who keep a user tag per town named by its code "
            "(dalang, humen, …) and tag each follower with the town they live in as they follow"
        ),
    )
    tags_per_account: PositiveInt = 100
    tags_per_user: PositiveInt = 20
    tag_name_max_bytes: PositiveInt = 30
    service_mass_sends_per_follower_per_month: PositiveInt = 4
    oauth_code_ttl_seconds: PositiveInt = 300
    oauth_token_ttl_seconds: PositiveInt = 7200
    menu_max_buttons: PositiveInt = menus.MAX_BUTTONS
    menu_max_sub_buttons: PositiveInt = menus.MAX_SUB_BUTTONS
    menu_name_max_bytes: PositiveInt = menus.TOP_NAME_BYTES
    menu_sub_name_max_bytes: PositiveInt = menus.SUB_NAME_BYTES
    menu_key_max_bytes: PositiveInt = menus.KEY_BYTES
    menu_url_max_bytes: PositiveInt = menus.URL_BYTES
    media_content_image_max_bytes: PositiveInt = Field(
        default=1024 * 1024, description="media/uploadimg: a picture for article content (jpg/png)"
    )
    media_image_max_bytes: PositiveInt = Field(
        default=10 * 1024 * 1024, description="add_material type=image (bmp/png/jpeg/gif)"
    )
    media_thumb_max_bytes: PositiveInt = Field(
        default=64 * 1024, description="add_material type=thumb (jpg)"
    )
    news_media_ttl_seconds: PositiveInt = Field(
        default=3 * 86400, description="how long a media/uploadnews media_id can be mass-sent"
    )
    news_max_articles: PositiveInt = 8
    news_title_max_chars: PositiveInt = 64
    news_author_max_chars: PositiveInt = Field(default=8, description="unverified")
    news_digest_max_chars: PositiveInt = 120
    news_content_max_chars: PositiveInt = 20000

    # WeChat Pay v3 (sandbox/pay): the platform's halves of the DESIGN §4 contract. With ENV=dev
    # the missing ones are read from the development key set (`wechatpay_keys_dir`, generated
    # when absent); elsewhere the simulator is off when none is set and start-up stops when only
    # some are.
    wechatpay_keys_dir: Path = Field(
        default=Path("var/keys"), description="development key set (ENV=dev only)"
    )
    wechatpay_mchid: str = ""
    wechatpay_appid: str = ""
    wechatpay_merchant_serial_no: str = Field(
        default="", description="the merchant key's serial; empty accepts any serial_no"
    )
    wechatpay_merchant_public_key_path: str = ""
    wechatpay_platform_private_key_path: str = ""
    wechatpay_platform_public_key_id: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_merchant_name: str = Field(
        default="东莞市公安局交通警察支队", description="shown on the payer's page"
    )
    wechatpay_merchant_short_name: str = "东莞交警"
    wechatpay_allow_http_notify_url: bool | None = Field(
        default=None, description="accept http:// notify_url (default: only with ENV=dev)"
    )
    wechatpay_prepay_ttl_seconds: PositiveInt = 7200
    wechatpay_notify_timeout_seconds: PositiveFloat = 5.0
    wechatpay_retry_scale: float = Field(
        default=1.0, ge=0, description="multiplies WeChat's retry intervals (tests: 0.001)"
    )
    wechatpay_refund_processing_seconds: float = Field(
        default=0.0, ge=0, description="a refund is PROCESSING this long, then SUCCESS"
    )
    # Notification knobs at start-up (GET/PUT /sandbox/pay/knobs changes them at run time).
    wechatpay_drop: bool = False
    wechatpay_duplicate: PositiveInt = 1
    wechatpay_delay_seconds: float = Field(default=0.0, ge=0)
    wechatpay_reorder: bool = False
    wechatpay_reorder_window_seconds: float = Field(default=1.0, ge=0)
    wechatpay_corrupt: Literal["signature", "timestamp", "ciphertext", "amount"] | None = None

    @model_validator(mode="after")
    def _dev_defaults(self) -> SandboxSettings:
        if self.shared.env == "dev" and not self.wechat_accounts:
            self.wechat_accounts = list(DEV_WECHAT_ACCOUNTS)
        elif self.shared.env != "dev":
            # The same accounts as the gateway's: refused on the same grounds.
            for account in self.wechat_accounts:
                refuse_weak_wechat_account("GATEWAY_WECHAT_ACCOUNTS", account)
        self._wechatpay_defaults()
        return self

    _WECHATPAY_REQUIRED: ClassVar[tuple[str, ...]] = (
        "wechatpay_mchid",
        "wechatpay_appid",
        "wechatpay_merchant_public_key_path",
        "wechatpay_platform_private_key_path",
        "wechatpay_platform_public_key_id",
        "wechatpay_apiv3_key",
    )

    def _wechatpay_defaults(self) -> None:
        missing = [name for name in self._WECHATPAY_REQUIRED if not getattr(self, name)]
        if self.shared.env == "dev" and missing:
            keys = ensure_dev_keys(self.wechatpay_keys_dir)
            dev = {
                "wechatpay_mchid": keys.mchid,
                "wechatpay_appid": keys.appid,
                "wechatpay_merchant_public_key_path": str(keys.path("merchant_public_key")),
                "wechatpay_platform_private_key_path": str(keys.path("platform_private_key")),
                "wechatpay_platform_public_key_id": keys.platform_public_key_id,
                "wechatpay_apiv3_key": keys.apiv3_key,
            }
            for name in missing:
                setattr(self, name, dev[name])
            if not self.wechatpay_merchant_serial_no:
                self.wechatpay_merchant_serial_no = keys.merchant_serial_no
        elif missing and len(missing) < len(self._WECHATPAY_REQUIRED):
            names = ", ".join("SANDBOX_" + name.upper() for name in missing)
            raise ValueError(f"WeChat Pay simulator half-configured: set {names}")
        if self.wechatpay_apiv3_key and len(self.wechatpay_apiv3_key.encode()) != 32:
            raise ValueError("SANDBOX_WECHATPAY_APIV3_KEY must be 32 bytes")
        if self.wechatpay_allow_http_notify_url is None:
            self.wechatpay_allow_http_notify_url = self.shared.env == "dev"

    @property
    def wechatpay_enabled(self) -> bool:
        """Whether the WeChat Pay simulator has its keys (always in dev)."""
        return all(getattr(self, name) for name in self._WECHATPAY_REQUIRED)

    def profile(self, code: str) -> AccountProfile:
        """The account's name and kind (its code and a subscription account when unlisted)."""
        return self.account_profiles.get(code) or AccountProfile(name=code)
