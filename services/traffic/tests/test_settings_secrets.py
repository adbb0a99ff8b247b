"""Outside ENV=dev traffic refuses the development WeChat Pay merchant, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicekit.settings import SharedSettings
from traffic.settings import TrafficSettings
from wechat.pay_dev import DEV_APPID, DEV_MCHID

PROD = {
    "wechatpay_base_url": "https://api.mch.weixin.qq.com",
    "wechatpay_appid": "wx5f3c2a1b0d9e8f7a",
    "wechatpay_mchid": "1612345678",
    "wechatpay_merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    "wechatpay_merchant_private_key_path": "/etc/guanwei/merchant_private_key.pem",
    "wechatpay_apiv3_key": "Vq3Lr8Zp1Wx6Nt4KVq3Lr8Zp1Wx6Nt4K",
    "wechatpay_platform_public_key_path": "/etc/guanwei/platform_public_key.pem",
    "wechatpay_platform_public_key_id": "PUB_KEY_ID_0116123456782025010100000000000000",
    "payment_notify_url": "https://gov.example.cn/api/v1/traffic/payments/notify/wechatpay",
}


def settings(env: str, **overrides: str) -> TrafficSettings:
    shared = SharedSettings(env=env, internal_token_secret="s" * 32)  # type: ignore[arg-type]
    return TrafficSettings(_env_file=None, shared=shared, **{**PROD, **overrides})


@pytest.mark.parametrize(
    ("field", "value"), [("wechatpay_mchid", DEV_MCHID), ("wechatpay_appid", DEV_APPID)]
)
def test_the_development_merchant_is_refused_outside_dev(field: str, value: str) -> None:
    assert getattr(settings("prod"), field) == PROD[field]
    with pytest.raises(ValidationError) as refused:
        settings("prod", **{field: value})
    assert f"TRAFFIC_{field.upper()}" in str(refused.value)
    assert value not in str(refused.value)
    assert getattr(settings("dev", **{field: value}), field) == value
