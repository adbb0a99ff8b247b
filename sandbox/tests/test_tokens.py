"""`/cgi-bin/token`, `/cgi-bin/stable_token`, the token checks of every API and the token hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.state import SandboxState

APPID = "wxtest0000000dgtq"


@pytest.fixture
def limits() -> dict[str, Any]:
    """Small daily limits, so tests can reach them."""
    return {"token_daily_limit": 3, "stable_token_force_refresh_daily_limit": 2}


def _base() -> dict[str, str]:
    return {"grant_type": "client_credential", "appid": APPID, "secret": "s-dgtq"}


def _token(client: TestClient, **params: str) -> dict[str, Any]:
    return client.get("/cgi-bin/token", params={**_base(), **params}).json()


def _stable(client: TestClient, **body: Any) -> dict[str, Any]:
    return client.post("/cgi-bin/stable_token", json={**_base(), **body}).json()


def _menu_get(client: TestClient, token: str | None) -> int:
    params = {} if token is None else {"access_token": token}
    return client.get("/cgi-bin/menu/get", params=params).json()["errcode"]


def test_token_is_issued_counted_and_accepted(client: TestClient) -> None:
    answer = _token(client)
    assert answer["expires_in"] == 7200 and len(answer["access_token"]) > 100
    assert _menu_get(client, answer["access_token"]) == 46003  # accepted: the account has no menu
    assert client.get("/sandbox/stats").json()["token_fetches"] == {APPID: 1}


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"grant_type": "password"}, 40002),
        ({"appid": ""}, 41002),
        ({"appid": "wxnobody"}, 40013),
        ({"secret": ""}, 41004),
        ({"secret": "wrong"}, 40001),
    ],
)
def test_token_refusals(client: TestClient, params: dict[str, str], errcode: int) -> None:
    response = client.get("/cgi-bin/token", params={**_base(), **params})
    assert response.status_code == 200  # WeChat answers its errors with HTTP 200
    assert response.json()["errcode"] == errcode
    assert client.get("/sandbox/stats").json()["token_fetches"] == {}


def test_a_new_token_replaces_the_old_one_after_the_overlap(
    client: TestClient, state: SandboxState
) -> None:
    first = _token(client)["access_token"]
    second = _token(client)["access_token"]
    assert first != second
    assert _menu_get(client, first) == 46003  # still valid during the 5-minute overlap
    state.clock.advance(301)
    assert _menu_get(client, first) == 40001  # "not latest"
    assert _menu_get(client, second) == 46003


def test_a_token_expires_after_two_hours(client: TestClient, state: SandboxState) -> None:
    token = _token(client)["access_token"]
    state.clock.advance(7199)
    assert _menu_get(client, token) == 46003
    state.clock.advance(2)
    assert _menu_get(client, token) == 42001


@pytest.mark.parametrize(
    ("token", "errcode"), [(None, 41001), ("not a token!", 40014), ("A" * 136, 40001)]
)
def test_every_api_checks_the_token(client: TestClient, token: str | None, errcode: int) -> None:
    assert _menu_get(client, token) == errcode
    sent = client.post(
        "/cgi-bin/message/custom/send",
        params={} if token is None else {"access_token": token},
        json={"touser": "o", "msgtype": "text", "text": {"content": "你好"}},
    )
    assert sent.json()["errcode"] == errcode


def test_daily_fetch_limit(client: TestClient, state: SandboxState) -> None:
    for _ in range(3):
        assert "access_token" in _token(client)
    assert _token(client)["errcode"] == 45009
    state.clock.advance(86400)
    assert "access_token" in _token(client)


def test_stable_token_is_the_same_while_valid(client: TestClient, state: SandboxState) -> None:
    first = _stable(client)
    state.clock.advance(100)
    again = _stable(client)
    assert again["access_token"] == first["access_token"]
    assert 7090 < again["expires_in"] <= 7100  # what remains of its lifetime
    # Independent of /cgi-bin/token: fetching one leaves the other valid.
    plain = _token(client)["access_token"]
    assert plain != first["access_token"]
    assert _menu_get(client, first["access_token"]) == 46003
    assert client.get("/sandbox/stats").json()["stable_token_fetches"] == {APPID: 1}


def test_stable_token_force_refresh_is_rationed(client: TestClient, state: SandboxState) -> None:
    original = _stable(client)["access_token"]
    refreshed = _stable(client, force_refresh=True)["access_token"]
    assert refreshed != original
    assert _stable(client, force_refresh=True)["access_token"] != refreshed
    assert _stable(client, force_refresh=True)["errcode"] == 45009
    state.clock.advance(86400)
    assert "access_token" in _stable(client, force_refresh=True)


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"secret": "wrong"}, 40125),
        ({"appid": "wxnobody"}, 40013),
        ({"grant_type": "authorization_code"}, 40002),
        ({"force_refresh": "maybe"}, 47001),
    ],
)
def test_stable_token_refusals(client: TestClient, body: dict[str, Any], errcode: int) -> None:
    assert _stable(client, **body)["errcode"] == errcode


def test_stable_token_needs_a_body(client: TestClient) -> None:
    assert client.post("/cgi-bin/stable_token").json()["errcode"] == 44002
    assert client.post("/cgi-bin/stable_token", content=b"{").json()["errcode"] == 47001


def test_hooks_expire_and_invalidate_tokens(
    client: TestClient, token: Callable[[str], str]
) -> None:
    expiring = token("dgtq")
    other = token("dgjj")
    assert client.post(f"/sandbox/tokens/{APPID}/expire").json() == {"appid": APPID, "tokens": 1}
    assert _menu_get(client, expiring) == 42001
    assert _menu_get(client, other) == 46003  # other accounts are untouched
    fresh = token("dgtq")
    assert client.post(f"/sandbox/tokens/{APPID}/invalidate").json()["tokens"] == 2
    assert _menu_get(client, fresh) == 40001
    missing = client.post("/sandbox/tokens/wxnobody/expire")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_stats_count_calls_and_refusals(client: TestClient, token: Callable[[str], str]) -> None:
    _menu_get(client, token("dgtq"))
    _menu_get(client, None)
    stats = client.get("/sandbox/stats").json()
    assert stats["api_calls"]["/cgi-bin/menu/get"] == 2
    assert stats["errors"] == {"46003": 1, "41001": 1}
