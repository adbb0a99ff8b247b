"""Rate limits of the federation path: the window logic, and through the gateway in process
(a stub upstream served on a free port; the gateway driven through httpx's ASGI transport, so
each test chooses its client address)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from gateway.auth.tokens import issue_public_token, token_key
from gateway.main import create_app
from gateway.ratelimit import (
    TOO_MANY_DETAIL,
    ClientAddress,
    MemoryRateLimiter,
    RedisRateLimiter,
    StrictPaths,
    Tier,
    verdict,
    window_of,
)
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from servicekit.settings import SharedSettings
from servicekit.testing import metric_value, serve_in_thread

STAFF_KEY = "a-traffic-officer-key"
VIOLATIONS = "/api/v1/traffic/violations?plate=%E7%B2%A4S12345&vin6=123456"
STRICT = 20

# -- the window logic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "window", "number", "retry_after"),
    [
        (0.0, 60, 0, 60),
        (59.0, 60, 0, 1),
        (59.9, 60, 0, 1),  # never 0: a client told to retry now would be refused again
        (60.0, 60, 1, 60),
        (125.5, 60, 2, 55),
        (1_700_000_000.2, 60, 28_333_333, 40),
        (10.0, 1, 10, 1),
    ],
)
def test_window_of(now: float, window: int, number: int, retry_after: int) -> None:
    assert window_of(now, window) == (number, retry_after)


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [(1, 20, None), (20, 20, None), (21, 20, 7), (500, 20, 7), (1, 1, None), (2, 1, 7)],
)
def test_verdict(count: int, limit: int, expected: int | None) -> None:
    assert verdict(count, Tier("t", limit, 60), retry_after=7) == expected


async def test_memory_counters_reset_when_the_window_moves_on() -> None:
    now = [120.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    tier = (Tier("t", 2, 60),)
    assert [await limiter.hit("a", tier) for _ in range(3)] == [None, None, 60]
    assert await limiter.hit("b", tier) is None  # another client has its own counter
    now[0] = 179.5
    assert await limiter.hit("a", tier) == 1
    now[0] = 180.0
    assert await limiter.hit("a", tier) is None


async def test_each_tier_counts_and_the_longer_wait_wins() -> None:
    limiter = MemoryRateLimiter(clock=lambda: 30.0)
    tiers = (Tier("general", 3, 60), Tier("strict", 1, 40))
    assert await limiter.hit("a", tiers) is None
    assert await limiter.hit("a", tiers) == 10  # strict: its window ends at 40
    assert await limiter.hit("a", tiers[:1]) is None  # the 3rd in the general tier
    assert await limiter.hit("a", tiers[:1]) == 30


@pytest.mark.parametrize(
    ("service", "path", "strict"),
    [
        ("traffic", "violations", True),
        ("traffic", "violations/", True),
        ("traffic", "./Violations", True),
        ("traffic", "x/../violations", True),
        ("traffic", "me/violations", False),
        ("traffic", "violation-codes", False),
        ("traffic", "decisions/4419001", True),
        ("traffic", "decisions", False),
        ("traffic", "decisions/4419001/payments", False),
        ("socialsec", "certificates/ABC123", True),
        ("weather", "violations", False),
    ],
)
def test_strict_paths(service: str, path: str, strict: bool) -> None:
    paths = StrictPaths({"traffic": ["violations", "decisions/*"], "socialsec": ["certificates/*"]})
    assert paths.match(service, path) is strict


@pytest.mark.parametrize(
    ("service", "path", "strict"),
    [
        ("traffic", "violations", True),
        ("socialsec", "certificates/ABC123", True),
        ("inspection", "equipment", True),
        ("inspection", "equipment/31104419002019120001", True),
        ("inspection", "equipment/31104419002019120001/card", True),
        ("inspection", "guides", False),
        ("inspection", "me/applications", False),
        ("inspection", "reports/ABCD-EFGH-JKMN-PQRS", True),
        ("inspection", "me/applications/BJ20260615000001/report.pdf", False),
    ],
)
def test_the_default_strict_paths_are_the_ownership_free_lookups(
    service: str, path: str, strict: bool
) -> None:
    defaults = GatewaySettings(shared=SharedSettings(env="dev")).rate_limit_strict_paths
    assert StrictPaths(defaults).match(service, path) is strict


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded_for", "client"),
    [
        ([], "10.0.0.5", "1.2.3.4", "10.0.0.5"),  # no trusted proxies: the header is ignored
        (["10.0.0.0/8"], "10.0.0.5", "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "10.0.0.5", None, "10.0.0.5"),
        (["10.0.0.0/8"], "8.8.8.8", "1.2.3.4", "8.8.8.8"),  # not from a trusted proxy
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"),  # spoofed left
        (["10.0.0.0/8"], "10.0.0.5", "10.0.0.7, 10.0.0.9", "10.0.0.7"),
    ],
)
def test_client_address(
    trusted: list[str], peer: str, forwarded_for: str | None, client: str
) -> None:
    assert ClientAddress(trusted).resolve(peer, forwarded_for) == client


# -- through the gateway -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hits() -> list[str]:
    return []


@pytest.fixture(scope="module")
def upstream_url(hits: list[str]) -> Iterator[str]:
    """Plays traffic, socialsec and inspection: records each request's path and answers 200."""
    app = FastAPI()

    @app.get("/v1/{path:path}")
    async def anything(path: str) -> dict[str, str]:
        hits.append(path)
        return {"path": path}

    with serve_in_thread(app) as url:
        yield url


def settings_for(upstream: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "traffic_url": upstream,
        "socialsec_url": upstream,
        "inspection_url": upstream,
        "staff_keys": {STAFF_KEY: ["traffic_officer"]},
        "shared": SharedSettings(env="dev"),
        **overrides,
    }
    return GatewaySettings(**values)


# Half way through a window, so a test never sees its counters reset by a window boundary.
FROZEN_NOW = (time.time() // 60) * 60 + 30


@asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    rate_limits = gateway_state(app).rate_limits
    if rate_limits is not None:
        rate_limits.limiter.clock = lambda: FROZEN_NOW
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def citizen_token(settings: GatewaySettings, citizen_id: str) -> str:
    key = token_key(
        internal_secret=settings.shared.internal_token_secret,
        configured=settings.auth_token_secret,
    )
    return issue_public_token(key=key, citizen_id=citizen_id, account="dgjj", ttl_seconds=600)


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "30"
    problem = response.json()
    assert problem["status"] == 429
    assert problem["detail"] == TOO_MANY_DETAIL


async def refused(client: httpx.AsyncClient, bucket: str) -> float | None:
    """`gateway_rate_limited_total` of `bucket` on the gateway's `/metrics`."""
    exposition = (await client.get("/metrics")).text
    return metric_value(exposition, "gateway_rate_limited_total", bucket=bucket)


async def test_the_21st_lookup_is_429_and_never_reaches_the_service(
    upstream_url: str, hits: list[str]
) -> None:
    async with (
        running(settings_for(upstream_url)) as app,
        client_for(app, "203.0.113.1") as one,
        client_for(app, "203.0.113.2") as two,
    ):
        for _ in range(STRICT):
            assert (await one.get(VIOLATIONS)).status_code == 200
        before = len(hits)
        assert_too_many(await one.get(VIOLATIONS))
        assert_too_many(await one.get("/api/v1/traffic/decisions/4419001"))  # same tier
        assert_too_many(await one.get("/api/v1/inspection/equipment?code=31104419002019120001"))
        assert len(hits) == before
        # Another client still gets through, and so do the first one's other requests.
        assert (await two.get(VIOLATIONS)).status_code == 200
        assert (await one.get("/api/v1/traffic/guides")).status_code == 200
        assert await refused(two, "strict") == 3
        assert await refused(two, "general") is None


async def test_the_general_tier_limits_every_path(upstream_url: str) -> None:
    settings = settings_for(upstream_url, rate_limit_general=3)
    async with running(settings) as app, client_for(app, "203.0.113.3") as client:
        for _ in range(3):
            assert (await client.get("/api/v1/socialsec/guides")).status_code == 200
        assert_too_many(await client.get("/api/v1/socialsec/guides"))
        assert await refused(client, "general") == 1


async def test_a_signed_in_citizen_is_counted_as_the_citizen(upstream_url: str) -> None:
    settings = settings_for(upstream_url, rate_limit_strict=2)
    me = {"authorization": f"Bearer {citizen_token(settings, 'c-0001')}"}
    async with (
        running(settings) as app,
        client_for(app, "203.0.113.4") as home,
        client_for(app, "198.51.100.4") as work,
    ):
        assert (await home.get(VIOLATIONS, headers=me)).status_code == 200
        assert (await work.get(VIOLATIONS, headers=me)).status_code == 200
        assert_too_many(await home.get(VIOLATIONS, headers=me))  # a new IP does not help
        # The IP the citizen used is not spent: anonymous callers there still get through.
        assert (await home.get(VIOLATIONS)).status_code == 200
        # Nor does another citizen behind the same IP share the citizen's count.
        other = {"authorization": f"Bearer {citizen_token(settings, 'c-0002')}"}
        assert (await home.get(VIOLATIONS, headers=other)).status_code == 200


async def test_staff_are_not_limited(upstream_url: str) -> None:
    settings = settings_for(upstream_url, rate_limit_strict=1, rate_limit_general=1)
    staff = {"x-api-key": STAFF_KEY}
    async with running(settings) as app, client_for(app, "203.0.113.5") as client:
        for _ in range(5):
            assert (await client.get(VIOLATIONS, headers=staff)).status_code == 200
        # An unknown key is refused (401) rather than counted as staff.
        assert (await client.get(VIOLATIONS, headers={"x-api-key": "nope"})).status_code == 401


async def test_wechat_callbacks_are_not_limited(upstream_url: str) -> None:
    settings = settings_for(upstream_url, rate_limit_general=1)
    async with running(settings) as app, client_for(app, "203.0.113.6") as client:
        statuses = {(await client.get("/wechat/dgjj")).status_code for _ in range(3)}
        assert 429 not in statuses


async def test_limits_can_be_switched_off(upstream_url: str) -> None:
    settings = settings_for(upstream_url, rate_limit_enabled=False, rate_limit_strict=1)
    async with running(settings) as app, client_for(app, "203.0.113.7") as client:
        for _ in range(3):
            assert (await client.get(VIOLATIONS)).status_code == 200


async def test_trusted_proxies_forward_the_client_address(upstream_url: str) -> None:
    settings = settings_for(
        upstream_url, rate_limit_strict=1, rate_limit_trusted_proxies=["10.0.0.0/8"]
    )
    async with running(settings) as app, client_for(app, "10.1.2.3") as proxy:
        first = {"x-forwarded-for": "203.0.113.8"}
        assert (await proxy.get(VIOLATIONS, headers=first)).status_code == 200
        assert_too_many(await proxy.get(VIOLATIONS, headers=first))
        second = {"x-forwarded-for": "203.0.113.9"}
        assert (await proxy.get(VIOLATIONS, headers=second)).status_code == 200


async def test_redis_limits_are_shared_by_replicas(upstream_url: str, redis_url: str) -> None:
    settings = settings_for(upstream_url, redis_url=redis_url, rate_limit_strict=4)
    async with (
        running(settings) as first,
        running(settings) as second,
        client_for(first, "203.0.113.10") as a,
        client_for(second, "203.0.113.10") as b,
    ):
        for client in (a, b, a, b):
            assert (await client.get(VIOLATIONS)).status_code == 200
        assert_too_many(await a.get(VIOLATIONS))
        assert_too_many(await b.get(VIOLATIONS))
        async with client_for(second, "203.0.113.11") as other:
            assert (await other.get(VIOLATIONS)).status_code == 200


async def test_redis_keys_hold_no_address(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url)
    await limiter.start()
    try:
        assert await limiter.hit("ip:203.0.113.12", (Tier("strict", 1, 60),)) is None
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            keys = [key.decode() for key in await client.keys("*")]
            ttl = await client.ttl(keys[0])
        finally:
            await client.aclose()
        assert len(keys) == 1 and keys[0].startswith("gateway:ratelimit:strict:")
        assert "203.0.113" not in keys[0]
        assert 0 < ttl <= 61
    finally:
        await limiter.close()


async def test_requests_go_through_when_redis_fails(upstream_url: str) -> None:
    # Nothing listens on port 1: every Redis call fails at once.
    settings = settings_for(upstream_url, redis_url="redis://127.0.0.1:1/0", rate_limit_strict=1)
    async with running(settings) as app, client_for(app, "203.0.113.13") as client:
        for _ in range(3):
            assert (await client.get(VIOLATIONS)).status_code == 200
