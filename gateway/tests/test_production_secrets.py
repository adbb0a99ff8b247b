"""With ENV=prod the gateway refuses to start on any development value or weak secret, naming the
setting and never the value; a sound production configuration starts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

import gateway.__main__
from gateway.__main__ import main
from gateway.internal import create_internal_app
from gateway.main import create_app
from gateway.settings import DEV_STAFF_KEYS, GatewaySettings
from servicekit.settings import DEV_INTERNAL_TOKEN_SECRET
from wechat.dev import DEV_ENCODING_AES_KEY, DEV_WECHAT_ACCOUNTS

INTERNAL_SECRET = "k7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0"
AUTH_SECRET = "Rb4Nw8Kd2Vs6Jq0Lx3Hz7Tc1Pm5Fy9Ge"
STAFF_KEY = "Wm3Xc7Pz1Lq5Ng9Bt2Hv6Kd0Rj4Fs8Ya"
ACCOUNT = {
    "code": "dgtq",
    "appid": "wx5f3c2a1b0d9e8f7a",
    "token": "Vq3Lr8Zp1Wx6Nt4K",
    "encoding_aes_key": "Xy7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0Kq1Wm2Ez3A",
    "app_secret": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "mode": "safe",
}
DEV_DGTQ = next(a for a in DEV_WECHAT_ACCOUNTS if a["code"] == "dgtq")
DEV_STAFF_KEY = next(iter(DEV_STAFF_KEYS))


def production(monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> None:
    """A sound production environment, with `overrides` (variable -> value) applied."""
    env: dict[str, Any] = {
        "ENV": "prod",
        "INTERNAL_TOKEN_SECRET": INTERNAL_SECRET,
        "GATEWAY_AUTH_TOKEN_SECRET": AUTH_SECRET,
        "GATEWAY_WECHAT_API_BASE_URL": "http://127.0.0.1:9",
        "GATEWAY_STAFF_KEYS": {STAFF_KEY: ["forecaster"]},
        "GATEWAY_WECHAT_ACCOUNTS": [ACCOUNT],
        "GATEWAY_WECHAT_MENU_SYNC_SECONDS": "0",
        **overrides,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))


@pytest.fixture
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration let through fails the test instead of serving."""

    def started(*_: Any, **__: Any) -> None:
        pytest.fail("the gateway started")

    monkeypatch.setattr(gateway.__main__, "serve", started)
    monkeypatch.setattr(uvicorn, "run", started)


def account(**fields: str) -> list[dict[str, str]]:
    return [{**ACCOUNT, **fields}]


REFUSED = {
    "dev internal secret": ("INTERNAL_TOKEN_SECRET", DEV_INTERNAL_TOKEN_SECRET, {}),
    "short internal secret": ("INTERNAL_TOKEN_SECRET", "Q" * 31, {}),
    "one-character auth secret": ("GATEWAY_AUTH_TOKEN_SECRET", "Q", {}),
    "dev secret as auth secret": ("GATEWAY_AUTH_TOKEN_SECRET", DEV_INTERNAL_TOKEN_SECRET, {}),
    "dev staff key": ("GATEWAY_STAFF_KEYS", DEV_STAFF_KEY, {DEV_STAFF_KEY: ["forecaster"]}),
    "one-character staff key": ("GATEWAY_STAFF_KEYS", "Q", {"Q": ["forecaster"]}),
    "dev account token": (
        "GATEWAY_WECHAT_ACCOUNTS",
        DEV_DGTQ["token"],
        account(token=DEV_DGTQ["token"]),
    ),
    "empty account token": ("GATEWAY_WECHAT_ACCOUNTS", "", account(token="")),
    "15-character token": (
        "GATEWAY_WECHAT_ACCOUNTS",
        "Qz" * 7 + "Q",
        account(token="Qz" * 7 + "Q"),
    ),
    "33-character token": (
        "GATEWAY_WECHAT_ACCOUNTS",
        "Qz" * 16 + "Q",
        account(token="Qz" * 16 + "Q"),
    ),
    "WeChat's sample AES key": (
        "GATEWAY_WECHAT_ACCOUNTS",
        DEV_ENCODING_AES_KEY,
        account(encoding_aes_key=DEV_ENCODING_AES_KEY),
    ),
    "dev app secret": (
        "GATEWAY_WECHAT_ACCOUNTS",
        DEV_DGTQ["app_secret"],
        account(app_secret=DEV_DGTQ["app_secret"]),
    ),
    "dev appid": ("GATEWAY_WECHAT_ACCOUNTS", DEV_DGTQ["appid"], account(appid=DEV_DGTQ["appid"])),
}


@pytest.mark.parametrize(("setting", "value", "variable_value"), REFUSED.values(), ids=REFUSED)
def test_the_gateway_refuses_to_start(
    setting: str,
    value: str,
    variable_value: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    never_serve: None,
) -> None:
    production(monkeypatch, **{setting: variable_value or value})
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "1"])
    message = str(stopped.value.code)
    assert message.startswith("gateway: invalid configuration:")
    assert setting in message
    assert not value or value not in message
    assert capsys.readouterr().out == ""


def test_the_refusal_names_the_account_and_the_field(
    monkeypatch: pytest.MonkeyPatch, never_serve: None
) -> None:
    production(monkeypatch, GATEWAY_WECHAT_ACCOUNTS=account(token=DEV_DGTQ["token"]))
    with pytest.raises(SystemExit, match="account dgtq token"):
        main(["serve", "--port", "1"])


def test_a_sound_production_configuration_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    settings = GatewaySettings(_env_file=None)
    assert settings.shared.env == "prod" and settings.staff_keys == {STAFF_KEY: ["forecaster"]}
    app = create_app(settings)
    with TestClient(app) as public, TestClient(create_internal_app(app)) as internal:
        assert public.get("/healthz").status_code == 200
        assert internal.get("/healthz").status_code == 200


def test_development_keeps_its_published_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "dev")
    for name in ("INTERNAL_TOKEN_SECRET", "GATEWAY_STAFF_KEYS", "GATEWAY_WECHAT_ACCOUNTS"):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings(_env_file=None)
    assert settings.staff_keys == DEV_STAFF_KEYS
    assert {a.token for a in settings.wechat_accounts} >= {DEV_DGTQ["token"]}
