"""Traffic settings (env prefix `TRAFFIC_`).

WeChat Pay (DESIGN §4): `TRAFFIC_WECHATPAY_BASE_URL`, `_APPID`, `_MCHID`, `_MERCHANT_SERIAL_NO`,
`_MERCHANT_PRIVATE_KEY_PATH` (PEM), `_APIV3_KEY` (32 characters), `_PLATFORM_PUBLIC_KEY_PATH`
(PEM), `_PLATFORM_PUBLIC_KEY_ID`, and `TRAFFIC_PAYMENT_NOTIFY_URL`, the public address the
provider posts notifications to. With `ENV=dev` a missing value comes from the development key
set under `var/keys/` (generated when absent, as `make keys` does) and the sandbox's address;
otherwise a missing value stops start-up.
"""

from pathlib import Path
from typing import Annotated, ClassVar

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.bindings import BindingThrottleSettings
from servicekit.deps import settings_dependency
from servicekit.settings import ServiceSettings, refuse_development_value

DEV_WECHATPAY_BASE_URL = "http://127.0.0.1:8009"
# Notifications come from outside, so they reach traffic through the gateway.
DEV_PAYMENT_NOTIFY_URL = "http://127.0.0.1:8000/api/v1/traffic/payments/notify/wechatpay"
DEV_KEYS_FOLDER = Path("var/keys")
# The sandbox keeps no template library: any id of WeChat's alphabet is a template there.
DEV_PAYMENT_TEMPLATE_ID = "dev-dgjj-payment-success"
WECHATPAY_FIELDS = (
    "wechatpay_base_url",
    "wechatpay_appid",
    "wechatpay_mchid",
    "wechatpay_merchant_serial_no",
    "wechatpay_merchant_private_key_path",
    "wechatpay_apiv3_key",
    "wechatpay_platform_public_key_path",
    "wechatpay_platform_public_key_id",
    "payment_notify_url",
)


class TrafficSettings(BindingThrottleSettings, ServiceSettings):
    """Settings of the traffic service."""

    model_config = SettingsConfigDict(env_prefix="TRAFFIC_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "traffic"

    # Self-service handling online is limited to low-point violations; others go to a counter.
    online_handling_max_points: int = Field(default=3, ge=0, le=12)

    # WeChat Pay, the merchant's side (DESIGN §4).
    wechatpay_base_url: str = ""
    wechatpay_appid: str = ""
    wechatpay_mchid: str = ""
    wechatpay_merchant_serial_no: str = ""
    wechatpay_merchant_private_key_path: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_platform_public_key_path: str = ""
    wechatpay_platform_public_key_id: str = ""
    payment_notify_url: str = ""
    # Development only: where a citizen's browser reaches the sandbox's pay page, when that is
    # not wechatpay_base_url (under compose traffic calls sandbox:8009, the host 127.0.0.1:8009).
    wechatpay_pay_page_base_url: str = ""
    # Where ENV=dev finds (or makes) the development key set.
    wechatpay_dev_keys_folder: str = str(DEV_KEYS_FOLDER)
    wechatpay_timeout_seconds: float = Field(default=10.0, gt=0)
    # Unpaid orders expire at the provider after this long (WeChat's prepay_id lives 2 hours).
    payment_expire_minutes: int = Field(default=120, ge=5, le=120)
    # Reconciliation looks at orders still open this long after they were created.
    reconcile_after_seconds: int = Field(default=300, ge=0)
    # In-service reconciliation every this many seconds (0: off; cron runs the CLI instead).
    reconcile_every_seconds: float = Field(default=0, ge=0)
    # 缴款成功 template messages (traffic.notices) go through the gateway's internal listener:
    # POST {gateway_url}/internal/wechat/{account}/template, every few seconds (0: off), failed
    # ones again after base·2^(n-1) seconds, capped. Outside ENV=dev an empty template id keeps
    # the notices unsent (the platform's id of the account's 缴款成功 template goes here).
    gateway_url: str = "http://127.0.0.1:8010"
    payment_template_id: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_-]*$")
    payment_notice_every_seconds: float = Field(default=5.0, ge=0)
    payment_notice_timeout_seconds: float = Field(default=5.0, gt=0)
    payment_notice_backoff_base_seconds: float = Field(default=5.0, gt=0)
    payment_notice_backoff_max_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _wechatpay(self) -> "TrafficSettings":
        missing = [name for name in WECHATPAY_FIELDS if not getattr(self, name)]
        if missing and self.shared.env == "dev":
            from wechat.pay_dev import ensure_dev_keys

            keys = ensure_dev_keys(Path(self.wechatpay_dev_keys_folder))
            defaults = {
                "wechatpay_base_url": DEV_WECHATPAY_BASE_URL,
                "wechatpay_appid": keys.appid,
                "wechatpay_mchid": keys.mchid,
                "wechatpay_merchant_serial_no": keys.merchant_serial_no,
                "wechatpay_merchant_private_key_path": str(keys.path("merchant_private_key")),
                "wechatpay_apiv3_key": keys.apiv3_key,
                "wechatpay_platform_public_key_path": str(keys.path("platform_public_key")),
                "wechatpay_platform_public_key_id": keys.platform_public_key_id,
                "payment_notify_url": DEV_PAYMENT_NOTIFY_URL,
            }
            for name in missing:
                setattr(self, name, defaults[name])
        elif missing:
            names = ", ".join(f"TRAFFIC_{name.upper()}" for name in missing)
            raise ValueError(f"{names} required when ENV is not dev")
        if self.shared.env != "dev":
            # The development merchant is WeChat's documentation sample: never a real payee.
            for name in ("wechatpay_appid", "wechatpay_mchid"):
                refuse_development_value(f"TRAFFIC_{name.upper()}", getattr(self, name))
        if len(self.wechatpay_apiv3_key.encode()) != 32:
            raise ValueError("TRAFFIC_WECHATPAY_APIV3_KEY must be 32 bytes")
        self.wechatpay_base_url = self.wechatpay_base_url.rstrip("/")
        if not self.payment_template_id and self.shared.env == "dev":
            self.payment_template_id = DEV_PAYMENT_TEMPLATE_ID
        return self


TrafficSettingsDep = Annotated[TrafficSettings, Depends(settings_dependency(TrafficSettings))]
