"""OAuth2 web authorisation: the citizen-choosing page, the redirect with a code, the exchange."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from sandbox.state import SandboxState

APPID = "wxtest0000000dgjj"
REDIRECT = "https://h5.example.cn/auth/callback?from=menu"


def _authorize_params(**overrides: str) -> dict[str, str]:
    return {
        "appid": APPID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "snsapi_userinfo",
        "state": "csrf-123",
        **overrides,
    }


def _choose(client: TestClient, citizen: str, **overrides: str) -> dict[str, list[str]]:
    form = {**_authorize_params(**overrides), "citizen": citizen}
    response = client.post("/connect/oauth2/authorize", data=form, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT.split("?")[0]
    return parse_qs(location.query)


def _exchange(client: TestClient, issued: str, **overrides: str) -> dict[str, Any]:
    params = {
        "appid": APPID,
        "secret": "s-dgjj",
        "code": issued,
        "grant_type": "authorization_code",
        **overrides,
    }
    return client.get("/sns/oauth2/access_token", params=params).json()


def test_the_page_lists_the_simulated_citizens(client: TestClient) -> None:
    page = client.get("/connect/oauth2/authorize", params=_authorize_params())
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "东莞交警 申请授权" in html and "昵称、头像" in html
    for name in ("张三", "李四", "王五", "陈晓梅"):
        assert f"以「{name}」的身份登录" in html
    assert 'name="state" value="csrf-123"' in html
    assert "<script" not in html  # works without JavaScript


def test_choosing_a_citizen_signs_them_in(
    client: TestClient, openid: Callable[[str, str], str]
) -> None:
    query = _choose(client, "lisi")
    assert query["state"] == ["csrf-123"] and query["from"] == ["menu"]
    answer = _exchange(client, query["code"][0])
    assert answer["openid"] == openid("lisi", "dgjj")
    assert answer["scope"] == "snsapi_userinfo" and answer["expires_in"] == 7200
    citizens = client.get("/sandbox/citizens").json()["items"]
    assert answer["unionid"] == next(c["unionid"] for c in citizens if c["id"] == "lisi")
    assert answer["access_token"] and answer["refresh_token"]


def test_a_code_is_single_use(client: TestClient) -> None:
    code = _choose(client, "lisi")["code"][0]
    assert "openid" in _exchange(client, code)
    assert _exchange(client, code)["errcode"] == 40029


def test_a_code_expires_after_five_minutes(client: TestClient, state: SandboxState) -> None:
    code = _choose(client, "lisi")["code"][0]
    state.clock.advance(301)
    assert _exchange(client, code)["errcode"] == 42003


@pytest.mark.parametrize(
    ("overrides", "errcode"),
    [
        ({"code": "0" * 32}, 40029),
        ({"code": ""}, 41008),
        ({"secret": "wrong"}, 40125),
        ({"appid": "wxnobody"}, 40013),
        ({"appid": "wxtest0000000dgtq", "secret": "s-dgtq"}, 40029),  # another account's code
        ({"grant_type": "client_credential"}, 40002),
    ],
)
def test_exchange_refusals(client: TestClient, overrides: dict[str, str], errcode: int) -> None:
    code = _choose(client, "wangwu")["code"][0]
    assert _exchange(client, code, **overrides)["errcode"] == errcode
    # None of these used the code up.
    assert "openid" in _exchange(client, code)


def test_denying_returns_with_the_state_only(client: TestClient) -> None:
    form = {**_authorize_params(), "deny": "1"}
    response = client.post("/connect/oauth2/authorize", data=form, follow_redirects=False)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["location"]).query) == {
        "from": ["menu"],
        "state": ["csrf-123"],
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"appid": "wxnobody"}, "appid 无效"),
        ({"appid": ""}, "缺少 appid"),
        ({"redirect_uri": "/relative"}, "redirect_uri 参数错误"),
        ({"scope": "snsapi_login"}, "scope 参数错误"),
        ({"response_type": "token"}, "response_type 参数错误"),
        ({"state": "s" * 129}, "state 参数过长"),
    ],
)
def test_bad_requests_get_an_error_page(
    client: TestClient, overrides: dict[str, str], message: str
) -> None:
    page = client.get("/connect/oauth2/authorize", params=_authorize_params(**overrides))
    assert page.status_code == 400 and message in page.text
    posted = client.post(
        "/connect/oauth2/authorize", data={**_authorize_params(**overrides), "citizen": "lisi"}
    )
    assert posted.status_code == 400 and message in posted.text


def test_choosing_nobody_is_refused(client: TestClient) -> None:
    posted = client.post("/connect/oauth2/authorize", data={**_authorize_params(), "citizen": "x"})
    assert posted.status_code == 400 and "请选择一位模拟市民" in posted.text
