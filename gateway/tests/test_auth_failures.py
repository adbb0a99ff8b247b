"""Guessing credentials: failed staff keys and bearer tokens counted per client address, the
public token's lifetime capped at the gateway's TTL, and sign-out's denylist; in memory and in
Redis. The gateway runs in process behind httpx's ASGI transport (each test chooses its client
address) in front of a stub upstream served on a free port."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
import redis
from fastapi import FastAPI

from gateway.auth.guard import (
    TOO_MANY_FAILURES,
    MemoryGuardStore,
    RedisGuardStore,
    create_guard_store,
)
from gateway.auth.tokens import issue_public_token, token_key
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from servicekit.settings import SharedSettings
from servicekit.testing import serve_in_thread

STAFF_KEY = "a-traffic-officer-key-of-32-chars!"
GUIDES = "/api/v1/traffic/guides"
SIGNOUT = "/api/v1/auth/signout"
WRONG_KEY = "an-attacker-guessed-key-of-32-bytes!"


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Where the gateway keeps its counters: "" (memory) or a Redis URL."""
    return "" if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture(scope="module")
def hits() -> list[str]:
    return []


@pytest.fixture(scope="module")
def upstream_url(hits: list[str]) -> Iterator[str]:
    """Plays traffic: records each request's path and answers 200."""
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
        "staff_keys": {STAFF_KEY: ["traffic_officer"]},
        "shared": SharedSettings(env="dev"),
        **overrides,
    }
    return GatewaySettings(**values)


@asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def public_key(settings: GatewaySettings) -> str:
    return token_key(
        internal_secret=settings.shared.internal_token_secret,
        configured=settings.auth_token_secret,
    )


def citizen_token(settings: GatewaySettings, citizen_id: str = "c-0001") -> str:
    return issue_public_token(
        key=public_key(settings), citizen_id=citizen_id, account="dgjj", ttl_seconds=600
    )


def crafted_token(key: str, **claims: Any) -> str:
    """A public token with the given claims over sensible ones (None removes a claim)."""
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": "gateway-public",
        "aud": "guanwei-app",
        "sub": "c-0001",
        "iat": now,
        "exp": now + 600,
        "jti": "j-crafted",
        **claims,
    }
    return jwt.encode({k: v for k, v in values.items() if v is not None}, key, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_blocked(response: httpx.Response, window: int = 300) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= window
    problem = response.json()
    assert problem["status"] == 429 and problem["detail"] == TOO_MANY_FAILURES


def assert_refused(response: httpx.Response, challenge: str = "Bearer") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == challenge


# -- staff keys --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_300_wrong_keys_block_the_address_even_for_the_right_key(
    upstream_url: str, hits: list[str], store_url: str
) -> None:
    settings = settings_for(upstream_url, redis_url=store_url)
    assert settings.auth_failure_limit == 10 and settings.auth_failure_window_seconds == 300
    right = {"x-api-key": STAFF_KEY}
    async with (
        running(settings) as app,
        client_for(app, "203.0.113.20") as attacker,
        client_for(app, "203.0.113.21") as colleague,
    ):
        before = len(hits)
        statuses = []
        for guess in range(300):
            answer = await attacker.get(GUIDES, headers={"x-api-key": f"guess-{guess}"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert_blocked(answer)
        assert statuses == [401] * 10 + [429] * 290
        # The right key from the guessing address is refused too, and never goes upstream.
        assert_blocked(await attacker.get(GUIDES, headers=right))
        assert len(hits) == before
        assert (await colleague.get(GUIDES, headers=right)).status_code == 200


async def test_a_success_does_not_reset_the_count(upstream_url: str, store_url: str) -> None:
    settings = settings_for(upstream_url, redis_url=store_url, auth_failure_limit=3)
    right, wrong = {"x-api-key": STAFF_KEY}, {"x-api-key": "nope"}
    async with running(settings) as app, client_for(app, "203.0.113.22") as client:
        assert_refused(await client.get(GUIDES, headers=wrong), "ApiKey")
        assert_refused(await client.get(GUIDES, headers=wrong), "ApiKey")
        assert (await client.get(GUIDES, headers=right)).status_code == 200
        assert_refused(await client.get(GUIDES, headers=wrong), "ApiKey")
        assert_blocked(await client.get(GUIDES, headers=right))
        # Anonymous requests are the rate limits' business, not this guard's.
        assert (await client.get(GUIDES)).status_code == 200


async def test_the_block_ends_with_its_window(upstream_url: str) -> None:
    settings = settings_for(upstream_url, auth_failure_limit=2, auth_failure_window_seconds=60)
    now = [1_800_000_000.0]
    async with running(settings) as app, client_for(app, "203.0.113.23") as client:
        gateway_state(app).credentials.store.clock = lambda: now[0]
        for _ in range(2):
            assert_refused(await client.get(GUIDES, headers={"x-api-key": "nope"}), "ApiKey")
        now[0] += 45
        blocked = await client.get(GUIDES, headers={"x-api-key": STAFF_KEY})
        assert_blocked(blocked, window=60)
        assert blocked.headers["retry-after"] == "15"
        now[0] += 15
        assert (await client.get(GUIDES, headers={"x-api-key": STAFF_KEY})).status_code == 200


async def test_the_address_is_the_rate_limits_one(upstream_url: str) -> None:
    settings = settings_for(
        upstream_url, auth_failure_limit=2, rate_limit_trusted_proxies=["10.0.0.0/8"]
    )
    right = {"x-api-key": STAFF_KEY}
    async with (
        running(settings) as app,
        client_for(app, "10.1.2.3") as proxy,
        client_for(app, "203.0.113.24") as direct,
    ):
        first = {"x-forwarded-for": "203.0.113.25"}
        for _ in range(2):
            await proxy.get(GUIDES, headers={**first, "x-api-key": "nope"})
        assert_blocked(await proxy.get(GUIDES, headers={**first, **right}))
        second = {"x-forwarded-for": "203.0.113.26"}
        assert (await proxy.get(GUIDES, headers={**second, **right})).status_code == 200
        # A client that is no trusted proxy cannot pick a fresh address for each guess.
        for guess in range(3):
            spoofed = {"x-forwarded-for": f"198.51.100.{guess}", "x-api-key": "nope"}
            await direct.get(GUIDES, headers=spoofed)
        assert_blocked(await direct.get(GUIDES, headers=right))


# -- bearer tokens -----------------------------------------------------------------------------


async def test_bad_bearer_tokens_block_the_address_even_for_a_valid_token(
    upstream_url: str, store_url: str
) -> None:
    settings = settings_for(upstream_url, redis_url=store_url)
    valid = bearer(citizen_token(settings))
    async with (
        running(settings) as app,
        client_for(app, "203.0.113.27") as attacker,
        client_for(app, "203.0.113.28") as citizen,
    ):
        statuses = []
        for guess in range(30):
            forged = crafted_token(WRONG_KEY, jti=f"j-{guess}")
            statuses.append((await attacker.get(GUIDES, headers=bearer(forged))).status_code)
        assert statuses == [401] * 10 + [429] * 20
        assert_blocked(await attacker.get(GUIDES, headers={"authorization": "Bearer garbage"}))
        assert_blocked(await attacker.get(GUIDES, headers=valid))
        assert (await citizen.get(GUIDES, headers=valid)).status_code == 200


async def test_genuine_expired_tokens_are_refused_without_counting(upstream_url: str) -> None:
    settings = settings_for(upstream_url, auth_failure_limit=3)
    key = public_key(settings)
    now = int(time.time())
    expired = bearer(crafted_token(key, iat=now - 700, exp=now - 100))
    async with running(settings) as app, client_for(app, "203.0.113.29") as shared_nat:
        # Many citizens behind one carrier NAT coming back with yesterday's token.
        for _ in range(10):
            assert_refused(await shared_nat.get(GUIDES, headers=expired))
        assert (await shared_nat.get(GUIDES, headers=bearer(citizen_token(settings)))).is_success
        for malformed in ("Basic eDp5", "Bearer ", "Bearer not.a.jwt"):
            assert_refused(await shared_nat.get(GUIDES, headers={"authorization": malformed}))
        # Once blocked, an expired token is answered 429 like any other credential.
        assert_blocked(await shared_nat.get(GUIDES, headers=expired))


async def test_a_token_lives_no_longer_than_the_configured_ttl(upstream_url: str) -> None:
    settings = settings_for(upstream_url, auth_token_ttl_seconds=600)
    key, now = public_key(settings), int(time.time())
    async with running(settings) as app, client_for(app, "203.0.113.30") as client:
        for age, status in ((60, 200), (590, 200), (610, 401), (86_400, 401)):
            # Signed with the right key, yet claiming a month of validity.
            token = crafted_token(key, iat=now - age, exp=now + 30 * 86_400, jti=f"j-{age}")
            answer = await client.get(GUIDES, headers=bearer(token))
            assert answer.status_code == status, (age, answer.text)


async def test_a_token_without_jti_or_iat_is_refused(upstream_url: str) -> None:
    settings = settings_for(upstream_url)
    async with running(settings) as app, client_for(app, "203.0.113.31") as client:
        for missing in ("jti", "iat"):
            token = crafted_token(public_key(settings), **{missing: None})
            assert_refused(await client.get(GUIDES, headers=bearer(token)))


# -- sign-out ----------------------------------------------------------------------------------


async def test_signout_revokes_that_token_only(upstream_url: str, store_url: str) -> None:
    settings = settings_for(upstream_url, redis_url=store_url, auth_failure_limit=3)
    first = bearer(citizen_token(settings, "c-0042"))
    second = bearer(citizen_token(settings, "c-0042"))  # the same citizen on another device
    async with running(settings) as app, client_for(app, "203.0.113.32") as client:
        assert (await client.get(GUIDES, headers=first)).status_code == 200
        out = await client.post(SIGNOUT, headers=first)
        assert out.status_code == 204 and out.content == b""
        assert_refused(await client.get(GUIDES, headers=first))
        assert (await client.get(GUIDES, headers=second)).status_code == 200
        assert_refused(await client.post(SIGNOUT, headers=first))  # already signed out
        # Each use of the revoked token counted: the address is now blocked.
        assert_refused(await client.get(GUIDES, headers=first))
        assert_blocked(await client.get(GUIDES, headers=second))


async def test_signout_needs_a_valid_token(upstream_url: str) -> None:
    settings = settings_for(upstream_url)
    async with running(settings) as app, client_for(app, "203.0.113.33") as client:
        assert_refused(await client.post(SIGNOUT))
        assert_refused(await client.post(SIGNOUT, headers=bearer(crafted_token(WRONG_KEY))))
        assert_refused(await client.post(SIGNOUT, headers={"x-api-key": STAFF_KEY}))


async def test_signout_is_shared_by_replicas_through_redis(
    upstream_url: str, redis_url: str
) -> None:
    settings = settings_for(upstream_url, redis_url=redis_url, auth_failure_limit=2)
    token = bearer(citizen_token(settings))
    async with (
        running(settings) as one,
        running(settings) as two,
        client_for(one, "203.0.113.34") as a,
        client_for(two, "203.0.113.34") as b,
    ):
        assert (await a.post(SIGNOUT, headers=token)).status_code == 204
        assert_refused(await b.get(GUIDES, headers=token))
        # Failures seen by one replica block the address at the other.
        assert_refused(await a.get(GUIDES, headers={"x-api-key": "nope"}), "ApiKey")
        assert_blocked(await b.get(GUIDES, headers={"x-api-key": STAFF_KEY}))


async def test_signout_is_in_the_openapi_document(upstream_url: str) -> None:
    settings = settings_for(upstream_url)
    async with running(settings) as app, client_for(app, "203.0.113.35") as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"][SIGNOUT]["post"]
    assert operation["summary"] == "退出登录：吊销当前令牌"
    assert "吊销" in operation["description"]
    assert {"204", "401", "429"} <= set(operation["responses"])


# -- the stores --------------------------------------------------------------------------------


async def test_redis_entries_expire_and_hold_no_address(redis_url: str) -> None:
    store = RedisGuardStore(redis_url, limit=1, window_seconds=300)
    await store.start()
    try:
        assert await store.fail("203.0.113.36") is None
        assert await store.fail("203.0.113.36") is not None
        await store.revoke("j-gone", int(time.time()) + 120)
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            keys = {key.decode(): await client.ttl(key) for key in await client.keys("*")}
        finally:
            await client.aclose()
    finally:
        await store.close()
    assert len(keys) == 2 and all("203.0.113" not in key for key in keys)
    assert 0 < keys["gateway:auth:revoked:j-gone"] <= 120
    (failures,) = (ttl for key, ttl in keys.items() if key.startswith("gateway:auth:fail:"))
    assert 0 < failures <= 300


async def test_memory_revocations_and_counters_are_dropped_once_over() -> None:
    now = [1_800_000_000.0]
    store = MemoryGuardStore(limit=1, window_seconds=60, clock=lambda: now[0])
    await store.revoke("j-1", int(now[0]) + 30)
    await store.fail("203.0.113.37")
    assert (await store.admit("203.0.113.37", "j-1")).revoked
    assert (await store.admit("203.0.113.37")).retry_after == 60
    now[0] += 61
    admission = await store.admit("203.0.113.37", "j-1")
    assert admission.retry_after is None and not admission.revoked
    assert store._failures == {} and store._revoked == {}


async def test_when_redis_fails_keys_pass_and_tokens_are_refused(upstream_url: str) -> None:
    # Nothing listens on port 1: every Redis call fails at once.
    settings = settings_for(upstream_url, redis_url="redis://127.0.0.1:1/0", auth_failure_limit=1)
    token = bearer(citizen_token(settings))
    async with running(settings) as app, client_for(app, "203.0.113.38") as client:
        for _ in range(3):
            assert_refused(await client.get(GUIDES, headers={"x-api-key": "nope"}), "ApiKey")
        assert (await client.get(GUIDES, headers={"x-api-key": STAFF_KEY})).status_code == 200
        # A signed-out token must never work again: unable to tell, the gateway says 503.
        unchecked = await client.get(GUIDES, headers=token)
        assert unchecked.status_code == 503
        assert unchecked.headers["content-type"] == "application/problem+json"
        assert (await client.post(SIGNOUT, headers=token)).status_code == 503


def test_the_store_follows_the_settings() -> None:
    assert isinstance(create_guard_store("", limit=1, window_seconds=1), MemoryGuardStore)
    redis_store = create_guard_store("redis://h:6379/0", limit=1, window_seconds=1)
    assert isinstance(redis_store, RedisGuardStore)
