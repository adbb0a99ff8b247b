"""The gateway's response cache over HTTP: a fake weather service marking its warning signals
`public, max-age=30` with an ETag, the gateway's clock fixed by the test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from gateway.cache_rules import Policy
from gateway.main import create_app
from gateway.response_cache import CachedResponse, MemoryResponseCache, RedisResponseCache
from gateway.settings import SERVICES, GatewaySettings
from gateway.state import gateway_state
from servicekit.settings import SharedSettings
from servicekit.testing import serve_in_thread

STAFF_KEY = "a-forecaster-key-for-the-cache"
MAX_AGE = 30
# Longer than the compression threshold (1 KB), so compressed for clients that ask.
LONG_TEXT = "东莞市气象台发布暴雨黄色预警信号。" * 40


@dataclass
class FakeWeather:
    """Warning signals at a version the test bumps, with what each request carried."""

    version: int = 1
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return f'"signals-v{self.version}"'

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/v1/warnings", methods=["GET", "HEAD"])
        async def warnings(request: Request) -> Response:
            self.requests.append(dict(request.headers))
            headers = {"cache-control": f"public, max-age={MAX_AGE}", "etag": self.etag}
            if request.headers.get("if-none-match") == self.etag:
                return Response(status_code=304, headers=headers)
            body = json.dumps({"version": self.version, "text": LONG_TEXT}, ensure_ascii=False)
            return Response(body, media_type="application/json", headers=headers)

        @app.post("/v1/warnings", status_code=201)
        async def issue() -> dict[str, int]:
            self.version += 1
            return {"version": self.version}

        @app.get("/v1/private")
        async def private() -> Response:
            self.requests.append({})
            return Response(
                "{}",
                media_type="application/json",
                headers={"cache-control": "private, max-age=30"},
            )

        @app.get("/v1/cookie")
        async def cookie() -> Response:
            self.requests.append({})
            return Response(
                "{}",
                media_type="application/json",
                headers={"cache-control": "public, max-age=30", "set-cookie": "sid=1"},
            )

        return app


class Clock:
    """Wall-clock seconds the test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gateway:
    url: str
    weather: FakeWeather
    clock: Clock

    def get(self, path: str = "/api/v1/weather/warnings", **headers: str) -> httpx.Response:
        """GET through the gateway, uncompressed unless `headers` ask (httpx asks for gzip)."""
        headers = {"accept-encoding": "identity", **headers}
        return httpx.get(self.url + path, headers=headers, timeout=10)


def serve_gateway(redis_url: str = "") -> Iterator[Gateway]:
    weather = FakeWeather()
    with serve_in_thread(weather.app()) as weather_url:
        urls = {f"{name}_url": "http://127.0.0.1:9" for name in SERVICES}
        settings = GatewaySettings(
            **(urls | {"weather_url": weather_url}),
            staff_keys={STAFF_KEY: ["forecaster"]},
            redis_url=redis_url,
            shared=SharedSettings(env="dev"),
        )
        app = create_app(settings)
        clock = Clock()
        cache = gateway_state(app).response_cache
        assert cache is not None
        cache.store.clock = clock
        with serve_in_thread(app) as url:
            yield Gateway(url, weather, clock)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from serve_gateway()


def test_a_second_get_is_served_from_the_cache_with_its_age(gateway: Gateway) -> None:
    first = gateway.get()
    gateway.clock.now += 7
    second = gateway.get()
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() == {"version": 1, "text": LONG_TEXT}
    assert len(gateway.weather.requests) == 1
    assert second.headers["age"] == "7"
    assert second.headers["etag"] == '"signals-v1"'
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


def test_a_stale_entry_is_revalidated_with_its_etag(gateway: Gateway) -> None:
    gateway.get()
    gateway.clock.now += MAX_AGE
    again = gateway.get()
    assert again.json()["version"] == 1
    assert again.headers["age"] == "0"
    assert [r.get("if-none-match") for r in gateway.weather.requests] == [
        None,
        '"signals-v1"',
    ]
    gateway.clock.now += MAX_AGE - 1  # renewed by the 304: fresh again
    gateway.get()
    assert len(gateway.weather.requests) == 2


def test_a_new_signal_shows_within_the_max_age(gateway: Gateway) -> None:
    gateway.get()
    gateway.weather.version = 2  # issued at the service, not through the gateway
    gateway.clock.now += MAX_AGE - 1
    assert gateway.get().json()["version"] == 1
    gateway.clock.now += 1
    renewed = gateway.get()
    assert renewed.json()["version"] == 2
    assert renewed.headers["etag"] == '"signals-v2"'
    gateway.clock.now += 1
    assert gateway.get().json()["version"] == 2
    assert len(gateway.weather.requests) == 2


def test_a_write_through_the_gateway_is_visible_at_once(gateway: Gateway) -> None:
    gateway.get()
    issued = httpx.post(
        gateway.url + "/api/v1/weather/warnings", headers={"x-api-key": STAFF_KEY}, timeout=10
    )
    assert issued.status_code == 201
    assert gateway.get().json()["version"] == 2


def test_requests_with_credentials_or_cookies_bypass_the_cache(gateway: Gateway) -> None:
    gateway.get()
    assert gateway.get(**{"x-api-key": STAFF_KEY}).status_code == 200
    assert gateway.get(cookie="sid=1").status_code == 200
    assert len(gateway.weather.requests) == 3
    # ...and what they fetched was not kept for others either: the first entry still serves.
    gateway.get()
    assert len(gateway.weather.requests) == 3


@pytest.mark.parametrize("path", ["/api/v1/weather/private", "/api/v1/weather/cookie"])
def test_private_answers_and_cookies_are_never_kept(gateway: Gateway, path: str) -> None:
    gateway.get(path)
    gateway.get(path)
    assert len(gateway.weather.requests) == 2


def test_a_client_asking_no_cache_gets_a_revalidated_answer(gateway: Gateway) -> None:
    gateway.get()
    again = gateway.get(**{"cache-control": "no-cache"})
    assert again.json()["version"] == 1
    assert gateway.weather.requests[-1].get("if-none-match") == '"signals-v1"'


def test_a_client_holding_the_entry_gets_304(gateway: Gateway) -> None:
    gateway.get()
    answer = gateway.get(**{"if-none-match": '"signals-v1"'})
    assert answer.status_code == 304
    assert answer.content == b""
    assert len(gateway.weather.requests) == 1


def test_head_is_answered_from_the_get(gateway: Gateway) -> None:
    body = gateway.get().content
    head = httpx.head(gateway.url + "/api/v1/weather/warnings", timeout=10)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(body))
    assert len(gateway.weather.requests) == 1


def test_each_client_gets_its_own_coding_from_one_entry(gateway: Gateway) -> None:
    plain = gateway.get(**{"accept-encoding": "identity"})
    gzipped = gateway.get(**{"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.headers["etag"] == 'W/"signals-v1"'
    assert gzipped.json() == plain.json()
    assert len(gateway.weather.requests) == 1
    # The weak ETag the client got revalidates the entry as well.
    assert gateway.get(**{"if-none-match": 'W/"signals-v1"'}).status_code == 304


def test_cache_results_are_counted(gateway: Gateway) -> None:
    gateway.get()
    gateway.get()
    metrics = httpx.get(gateway.url + "/metrics", timeout=10).text
    assert 'gateway_response_cache_total{result="hit",service="weather"} 1.0' in metrics
    assert 'gateway_response_cache_total{result="miss",service="weather"} 1.0' in metrics


@pytest.mark.slow
def test_the_redis_cache_is_shared_by_replicas(redis_url: str) -> None:
    first = serve_gateway(redis_url)
    second = serve_gateway(redis_url)
    one, two = next(first), next(second)
    try:
        two.weather.version = 9  # the second replica's upstream would answer differently
        assert one.get().json()["version"] == 1
        assert two.get().json()["version"] == 1
        assert len(two.weather.requests) == 0
        two.clock.now += MAX_AGE
        assert two.get().json()["version"] == 9
    finally:
        first.close()
        second.close()


def entry(size: int, *, stored_at: float = 0.0) -> CachedResponse:
    return CachedResponse(200, (), b"x" * size, stored_at, Policy(60, None))


def test_the_memory_cache_drops_the_least_recently_used_beyond_its_bytes() -> None:
    async def scenario() -> list[str]:
        one = entry(1000)
        cache = MemoryResponseCache(max_bytes=3 * one.size, stale_seconds=0, clock=lambda: 0.0)
        for key in ("a", "b", "c"):
            await cache.put(key, one)
        await cache.get("a")  # now more recent than b
        await cache.put("d", one)
        await cache.put("huge", entry(10_000))  # larger than the whole budget: not kept
        assert cache.bytes <= cache.max_bytes
        return [k for k in ("a", "b", "c", "d", "huge") if await cache.get(k) is not None]

    assert asyncio.run(scenario()) == ["a", "c", "d"]


@pytest.mark.parametrize(
    ("policy", "age", "kept"),
    [
        (Policy(60, None), 59, True),
        (Policy(60, None), 60, False),
        (Policy(60, '"v"'), 60 + 99, True),  # kept stale_seconds (100) more to revalidate
        (Policy(60, '"v"'), 60 + 100, False),
    ],
)
def test_entries_are_kept_while_fresh_or_revalidatable(
    policy: Policy, age: int, kept: bool
) -> None:
    async def scenario() -> bool:
        now = 1000.0
        cache = MemoryResponseCache(max_bytes=10_000, stale_seconds=100, clock=lambda: now)
        await cache.put("k", CachedResponse(200, (), b"{}", now - age, policy))
        return await cache.get("k") is not None

    assert asyncio.run(scenario()) is kept


def test_entries_survive_their_redis_form() -> None:
    original = CachedResponse(
        200,
        ((b"content-type", b"application/json"), (b"etag", b'"v1"')),
        "暴雨\n预警".encode(),
        1234.5,
        Policy(30, '"v1"', initial_age=2),
    )
    assert CachedResponse.from_bytes(original.to_bytes()) == original
    assert RedisResponseCache("redis://127.0.0.1:6379/0", stale_seconds=5).retention(original) < 0
