"""Outside ENV=dev no part starts on a published development value or a weak secret, and the
refusal names the setting, never the value."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from servicekit.settings import (
    DEV_COMPOSE_INTERNAL_TOKEN_SECRET,
    DEV_INTERNAL_TOKEN_SECRET,
    DEV_STAFF_KEY,
    ServiceSettings,
    SharedSettings,
    refuse_weak_secret,
    refuse_weak_wechat_account,
)
from wechat.accounts import WechatAccount
from wechat.dev import DEV_ENCODING_AES_KEY, DEV_WECHAT_ACCOUNTS

GOOD_SECRET = "k7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0"
GOOD_TOKEN = "Vq3Lr8Zp1Wx6Nt4K"
GOOD_AES_KEY = "Xy7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0Kq1Wm2Ez3A"
GOOD_APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEV_ACCOUNT = DEV_WECHAT_ACCOUNTS[0]


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


@pytest.mark.parametrize(
    "secret",
    [
        DEV_INTERNAL_TOKEN_SECRET,
        DEV_COMPOSE_INTERNAL_TOKEN_SECRET,
        DEV_STAFF_KEY,
        "Q",
        GOOD_SECRET[:31],
    ],
    ids=["dev default", "compose default", "dev staff key", "one character", "31 characters"],
)
def test_every_part_refuses_a_development_or_short_internal_secret(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENV", "prod")
    monkeypatch.setenv("INTERNAL_TOKEN_SECRET", secret)
    with pytest.raises(ValidationError) as refused:
        DemoSettings(_env_file=None)
    message = str(refused.value)
    assert "INTERNAL_TOKEN_SECRET" in message
    assert secret not in message


def test_a_strong_internal_secret_starts_and_dev_keeps_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENV", "prod")
    monkeypatch.setenv("INTERNAL_TOKEN_SECRET", GOOD_SECRET)
    assert DemoSettings(_env_file=None).shared.internal_token_secret == GOOD_SECRET
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.delenv("INTERNAL_TOKEN_SECRET")
    assert SharedSettings(_env_file=None).internal_token_secret == DEV_INTERNAL_TOKEN_SECRET


@pytest.mark.parametrize(
    ("value", "bounds", "refused"),
    [
        (GOOD_SECRET, (32, None), False),
        (GOOD_SECRET + "x" * 100, (32, None), False),
        (GOOD_SECRET[:31], (32, None), True),
        ("", (32, None), True),
        (DEV_INTERNAL_TOKEN_SECRET, (32, None), True),
        (GOOD_TOKEN, (16, 32), False),
        (GOOD_TOKEN[:15], (16, 32), True),
        (GOOD_SECRET + "x", (16, 32), True),
        (DEV_ACCOUNT["token"], (3, 32), True),
    ],
)
def test_refuse_weak_secret_bounds(
    value: str, bounds: tuple[int, int | None], refused: bool
) -> None:
    if not refused:
        refuse_weak_secret("SOME_SETTING", value, *bounds)
        return
    with pytest.raises(ValueError, match="SOME_SETTING") as error:
        refuse_weak_secret("SOME_SETTING", value, *bounds)
    assert not value or value not in str(error.value)


GOOD_ACCOUNT = {
    "appid": "wx5f3c2a1b0d9e8f7a",
    "token": GOOD_TOKEN,
    "encoding_aes_key": GOOD_AES_KEY,
    "app_secret": GOOD_APP_SECRET,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("appid", DEV_ACCOUNT["appid"]),
        ("token", DEV_ACCOUNT["token"]),
        ("token", ""),
        ("token", "abc"),
        ("token", GOOD_TOKEN[:15]),
        ("token", "t" * 33),
        ("encoding_aes_key", DEV_ENCODING_AES_KEY),
        ("app_secret", DEV_ACCOUNT["app_secret"]),
        ("app_secret", "s" * 31),
    ],
)
def test_wechat_account_credentials_are_refused_by_field(field: str, value: str) -> None:
    refuse_weak_wechat_account("ACCOUNTS_SETTING", WechatAccount(code="dgtq", **GOOD_ACCOUNT))
    weak = WechatAccount(code="dgtq", **{**GOOD_ACCOUNT, field: value})
    with pytest.raises(ValueError) as error:
        refuse_weak_wechat_account("ACCOUNTS_SETTING", weak)
    message = str(error.value)
    assert f"ACCOUNTS_SETTING: account dgtq {field}" in message
    assert not value or value not in message


def test_every_development_account_credential_is_refused() -> None:
    for account in DEV_WECHAT_ACCOUNTS:
        credentials = {name: account[name] for name in GOOD_ACCOUNT}
        for field in GOOD_ACCOUNT:
            with pytest.raises(ValueError, match=field):
                refuse_weak_wechat_account(
                    "S",
                    WechatAccount(
                        code=account["code"], **{**GOOD_ACCOUNT, field: credentials[field]}
                    ),
                )
