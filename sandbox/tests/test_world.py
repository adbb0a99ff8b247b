"""The simulated world under `/sandbox/...`: accounts, citizens, follows, interactions, inboxes,
the clock, and the settings it is built from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from sandbox.main import create_app
from sandbox.settings import DEV_WECHAT_ACCOUNTS, SandboxSettings
from sandbox.wiring import sandbox_of
from servicekit.settings import SharedSettings
from wechat.demo_citizens import DEMO_CITIZENS

# Credentials fit for production (none published, each of WeChat's length).
PROD_ACCOUNT = {
    "code": "dgtq",
    "appid": "wx5f3c2a1b0d9e8f7a",
    "token": "Vq3Lr8Zp1Wx6Nt4K",
    "encoding_aes_key": "Xy7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0Kq1Wm2Ez3A",
    "app_secret": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "mode": "safe",
}


def test_accounts_carry_their_name_and_kind(client: TestClient) -> None:
    body = client.get("/sandbox/accounts").json()
    assert body["total"] == 2
    assert [(a["code"], a["name"], a["kind"], a["followers"]) for a in body["items"]] == [
        ("dgjj", "东莞交警", "service", 0),
        ("dgtq", "东莞天气", "subscription", 0),
    ]


def test_citizens_have_one_unionid_and_an_openid_per_account(client: TestClient) -> None:
    body = client.get("/sandbox/citizens").json()
    assert body["total"] == len(DEMO_CITIZENS) >= 3
    first = body["items"][0]
    assert first["name"] == "张三" and first["following"] == []
    openids = [o for c in body["items"] for o in c["openids"].values()]
    unionids = [c["unionid"] for c in body["items"]]
    assert len(set(openids)) == len(openids) == 2 * body["total"]
    assert len(set(unionids)) == body["total"]
    assert all(len(i) == 28 and i.startswith("o") for i in openids + unionids)
    # Deterministic: another sandbox derives the very same ids.
    with TestClient(create_app(sandbox_of(client.app).settings)) as other:
        assert other.get("/sandbox/citizens").json() == body
    assert client.get("/sandbox/citizens", params={"limit": 1, "offset": 1}).json() == {
        "items": [body["items"][1]],
        "total": body["total"],
    }


def test_follow_and_unfollow(client: TestClient, openid: Callable[[str, str], str]) -> None:
    followed = client.put("/sandbox/citizens/lisi/follows/dgtq").json()
    assert followed == {
        "citizen": "lisi",
        "account": "dgtq",
        "openid": openid("lisi", "dgtq"),
        "following": True,
    }
    assert client.put("/sandbox/citizens/lisi/follows/dgtq").json()["following"]  # idempotent
    lisi = client.get("/sandbox/citizens").json()["items"][1]
    assert lisi["following"] == ["dgtq"]
    assert client.get("/sandbox/accounts").json()["items"][1]["followers"] == 1
    assert not client.delete("/sandbox/citizens/lisi/follows/dgtq").json()["following"]
    assert client.get("/sandbox/accounts").json()["items"][1]["followers"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/sandbox/citizens/nobody/follows/dgtq"),
        ("DELETE", "/sandbox/citizens/lisi/follows/nowhere"),
        ("GET", "/sandbox/citizens/nobody/inbox"),
        ("GET", "/sandbox/citizens/lisi/inbox?account=nowhere"),
    ],
)
def test_unknown_citizens_and_accounts_are_404(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_interactions_need_a_follower(client: TestClient) -> None:
    body = {"citizen": "wangwu", "account": "dgjj", "kind": "click"}
    refused = client.post("/sandbox/interactions", json=body)
    assert refused.status_code == 409 and "尚未关注" in refused.json()["detail"]
    client.put("/sandbox/citizens/wangwu/follows/dgjj")
    recorded = client.post("/sandbox/interactions", json=body)
    assert recorded.status_code == 201
    assert recorded.json()["kind"] == "click" and recorded.json()["at"].endswith("+08:00")
    assert client.post("/sandbox/interactions", json={"citizen": "wangwu"}).status_code == 422


def test_inbox_filters_and_pages(
    client: TestClient,
    token: Callable[[str], str],
    openid: Callable[[str, str], str],
    follow: Callable[[str, str], None],
    inbox: Callable[..., list[dict[str, Any]]],
) -> None:
    for code in ("dgjj", "dgtq"):
        follow("chenxiaomei", code)
        access = token(code)
        for n in range(2):
            message = {
                "touser": openid("chenxiaomei", code),
                "msgtype": "text",
                "text": {"content": f"{code} 第{n + 1}条"},
            }
            client.post(
                "/cgi-bin/message/custom/send", params={"access_token": access}, json=message
            )
    assert [m["content"]["content"] for m in inbox("chenxiaomei")] == [
        "dgjj 第1条",
        "dgjj 第2条",
        "dgtq 第1条",
        "dgtq 第2条",
    ]
    assert [m["content"]["content"] for m in inbox("chenxiaomei", account="dgtq")] == [
        "dgtq 第1条",
        "dgtq 第2条",
    ]
    page = client.get("/sandbox/citizens/chenxiaomei/inbox", params={"limit": 1, "offset": 2})
    assert (
        page.json()["total"] == 4 and page.json()["items"][0]["content"]["content"] == "dgtq 第1条"
    )


def test_the_clock_only_moves_forward(client: TestClient) -> None:
    before = client.get("/sandbox/clock").json()
    assert before["offset_seconds"] == 0 and before["now"].endswith("+08:00")
    moved = client.post("/sandbox/clock", json={"advance_seconds": 3600}).json()
    assert moved["offset_seconds"] == 3600
    assert client.post("/sandbox/clock", json={"advance_seconds": -1}).status_code == 422


def test_accounts_come_from_gateway_wechat_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = json.dumps([{**PROD_ACCOUNT, "code": "lxdl", "appid": "wxlxdl"}])
    monkeypatch.setenv("GATEWAY_WECHAT_ACCOUNTS", accounts)
    monkeypatch.setenv("SANDBOX_TOKEN_TTL_SECONDS", "60")
    settings = SandboxSettings(shared=SharedSettings(env="prod", internal_token_secret="x" * 32))
    assert [(a.code, a.appid) for a in settings.wechat_accounts] == [("lxdl", "wxlxdl")]
    assert settings.token_ttl_seconds == 60
    assert settings.profile("lxdl").name == "荔香大朗" and settings.profile("lxdl").kind == (
        "subscription"
    )
    assert settings.profile("zzzz").name == "zzzz"  # unlisted: a subscription account by its code


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token", DEV_WECHAT_ACCOUNTS[0].token),
        ("token", "Q"),
        ("app_secret", DEV_WECHAT_ACCOUNTS[0].app_secret),
        ("encoding_aes_key", DEV_WECHAT_ACCOUNTS[0].encoding_aes_key),
    ],
)
def test_outside_dev_the_accounts_refuse_development_credentials(
    field: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = json.dumps([{**PROD_ACCOUNT, field: value}])
    monkeypatch.setenv("GATEWAY_WECHAT_ACCOUNTS", accounts)
    with pytest.raises(ValidationError) as refused:
        SandboxSettings(shared=SharedSettings(env="prod", internal_token_secret="x" * 32))
    assert f"GATEWAY_WECHAT_ACCOUNTS: account dgtq {field}" in str(refused.value)
    assert value not in str(refused.value)
    monkeypatch.setenv("GATEWAY_WECHAT_ACCOUNTS", json.dumps([DEV_WECHAT_ACCOUNTS[0].model_dump()]))
    assert SandboxSettings(shared=SharedSettings(env="dev")).wechat_accounts[0].token == (
        DEV_WECHAT_ACCOUNTS[0].token
    )


def test_development_defaults_only_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_WECHAT_ACCOUNTS", raising=False)
    dev = SandboxSettings(shared=SharedSettings(env="dev"))
    assert dev.wechat_accounts == DEV_WECHAT_ACCOUNTS
    prod = SandboxSettings(shared=SharedSettings(env="prod", internal_token_secret="x" * 32))
    assert prod.wechat_accounts == []
