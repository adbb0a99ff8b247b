"""The mobile home screen at the edge: `GET /api/v1/me/overview` reads every service at once for
the signed-in citizen within one budget, and a service that is down or slow costs only its own
section. The services are fakes answering the reads the real ones serve, checking the internal
token each read carries; the rules that turn answers into sections are tested as a table."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.auth.tokens import issue_public_token, token_key
from gateway.main import create_app as create_gateway_app
from gateway.overview import EXAMPLE, Overview
from gateway.overview_sections import (
    SECTIONS,
    Answered,
    Failed,
    Outcome,
    Read,
    SectionResult,
    read_outcome,
    section_result,
    today_of,
)
from gateway.settings import SERVICES, GatewaySettings
from servicekit.errors import PROBLEM_JSON
from servicekit.identity import verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, serve_in_thread

PUBLIC_KEY = token_key(internal_secret=TEST_SECRET)
CLOSED = "http://127.0.0.1:9"
CITIZEN = "c-0123456789abcdef"
NO_LICENCE = "您尚未绑定驾驶证，请先在“我的绑定”中用驾驶证号和档案编号绑定。"

VIOLATIONS = {
    "items": [{"id": 7, "plate": "粤S1****", "status": "decided_unpaid", "amount_due_fen": 20000}],
    "total": 1,
    "on": "2026-06-15",
    "amount_due_fen": 20000,
}
TRAFFIC = {"violations": VIOLATIONS, "licence": None, "licence_detail": NO_LICENCE}
CARD = {"card_number": "****1234", "status": "normal", "status_text": "正常"}
CONTRIBUTION = {"month": "2026-05", "insurance": "pension", "total_fen": 96000, "status": "paid"}
SOCIALSEC = {"card": CARD, "last_contribution": CONTRIBUTION}
NOT_BOUND = "您尚未绑定社保信息。"
TODAY = {"date": "2026-06-15", "text": "多云转雷阵雨", "temp_max": 33, "temp_min": 26}
WARNING = {"name": "暴雨黄色预警信号", "area": "dongguan"}
FORECAST = {
    "warnings": [WARNING],
    "location": {"code": "dalang", "name": "大朗镇"},
    "forecast_date": "2026-06-15",
    "issued_at": "2026-06-15T16:00:00+08:00",
    "source": "forecaster",
    "days": [TODAY, {**TODAY, "date": "2026-06-16"}],
}
FOLLOWS = {"items": [{"code": "dgtq", "name": "东莞天气"}], "total": 1}
APPLICATIONS = {"items": [{"number": "BJ20260615000001", "state": "已排期"}], "total": 1}


def problem(detail: str) -> tuple[int, dict[str, Any]]:
    return 404, {"type": "about:blank", "title": "Not Found", "status": 404, "detail": detail}


# What each fake service answers, by path: (status, body); a 404 is a problem document.
ANSWERS: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {
    "traffic": {"/v1/me/summary": (200, TRAFFIC)},
    "socialsec": {"/v1/me/summary": (200, SOCIALSEC)},
    "weather": {"/v1/forecasts/dalang": (200, FORECAST)},
    "accounts": {"/v1/me/follows": (200, FOLLOWS)},
    "inspection": {"/v1/me/applications": (200, APPLICATIONS)},
}
NOT_FOUND = problem("未找到请求的资源。")


@dataclass(frozen=True)
class Seen:
    """One read a fake service got: path, query, and the citizen its token vouched for."""

    path: str
    query: str
    citizen: str | None


@dataclass
class FakeService:
    """A service answering `ANSWERS[name]` (or its own `answers`); `held` paths wait until
    `release` is set."""

    name: str
    held: frozenset[str] = frozenset()
    url: str = ""
    # Answers of this fake instead of ANSWERS[name].
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{path:path}", response_model=None)
        async def answer(path: str, request: Request) -> JSONResponse:
            authorization = request.headers.get("authorization")
            citizen = None
            if authorization is not None:
                token = authorization.removeprefix("Bearer ")
                identity = verify_token(token, secret=TEST_SECRET, audience=self.name)
                citizen = identity.subject if identity.kind == "citizen" else None
            self.seen.append(Seen(f"/{path}", request.url.query, citizen))
            if f"/{path}" in self.held:
                self.reached.set()
                await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            answers = self.answers or ANSWERS[self.name]
            status, body = answers.get(f"/{path}", NOT_FOUND)
            media_type = "application/json" if status == 200 else PROBLEM_JSON
            return JSONResponse(body, status_code=status, media_type=media_type)

        return app


def gateway_settings(urls: dict[str, str], **overrides: Any) -> GatewaySettings:
    return GatewaySettings(
        **{f"{name}_url": url for name, url in urls.items()},
        rate_limit_enabled=False,
        # Module-scoped gateways start before conftest's autouse fixture could turn it off.
        wechat_menu_sync_seconds=0,
        shared=SharedSettings(env="dev"),
        **overrides,
    )


def bearer(citizen_id: str = CITIZEN) -> dict[str, str]:
    token = issue_public_token(
        key=PUBLIC_KEY, citizen_id=citizen_id, account="dgtq", ttl_seconds=600
    )
    return {"Authorization": f"Bearer {token}"}


def get_overview(gateway: str, headers: dict[str, str], town: str = "dalang") -> httpx.Response:
    return httpx.get(
        f"{gateway}/api/v1/me/overview", params={"town": town}, headers=headers, timeout=30
    )


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, FakeService]]:
    with ExitStack() as stack:
        fakes = {name: FakeService(name) for name in SERVICES}
        for fake in fakes.values():
            fake.url = stack.enter_context(serve_in_thread(fake.app()))
        yield fakes


def urls_of(services: dict[str, FakeService]) -> dict[str, str]:
    return {name: fake.url for name, fake in services.items()}


@pytest.fixture(scope="module")
def gateway(services: dict[str, FakeService]) -> Iterator[str]:
    with serve_in_thread(create_gateway_app(gateway_settings(urls_of(services)))) as url:
        yield url


def test_with_every_service_up_the_screen_is_complete(
    gateway: str, services: dict[str, FakeService]
) -> None:
    for fake in services.values():
        fake.seen.clear()
    answer = get_overview(gateway, bearer())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["complete"] is True and body["town"] == "dalang"
    assert body["traffic"] == {"status": "ok", "data": TRAFFIC, "detail": None}
    assert body["socialsec"] == {"status": "ok", "data": SOCIALSEC, "detail": None}
    assert body["weather"] == {
        "status": "ok",
        "data": {
            "location": FORECAST["location"],
            "warnings": [WARNING],
            "issued_at": FORECAST["issued_at"],
            "today": TODAY,
        },
        "detail": None,
    }
    assert body["accounts"] == {"status": "ok", "data": FOLLOWS, "detail": None}
    assert body["inspection"] == {"status": "ok", "data": APPLICATIONS, "detail": None}
    Overview.model_validate(body)
    # Each personal read went as this citizen, with the query its section asks; the forecast,
    # public, went without a token.
    for name, read in SECTIONS.items():
        expected = Seen(read.target("dalang"), read.query, CITIZEN if read.personal else None)
        assert services[name].seen == [expected], name


def test_another_citizen_is_read_as_themselves(
    gateway: str, services: dict[str, FakeService]
) -> None:
    services["accounts"].seen.clear()
    assert get_overview(gateway, bearer("c-fedcba9876543210")).status_code == 200
    assert [s.citizen for s in services["accounts"].seen] == ["c-fedcba9876543210"]


@pytest.mark.slow
def test_a_service_that_refuses_connections_is_unavailable_and_the_rest_complete(
    services: dict[str, FakeService],
) -> None:
    settings = gateway_settings({**urls_of(services), "traffic": CLOSED})
    with serve_in_thread(create_gateway_app(settings)) as gateway:
        answer = get_overview(gateway, bearer())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["complete"] is False
    assert body["traffic"] == {
        "status": "unavailable",
        "data": None,
        "detail": "交警服务暂时不可用，请稍后刷新。",
    }
    for name in ("socialsec", "weather", "accounts", "inspection"):
        assert body[name]["status"] == "ok" and body[name]["data"], name


@pytest.mark.slow
def test_a_slow_service_times_out_within_the_budget_and_the_rest_complete(
    services: dict[str, FakeService],
) -> None:
    budget = 1.0
    with ExitStack() as stack:
        slow = FakeService("socialsec", held=frozenset({"/v1/me/summary"}))
        url = stack.enter_context(serve_in_thread(slow.app()))
        settings = gateway_settings(
            {**urls_of(services), "socialsec": url}, overview_budget_ms=int(budget * 1000)
        )
        gateway = stack.enter_context(serve_in_thread(create_gateway_app(settings)))
        # Registered last, so run first: the held request ends before the servers stop.
        stack.callback(slow.release.set)
        started = time.perf_counter()
        answer = get_overview(gateway, bearer())
        elapsed = time.perf_counter() - started
        assert slow.reached.is_set()
    assert answer.status_code == 200, answer.text
    assert budget <= elapsed < budget + 0.5, elapsed
    body = answer.json()
    assert body["complete"] is False
    assert body["socialsec"] == {
        "status": "timeout",
        "data": None,
        "detail": "社保服务响应超时，请稍后刷新。",
    }
    for name in ("traffic", "weather", "accounts", "inspection"):
        assert body[name]["status"] == "ok" and body[name]["data"], name


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"X-Api-Key": "dev-staff-key"}],
    ids=["none", "forged", "staff-key"],
)
def test_without_a_citizen_token_there_is_no_overview(
    gateway: str, services: dict[str, FakeService], headers: dict[str, str]
) -> None:
    services["accounts"].seen.clear()
    answer = get_overview(gateway, headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"]
    assert services["accounts"].seen == []


def test_a_town_that_is_no_code_is_refused(gateway: str) -> None:
    answer = get_overview(gateway, bearer(), town="大朗")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "town"


def test_without_a_town_the_weather_is_the_citys(
    gateway: str, services: dict[str, FakeService]
) -> None:
    services["weather"].seen.clear()
    answer = httpx.get(f"{gateway}/api/v1/me/overview", headers=bearer(), timeout=30)
    body = answer.json()
    assert body["town"] == "dongguan"
    assert [s.path for s in services["weather"].seen] == ["/v1/forecasts/dongguan"]
    # This fake has no forecast for the whole city: weather's own 404 detail is shown.
    assert body["weather"] == {"status": "ok", "data": None, "detail": "未找到请求的资源。"}


@pytest.mark.slow
def test_a_service_with_nothing_to_show_says_why_in_its_own_words(
    services: dict[str, FakeService],
) -> None:
    with ExitStack() as stack:
        unbound = FakeService("socialsec", answers={"/v1/me/summary": problem(NOT_BOUND)})
        url = stack.enter_context(serve_in_thread(unbound.app()))
        settings = gateway_settings({**urls_of(services), "socialsec": url})
        gateway = stack.enter_context(serve_in_thread(create_gateway_app(settings)))
        body = get_overview(gateway, bearer()).json()
    assert body["complete"] is True
    assert body["socialsec"] == {"status": "ok", "data": None, "detail": NOT_BOUND}


def test_the_documented_example_is_an_overview() -> None:
    example = Overview.model_validate(EXAMPLE)
    assert example.complete is False
    # Exactly what the endpoint emits, nulls included.
    assert example.model_dump(mode="json") == EXAMPLE


# -- the rules, as a table ------------------------------------------------------------------------

READ = Read("/v1/y")
SHAPED = Read("/v1/forecasts/{town}", personal=False, shape=today_of)


@pytest.mark.parametrize(
    ("read", "status", "document", "expected"),
    [
        (READ, 200, {"a": 1}, Answered(value={"a": 1})),
        (SHAPED, 200, FORECAST, Answered(value=today_of(FORECAST))),
        (SHAPED, 200, {**FORECAST, "days": []}, Failed("unavailable")),
        (SHAPED, 200, {"unexpected": True}, Failed("unavailable")),
        (READ, 200, None, Failed("unavailable")),
        (READ, 200, [1, 2], Failed("unavailable")),
        (READ, 404, {"detail": "您尚未绑定社保卡。"}, Answered(detail="您尚未绑定社保卡。")),
        (READ, 409, {"detail": "已撤回授权。"}, Answered(detail="已撤回授权。")),
        (READ, 404, None, Failed("unavailable")),
        (READ, 404, {"detail": ""}, Failed("unavailable")),
        (READ, 401, {"detail": "身份令牌无效或已过期。"}, Failed("unavailable")),
        (READ, 429, {"detail": "请求过多。"}, Failed("unavailable")),
        (READ, 500, {"detail": "boom"}, Failed("unavailable")),
        (READ, 503, None, Failed("unavailable")),
    ],
)
def test_read_outcome(read: Read, status: int, document: Any, expected: Outcome) -> None:
    assert read_outcome(read, status, document) == expected


@pytest.mark.parametrize(
    ("service", "outcome", "expected"),
    [
        ("socialsec", Answered(value={"a": 1}), SectionResult("ok", data={"a": 1})),
        ("socialsec", Answered(detail="未绑定。"), SectionResult("ok", detail="未绑定。")),
        (
            "socialsec",
            Failed("unavailable"),
            SectionResult("unavailable", detail="社保服务暂时不可用，请稍后刷新。"),
        ),
        (
            "traffic",
            Failed("timeout"),
            SectionResult("timeout", detail="交警服务响应超时，请稍后刷新。"),
        ),
    ],
)
def test_section_result(service: str, outcome: Outcome, expected: SectionResult) -> None:
    assert section_result(service, outcome) == expected


@pytest.mark.parametrize(
    ("forecast", "expected"),
    [
        (
            FORECAST,
            {
                "location": FORECAST["location"],
                "warnings": [WARNING],
                "issued_at": FORECAST["issued_at"],
                "today": TODAY,
            },
        ),
        (
            {**FORECAST, "warnings": [], "days": [TODAY]},
            {
                "location": FORECAST["location"],
                "warnings": [],
                "issued_at": FORECAST["issued_at"],
                "today": TODAY,
            },
        ),
    ],
)
def test_today_of(forecast: dict[str, Any], expected: dict[str, Any]) -> None:
    assert today_of(forecast) == expected


def test_every_service_has_a_section() -> None:
    assert sorted(SECTIONS) == sorted(SERVICES)
