"""Sign-in for mobile and H5 apps end to end: the real sandbox (WeChat), a fake accounts service
and the gateway, each served by uvicorn; httpx plays the citizen's browser."""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from gateway.auth.signin import STATE_COOKIE, own_h5_page, redirect_allowed
from gateway.auth.tokens import (
    PendingSignIn,
    issue_public_token,
    open_state,
    seal_state,
    token_key,
)
from gateway.main import create_app as create_gateway_app
from gateway.settings import GatewaySettings
from sandbox.main import create_app as create_sandbox_app
from sandbox.settings import SandboxSettings
from servicekit.app import create_service_app
from servicekit.identity import CitizenDep, issue_token, requires_caller
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import TEST_SECRET, serve_in_thread

# The same accounts for the platform and the gateway (codes of the accounts registry).
ACCOUNTS = [
    {"code": "dgjj", "appid": "wxtest0000000dgjj", "token": "t-dgjj", "app_secret": "s-dgjj"},
    {"code": "dgtq", "appid": "wxtest0000000dgtq", "token": "t-dgtq", "app_secret": "s-dgtq"},
]
APP = "http://127.0.0.1:5173/h5/index.html?from=menu"
PUBLIC_KEY = token_key(internal_secret=TEST_SECRET)
WRONG_KEY = "an-attacker-guessed-key-of-32-bytes!"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    settings = SandboxSettings(wechat_accounts=ACCOUNTS, shared=SharedSettings(env="dev"))
    with serve_in_thread(create_sandbox_app(settings)) as url:
        yield url


class FakeAccountsSettings(ServiceSettings):
    service_name: ClassVar[str] = "accounts"


class Resolve(BaseModel):
    account_code: str
    openid: str
    unionid: str | None = None


def fake_accounts_app() -> FastAPI:
    """The accounts endpoints sign-in uses: one citizen per unionid (else per openid), and
    `/v1/me` for the citizen an internal token vouches for (any other token is a 401)."""
    citizens: dict[str, str] = {}
    openids: dict[str, list[dict[str, str]]] = {}
    router = APIRouter()

    @router.post("/v1/internal/citizens/resolve", dependencies=[requires_caller("gateway")])
    def resolve(body: Resolve) -> dict[str, str]:
        key = body.unionid or f"{body.account_code}:{body.openid}"
        citizen_id = citizens.setdefault(key, f"c-{secrets.token_hex(16)}")
        known = openids.setdefault(citizen_id, [])
        entry = {"account_code": body.account_code, "openid": body.openid}
        if entry not in known:
            known.append(entry)
        return {"citizen_id": citizen_id}

    @router.get("/v1/me")
    def me(citizen: CitizenDep) -> dict[str, object]:
        wechat = citizen.wechat
        return {
            "citizen_id": citizen.subject,
            "openids": openids.get(citizen.subject, []),
            # Who the internal token says WeChat signed in (what traffic takes as the payer).
            "wechat": wechat and {"appid": wechat.appid, "openid": wechat.openid},
        }

    settings = FakeAccountsSettings(shared=SharedSettings(env="dev"))
    return create_service_app(settings, title="accounts (fake)", routers=[router])


@pytest.fixture(scope="module")
def accounts_url() -> Iterator[str]:
    with serve_in_thread(fake_accounts_app()) as base:
        yield base


@pytest.fixture(scope="module")
def gateway(sandbox_url: str, accounts_url: str) -> Iterator[str]:
    closed = "http://127.0.0.1:9"  # the other services are not needed here
    settings = GatewaySettings(
        accounts_url=accounts_url,
        traffic_url=closed,
        weather_url=closed,
        socialsec_url=closed,
        inspection_url=closed,
        wechat_api_base_url=sandbox_url,
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    with serve_in_thread(create_gateway_app(settings)) as url:
        yield url


def _citizen_page_choice(page: str, name: str) -> tuple[str, dict[str, str]]:
    """The sandbox page's form action and the fields that choose the citizen called `name`."""
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action, page
    fields = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }
    choice = re.search(
        rf'<button type="submit" name="citizen" value="([^"]+)">以「{name}」的身份登录', page
    )
    assert choice, page
    return html.unescape(action.group(1)), {**fields, "citizen": html.unescape(choice.group(1))}


def sign_in(
    browser: httpx.Client,
    gateway: str,
    *,
    account: str = "dgjj",
    name: str = "张三",
    app: str = APP,
) -> httpx.Response:
    """authorize -> the platform's page -> choose a citizen -> callback; the callback's answer."""
    params = {"account": account, "redirect": app} if app else {"account": account}
    start = browser.get(f"{gateway}/api/v1/auth/wechat/authorize", params=params)
    assert start.status_code == 302, start.text
    page_url = start.headers["location"]
    page = browser.get(page_url)
    assert page.status_code == 200 and "申请授权" in page.text
    action, form = _citizen_page_choice(page.text, name)
    chosen = browser.post(urljoin(page_url, action), data=form)
    assert chosen.status_code == 302
    callback = chosen.headers["location"]
    assert callback.startswith(f"{gateway}/api/v1/auth/wechat/callback?")
    return browser.get(callback)


def fragment(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(APP + "#")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def sandbox_openid(sandbox_url: str, name: str, account: str) -> str:
    items = httpx.get(f"{sandbox_url}/sandbox/citizens", params={"limit": 100}).json()["items"]
    return next(c["openids"][account] for c in items if c["name"] == name)


def me(gateway: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{gateway}/api/v1/accounts/me", headers=headers)


@pytest.mark.slow
def test_sign_in_end_to_end(gateway: str, sandbox_url: str, accounts_url: str) -> None:
    with httpx.Client() as browser:
        start = browser.get(
            f"{gateway}/api/v1/auth/wechat/authorize", params={"account": "dgjj", "redirect": APP}
        )
        assert start.status_code == 302
        location = start.headers["location"]
        assert location.startswith(f"{sandbox_url}/connect/oauth2/authorize?")
        assert location.endswith("#wechat_redirect")
        query = parse_qs(urlsplit(location).query)
        assert query["appid"] == ["wxtest0000000dgjj"] and query["scope"] == ["snsapi_base"]
        assert query["response_type"] == ["code"]
        assert query["redirect_uri"] == [f"{gateway}/api/v1/auth/wechat/callback"]
        cookie = start.headers["set-cookie"].lower()
        assert cookie.startswith(f"{STATE_COOKIE}=")
        for attribute in ("httponly", "samesite=lax", "path=/api/v1/auth/wechat", "max-age=600"):
            assert attribute in cookie, attribute

        answer = sign_in(browser, gateway)
        assert answer.headers["cache-control"] == "no-store"
        assert f"{STATE_COOKIE}=" in answer.headers["set-cookie"]  # cleared
        grant = fragment(answer)
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == "7200"
    token = grant["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "gateway-public" and claims["aud"] == "guanwei-app"
    assert claims["exp"] - claims["iat"] == 7200

    answered = me(gateway, token)
    assert answered.status_code == 200, answered.text
    profile = answered.json()
    assert profile["citizen_id"] == claims["sub"] and profile["citizen_id"].startswith("c-")
    openid = sandbox_openid(sandbox_url, "张三", "dgjj")
    # The gateway resolved the citizen with the openid the platform gave for this account.
    assert profile["openids"] == [{"account_code": "dgjj", "openid": openid}]
    # The token carries that openid with the account's appid, and so does the internal token
    # the service gets: a payment's payer comes from here, never from a request body.
    wechat = {"appid": "wxtest0000000dgjj", "openid": openid}
    assert (claims["acc"], claims["wx"]) == ("dgjj", wechat)
    assert profile["wechat"] == wechat

    # The same person through another account is the same citizen (one unionid).
    with httpx.Client() as browser:
        again = fragment(sign_in(browser, gateway, account="dgtq"))
    other = me(gateway, again["access_token"]).json()
    assert other["citizen_id"] == profile["citizen_id"]
    assert [o["account_code"] for o in other["openids"]] == ["dgjj", "dgtq"]
    dgtq_openid = sandbox_openid(sandbox_url, "张三", "dgtq")
    assert other["wechat"] == {"appid": "wxtest0000000dgtq", "openid": dgtq_openid}

    # Another simulated citizen is another citizen.
    with httpx.Client() as browser:
        li = fragment(sign_in(browser, gateway, name="李四"))
    assert me(gateway, li["access_token"]).json()["citizen_id"] != profile["citizen_id"]

    # The public token is no internal token: a service refuses it outright.
    direct = httpx.get(f"{accounts_url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert direct.status_code == 401


def test_without_a_redirect_the_callback_answers_json(gateway: str) -> None:
    with httpx.Client() as browser:
        answer = sign_in(browser, gateway, app="")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    grant = answer.json()
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 7200
    assert me(gateway, grant["access_token"]).json()["citizen_id"] == grant["citizen_id"]


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_personal_endpoints_refuse_missing_forged_and_expired_tokens(gateway: str) -> None:
    _assert_401(me(gateway, None))  # answered by accounts itself, through the proxy
    citizen = "c-0123456789abcdef0123456789abcdef"
    forged = issue_public_token(key=WRONG_KEY, citizen_id=citizen, account="dgjj", ttl_seconds=60)
    _assert_401(me(gateway, forged))
    now = int(time.time())
    expired = jwt.encode(
        {
            "iss": "gateway-public",
            "aud": "guanwei-app",
            "sub": citizen,
            "iat": now - 7300,
            "exp": now - 100,
        },
        PUBLIC_KEY,
        algorithm="HS256",
    )
    _assert_401(me(gateway, expired))
    internal = issue_token(secret=TEST_SECRET, audience="accounts", subject=citizen)
    _assert_401(me(gateway, internal))
    bad_wechat = jwt.encode(
        {
            "iss": "gateway-public",
            "aud": "guanwei-app",
            "sub": citizen,
            "iat": now,
            "exp": now + 60,
            "jti": "j-1",
            "wx": {"appid": "wxtest0000000dgjj"},
        },
        PUBLIC_KEY,
        algorithm="HS256",
    )
    _assert_401(me(gateway, bad_wechat))
    # A token issued without a WeChat user (before it was carried) still signs the citizen in.
    plain = issue_public_token(key=PUBLIC_KEY, citizen_id=citizen, account="dgjj", ttl_seconds=60)
    assert me(gateway, plain).json()["wechat"] is None
    other_audience = jwt.encode(
        {"iss": "gateway-public", "aud": "accounts", "sub": citizen, "iat": now, "exp": now + 60},
        PUBLIC_KEY,
        algorithm="HS256",
    )
    _assert_401(me(gateway, other_audience))
    basic = httpx.get(f"{gateway}/api/v1/accounts/me", headers={"Authorization": "Basic eDp5"})
    _assert_401(basic)
    # Only the sign-in routes live under /api/v1/auth/: nothing else is taken for a service.
    assert httpx.get(f"{gateway}/api/v1/auth/nothing-here").status_code == 404


def test_signing_out_revokes_that_token_only(gateway: str) -> None:
    tokens = []
    for _ in range(2):  # 张三 signed in on two devices
        with httpx.Client() as browser:
            tokens.append(fragment(sign_in(browser, gateway))["access_token"])
    first, second = tokens
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 2
    signout = f"{gateway}/api/v1/auth/signout"
    out = httpx.post(signout, headers={"Authorization": f"Bearer {first}"})
    assert out.status_code == 204, out.text
    _assert_401(me(gateway, first))
    assert me(gateway, second).status_code == 200
    _assert_401(httpx.post(signout, headers={"Authorization": f"Bearer {first}"}))
    _assert_401(httpx.post(signout))


def test_state_must_match_the_browser(gateway: str, sandbox_url: str) -> None:
    with httpx.Client() as browser:
        start = browser.get(
            f"{gateway}/api/v1/auth/wechat/authorize", params={"account": "dgjj", "redirect": APP}
        )
        assert start.status_code == 302
        mismatch = browser.get(
            f"{gateway}/api/v1/auth/wechat/callback", params={"code": "x", "state": "forged"}
        )
        assert mismatch.status_code == 400
        assert mismatch.headers["content-type"] == "application/problem+json"
    # A callback in a browser that never started the sign-in (a login CSRF) is refused too.
    with httpx.Client() as browser:
        page_url = start.headers["location"]
        page = browser.get(page_url)
        action, form = _citizen_page_choice(page.text, "张三")
        callback = browser.post(urljoin(page_url, action), data=form).headers["location"]
        assert browser.get(callback).status_code == 400
    # A tampered cookie is refused.
    with httpx.Client() as browser:
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        browser.cookies.set(
            STATE_COOKIE,
            seal_state(
                PendingSignIn(
                    state=state, account="dgjj", redirect=APP, expires_at=int(time.time()) + 60
                ),
                key=WRONG_KEY,
            ),
        )
        answer = browser.get(
            f"{gateway}/api/v1/auth/wechat/callback", params={"code": "x", "state": state}
        )
        assert answer.status_code == 400


def test_a_code_is_used_once(gateway: str) -> None:
    with httpx.Client() as browser:
        first = sign_in(browser, gateway)
        assert first.status_code == 302
        callback = first.request.url
        # Replaying the callback: the cookie is gone.
        assert browser.get(callback).status_code == 400


def test_refusing_on_the_platform_page_returns_an_error_to_the_app(gateway: str) -> None:
    with httpx.Client() as browser:
        start = browser.get(
            f"{gateway}/api/v1/auth/wechat/authorize", params={"account": "dgjj", "redirect": APP}
        )
        page_url = start.headers["location"]
        action, form = _citizen_page_choice(browser.get(page_url).text, "张三")
        del form["citizen"]
        denied = browser.post(urljoin(page_url, action), data={**form, "deny": "1"})
        answer = browser.get(denied.headers["location"])
    assert answer.status_code == 302
    assert answer.headers["location"] == f"{APP}#error=access_denied"


def test_authorize_checks_the_account_and_the_redirect(gateway: str) -> None:
    url = f"{gateway}/api/v1/auth/wechat/authorize"
    unknown = httpx.get(url, params={"account": "nope", "redirect": APP})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    for bad in (
        "https://evil.example.com/",
        "http://127.0.0.1.evil.example.com/",
        "http://user@127.0.0.1:5173/",
        "javascript:alert(1)",
        "http://127.0.0.1:5173/#frag",
        "/relative",
    ):
        refused = httpx.get(url, params={"account": "dgjj", "redirect": bad})
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
        assert "set-cookie" not in refused.headers


def test_redirect_allowlist_matching() -> None:
    allow = ["https://h5.example.cn", "http://localhost:*", "http://127.0.0.1:5173"]
    assert redirect_allowed("https://h5.example.cn/app?x=1", allow)
    assert redirect_allowed("https://h5.example.cn:443/", allow)
    assert not redirect_allowed("https://h5.example.cn:8443/", allow)
    assert not redirect_allowed("http://h5.example.cn/", allow)
    assert redirect_allowed("http://localhost:3000/", allow)
    assert redirect_allowed("http://127.0.0.1:5173/a", allow)
    assert not redirect_allowed("http://127.0.0.1:5174/a", allow)
    assert not redirect_allowed("http://localhost:3000\\@evil.example.com/", allow)
    assert not redirect_allowed("https://h5.example.cn.evil.com/", allow)


def test_the_gateways_own_h5_pages_are_always_allowed() -> None:
    base = "https://gw.example.cn"
    assert own_h5_page("https://gw.example.cn/h5/fines?account=dgjj", base)
    assert not own_h5_page("https://gw.example.cn/api/v1/accounts/me", base)
    assert not own_h5_page("https://gw.example.cn/h5fines", base)
    assert not own_h5_page("http://gw.example.cn/h5/fines", base)
    assert not own_h5_page("https://gw.example.cn.evil.com/h5/fines", base)
    assert not own_h5_page("https://gw.example.cn/h5/fines", "")
    assert own_h5_page("https://gw.example.cn/gw/h5/fines", "https://gw.example.cn/gw")
    assert not own_h5_page("https://gw.example.cn/h5/fines", "https://gw.example.cn/gw")


def test_own_h5_page_is_accepted_outside_the_allowlist(sandbox_url: str) -> None:
    settings = GatewaySettings(
        accounts_url="http://127.0.0.1:9",
        wechat_api_base_url=sandbox_url,
        wechat_accounts=ACCOUNTS,
        auth_redirect_allowlist=["https://h5.example.cn"],
        public_base_url="https://gw.example.cn",
        shared=SharedSettings(env="dev"),
    )
    with serve_in_thread(create_gateway_app(settings)) as gateway:
        url = f"{gateway}/api/v1/auth/wechat/authorize"
        for page, status in (
            ("https://gw.example.cn/h5/fines?account=dgjj", 302),
            ("https://h5.example.cn/app", 302),
            ("https://gw.example.cn/api/v1/accounts/me", 422),
        ):
            answer = httpx.get(url, params={"account": "dgjj", "redirect": page})
            assert answer.status_code == status, page


@pytest.mark.slow
def test_state_cookie_seal() -> None:
    pending = PendingSignIn(state="s", account="dgjj", redirect=APP, expires_at=2_000)
    sealed = seal_state(pending, key="k")
    assert open_state(sealed, key="k", now=1_999) == pending
    assert open_state(sealed, key="k", now=2_000) is None  # expired
    assert open_state(sealed, key="other", now=1_000) is None
    body, mac = sealed.split(".")
    assert open_state(body[:-2] + "xx." + mac, key="k", now=1_000) is None
    assert open_state("garbage", key="k") is None
    assert open_state("", key="k") is None


@pytest.mark.slow
def test_public_and_internal_keys_differ() -> None:
    assert PUBLIC_KEY != TEST_SECRET
    assert token_key(internal_secret=TEST_SECRET, configured="set") == "set"
