"""CORS on the public listener: pages of allowlisted origins may read the API's answers, any
other origin gets no Access-Control-* header; credentials off; preflights cached for the set
max-age; the internal listener speaks no CORS. (The browser's side: tests/integration/
test_cors_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from gateway.cors import ALLOWED_METHODS, EXPOSED_HEADERS, OriginAllowlist, allowed_origin
from gateway.settings import DEV_CORS_ORIGINS, GatewaySettings
from servicekit.settings import SharedSettings
from servicekit.testing import serve_in_thread

APP = "https://h5.dg.gov.cn"
OTHER = "https://evil.example.com"
FORECAST = "/api/v1/weather/forecasts/dalang"
PROD_SECRET = "k7Qp2vXw9LmZr4Ts8Yb1Nc6Hd3Jf5Ga0"
# Nothing answers here: no test reaches the platform.
CLOSED = "http://127.0.0.1:9"


def preflight(origin: str, method: str = "GET", headers: str = "") -> dict[str, str]:
    """The headers of a browser's preflight from `origin`."""
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return asked


def cors_headers(response: httpx.Response) -> dict[str, str]:
    """The Access-Control-* headers of `response`."""
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def vary(response: httpx.Response) -> list[str]:
    """The fields `response` varies by."""
    return [f.strip().lower() for v in response.headers.get_list("vary") for f in v.split(",")]


# -- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("https://h5.dg.gov.cn", None),
        ("http://127.0.0.1:5173", None),
        ("http://localhost:*", None),
        ("http://[::1]:8080", None),
        ("*", "not an origin"),
        ("null", "not an origin"),
        ("h5.dg.gov.cn", "not an origin"),
        ("ftp://h5.dg.gov.cn", "not an origin"),
        ("https://h5.dg.gov.cn/", "path"),
        ("https://h5.dg.gov.cn/app", "path"),
        ("https://h5.dg.gov.cn?x=1", "path"),
        ("https://h5.dg.gov.cn#", "path"),
        ("https://user@h5.dg.gov.cn", "credentials"),
        ("https://*.dg.gov.cn", "wildcard"),
        ("https://h5.dg.gov.cn:99999", "not an origin"),
        ("https://h5.dg.gov.cn:0", "port 0"),
        ("https://h5.dg.gov.cn ", "spaces"),
        ("https://H5.dg.gov.cn", "lower case"),
    ],
)
def test_allowlist_entries_are_bare_origins(entry: str, problem: str | None) -> None:
    if problem is None:
        allowed_origin(entry)
    else:
        with pytest.raises(ValueError, match=problem):
            allowed_origin(entry)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://h5.dg.gov.cn", True),
        ("https://h5.dg.gov.cn:443", True),  # the default port, spelt out
        ("http://h5.dg.gov.cn", False),  # another scheme
        ("https://h5.dg.gov.cn:8443", False),  # another port
        ("https://h5.dg.gov.cn.evil.com", False),
        ("https://evil-h5.dg.gov.cn", False),
        ("https://dg.gov.cn", False),
        ("http://127.0.0.1:5173", True),
        ("http://127.0.0.1", True),  # `:*` covers the default port too
        ("https://127.0.0.1:5173", False),
        ("http://127.0.0.2:5173", False),
        ("http://localhost:3000", True),
        ("http://[::1]:3000", False),
        ("null", False),  # sandboxed frames and file:// pages
        ("", False),
        ("https://h5.dg.gov.cn/", False),  # not what a browser sends
        ("https://h5.dg.gov.cn\\@evil.com", False),
    ],
)
def test_origin_matching(origin: str, allowed: bool) -> None:
    allowlist = OriginAllowlist([APP, "http://127.0.0.1:*", "http://localhost:*"])
    assert allowlist.allows(origin) is allowed


def test_dev_allows_the_local_origins_unless_told_otherwise() -> None:
    dev = SharedSettings(env="dev")
    assert GatewaySettings(shared=dev).cors_origins == DEV_CORS_ORIGINS
    assert GatewaySettings(shared=dev, cors_origins=[APP]).cors_origins == [APP]


def production(**overrides: Any) -> GatewaySettings:
    """Gateway settings with ENV=prod."""
    return GatewaySettings(
        shared=SharedSettings(env="prod", internal_token_secret=PROD_SECRET),
        wechat_api_base_url=CLOSED,
        **overrides,
    )


def test_outside_dev_no_origin_unless_set_and_never_any_port() -> None:
    assert production().cors_origins == []
    assert production(cors_origins=[APP]).cors_origins == [APP]
    with pytest.raises(ValidationError, match="only ENV=dev"):
        production(cors_origins=[APP, "http://localhost:*"])


def test_the_setting_is_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", f'["{APP}", "https://m.dg.gov.cn:8443"]')
    assert production().cors_origins == [APP, "https://m.dg.gov.cn:8443"]
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://h5.dg.gov.cn/app/"]')
    with pytest.raises(
        ValidationError, match=re.escape("cors_origins: 'https://h5.dg.gov.cn/app/'")
    ):
        production()


# -- the gateway's answers -----------------------------------------------------------------------


def fake_weather() -> FastAPI:
    """A weather service whose forecast says CORS things of its own (the gateway's policy wins)."""
    app = FastAPI()

    @app.get("/v1/forecasts/{district}")
    async def forecast(district: str) -> JSONResponse:
        headers = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Accept-Language",
        }
        return JSONResponse({"district": district, "days": []}, headers=headers)

    return app


@pytest.fixture
def gateway(
    gateway_listeners: Callable[..., tuple[str, str]],
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Clients of the gateway's public and internal listeners, CORS allowing APP only, with a
    fake weather service."""
    with serve_in_thread(fake_weather()) as weather:
        public, internal = gateway_listeners(
            CLOSED, weather_url=weather, cors_origins=[APP], cors_max_age_seconds=1234
        )
        with httpx.Client(base_url=public) as p, httpx.Client(base_url=internal) as i:
            yield p, i


@pytest.mark.slow
def test_an_allowed_origin_reads_the_answer_and_its_exposed_headers(
    gateway: tuple[httpx.Client, httpx.Client],
) -> None:
    public, _ = gateway
    response = public.get(FORECAST, headers={"Origin": APP})
    assert response.status_code == 200
    assert response.json()["district"] == "dalang"
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": ", ".join(EXPOSED_HEADERS),
    }
    assert {"accept-language", "origin"} <= set(vary(response))
    assert vary(response).count("origin") == 1


@pytest.mark.slow
@pytest.mark.parametrize("origin", [OTHER, "null", "http://127.0.0.1:5173", APP + ":8443"])
def test_another_origin_gets_no_cors_header_at_all(
    gateway: tuple[httpx.Client, httpx.Client], origin: str
) -> None:
    public, _ = gateway
    response = public.get(FORECAST, headers={"Origin": origin})
    # CORS is the browser's to enforce: the answer is made, but the browser withholds it.
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "origin" in vary(response)


@pytest.mark.slow
def test_without_origin_the_answer_varies_by_origin_and_says_no_cors(
    gateway: tuple[httpx.Client, httpx.Client],
) -> None:
    public, _ = gateway
    response = public.get(FORECAST)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    # So that a cache never hands this answer (without Allow-Origin) to an app's page, nor the
    # app's to another origin.
    assert "origin" in vary(response)


@pytest.mark.slow
def test_an_allowed_preflight_is_answered_and_cached(
    gateway: tuple[httpx.Client, httpx.Client],
) -> None:
    public, _ = gateway
    asked = preflight(APP, "POST", "authorization, content-type, idempotency-key")
    response = public.options("/api/v1/traffic/me/payments", headers=asked)
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
        "access-control-allow-headers": "Authorization, Content-Type, Idempotency-Key, "
        "X-Request-Id, traceparent, tracestate",
        "access-control-max-age": "1234",
    }
    assert "origin" in vary(response)
    # Answered inside the request context: it has its request id (and its access log line).
    assert response.headers["x-request-id"]


@pytest.mark.slow
def test_a_preflight_for_a_staff_key_lists_no_such_header(
    gateway: tuple[httpx.Client, httpx.Client],
) -> None:
    public, _ = gateway
    response = public.options(FORECAST, headers=preflight(APP, "GET", "x-api-key"))
    # The browser compares the request's headers with the list and refuses to send the call.
    assert "x-api-key" not in response.headers["access-control-allow-headers"].lower()


@pytest.mark.slow
@pytest.mark.parametrize("origin", [OTHER, "null", "http://localhost:3000"])
def test_a_refused_preflight_is_not_answered_as_allowed(
    gateway: tuple[httpx.Client, httpx.Client], origin: str
) -> None:
    public, _ = gateway
    response = public.options(FORECAST, headers=preflight(origin, "GET", "authorization"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "此网页的来源不在允许跨域调用接口之列。"
    assert cors_headers(response) == {}
    assert "origin" in vary(response)


@pytest.mark.slow
def test_the_internal_listener_speaks_no_cors(
    gateway: tuple[httpx.Client, httpx.Client],
) -> None:
    _, internal = gateway
    response = internal.options("/internal/wechat/dgtq/mass-news", headers=preflight(APP, "POST"))
    assert response.status_code != 204
    assert cors_headers(response) == {}
